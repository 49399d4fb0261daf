/** One wording of the engine state for the status bar and the chat page (pure; the webview bundles it too). */
import type { ContextMeter, EngineStatus } from "../engine/api";
import { formatTokens } from "../util/formatTokens";


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

/** "388 / 8,192 tokens": the repository against the model's window (what the user can grow into), not the allocation. */
export function meterText(meter: ContextMeter): string {
  const estimate = meter.tokensEstimated ? "~" : "";
  return `${estimate}${formatTokens(meter.repoTokens)} / ${formatTokens(meter.windowTokens ?? meter.contextSize)} tokens`;
}

/** The meter's longer form, for its tooltip. */
export function meterTitle(meter: ContextMeter): string {
  const window = meter.windowTokens ?? meter.contextSize;
  const allocated = meter.contextSize < window ? ` (${formatTokens(meter.contextSize)} allocated for now; more as the conversation needs)` : "";
  const estimate = meter.tokensEstimated ? " (estimated from its size: the server counts no tokens for us)" : "";
  const where = meter.server ? `, answered by the server at ${meter.server}` : "";
  return `${formatTokens(meter.repoTokens)} of the model's ${formatTokens(window)}-token window hold the repository${estimate}${allocated}${where}`;
}
