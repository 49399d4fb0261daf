/** Progress for the status bar and the CLI, throttled so that 100,000 tiny files do not mean 100,000 callbacks. */
import type { PackProgress } from "./types";

const MIN_INTERVAL_MS = 100;

export interface ProgressSink {
  readonly seen: () => void;
  readonly included: (files: number) => void;
  readonly tokens: (tokensSoFar: number) => void;
}

export function createProgress(onProgress: ((p: PackProgress) => void) | undefined): ProgressSink {
  let filesSeen = 0;
  let filesIncluded = 0;
  let tokensSoFar = 0;
  let lastReport = 0;
  const report = (force: boolean) => {
    if (!onProgress) return;
    const now = Date.now();
    if (!force && now - lastReport < MIN_INTERVAL_MS) return;
    lastReport = now;
    onProgress({ filesSeen, filesIncluded, tokensSoFar });
  };
  return {
    seen: () => {
      filesSeen++;
      report(false);
    },
    included: (files) => {
      filesIncluded = files;
      report(true);
    },
    tokens: (tokens) => {
      tokensSoFar = tokens;
      report(true);
    },
  };
}
