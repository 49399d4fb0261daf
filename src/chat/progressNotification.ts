/**
 * A cancellable progress notification for the long phases (model download, reading the repo into the KV cache),
 * opened only when such a phase lasts past a short delay, so quick follow-ups never flash one.
 */
import * as vscode from "vscode";
import type { EngineStatus } from "../engine/api";
import { describeStatus } from "./statusText";

const LONG_PHASES = new Set<EngineStatus["state"]>(["downloading", "ingesting"]);
const SHOW_AFTER_MS = 800;

export function createProgressNotifier(cancel: () => void): { update(status: EngineStatus): void; dispose(): void } {
  let timer: NodeJS.Timeout | undefined;
  let open: { report: (message: string, fraction: number) => void; close: () => void } | undefined;
  let latest: EngineStatus | undefined;

  const show = () => {
    timer = undefined;
    void vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: "LongRoPE QA", cancellable: true },
      (progress, token) =>
        new Promise<void>((resolve) => {
          let shown = 0;
          token.onCancellationRequested(() => cancel());
          open = {
            report: (message, fraction) => {
              const next = Math.max(shown, Math.min(100, fraction * 100));
              progress.report({ message, increment: next - shown });
              shown = next;
            },
            close: resolve,
          };
          if (latest) update(latest);
        }),
    );
  };

  const update = (status: EngineStatus) => {
    latest = status;
    if (!LONG_PHASES.has(status.state)) {
      clearTimeout(timer);
      timer = undefined;
      open?.close();
      open = undefined;
      return;
    }
    if (!open && !timer) timer = setTimeout(show, SHOW_AFTER_MS);
    if (open && (status.state === "downloading" || status.state === "ingesting")) {
      const fraction = status.total > 0 ? status.done / status.total : 0;
      const rate = status.state === "ingesting" ? ` at ${Math.round(status.tokensPerSecond)} tokens/s` : "";
      open.report(`${describeStatus(status).label}${rate}`, fraction);
    }
  };

  return {
    update,
    dispose: () => {
      clearTimeout(timer);
      open?.close();
    },
  };
}
