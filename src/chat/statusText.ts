/** One wording of the engine state for the status bar and the chat page (pure; the webview bundles it too). */
import type { ContextMeter, EngineStatus } from "../engine/api";

export function formatTokens(n: number): string {
  if (n < 10_000) return n.toLocaleString("en-US");
  if (n < 100_000) return `${(n / 1000).toFixed(1).replace(/\.0$/, "")}k`;
  return `${Math.round(n / 1000)}k`;
}

function percent(done: number, total: number): string {
  return total > 0 ? `${Math.min(100, Math.floor((done / total) * 100))}%` : "";
}

export interface StatusText {
  /** Short, e.g. "Reading the repository 42%". */
  readonly label: string;
  /** Codicon name for the status bar. */
  readonly icon: string;
  readonly busy: boolean;
}

export function describeStatus(status: EngineStatus | undefined): StatusText {
  switch (status?.state) {
    case undefined:
    case "idle":
      return { label: "Idle", icon: "comment-discussion", busy: false };
    case "downloading":
      return { label: `Downloading model ${percent(status.done, status.total)}`.trim(), icon: "cloud-download", busy: true };
    case "loading":
      return { label: "Loading model", icon: "sync~spin", busy: true };
    case "packing":
      return { label: `Collecting files (${status.filesSeen})`, icon: "sync~spin", busy: true };
    case "ingesting": {
      const eta = status.etaMs > 0 ? `, ${Math.ceil(status.etaMs / 1000)} s left` : "";
      return { label: `Reading the repository ${percent(status.done, status.total)}${eta}`, icon: "sync~spin", busy: true };
    }
    case "answering":
      return { label: "Answering", icon: "loading~spin", busy: true };
    case "ready":
      return { label: `Ready · ${meterText(status.meter)}`, icon: "check", busy: false };
    case "error":
      return { label: "Error", icon: "error", busy: false };
  }
}

export function meterText(meter: ContextMeter): string {
  return `${formatTokens(meter.repoTokens)} / ${formatTokens(meter.contextSize)} tokens`;
}
