/** Progress for the status bar and the CLI, throttled so that 100,000 tiny files do not mean 100,000 callbacks. */
import type { PackProgress } from "./types";

const MIN_INTERVAL_MS = 100;

export interface ProgressSink {
  /** A file or folder entry was seen by the walk. */
  readonly seen: () => void;
  /** A file was read; `asText` when it will be packed. */
  readonly read: (asText: boolean) => void;
  /** A batch of files was scanned for secrets. */
  readonly scanned: () => void;
  readonly tokens: (tokensSoFar: number) => void;
  /** Reports the current state now, unthrottled (end of a stage). */
  readonly flush: () => void;
  /** The pack is done: the final count of included files. */
  readonly done: (filesIncluded: number) => void;
}

export function createProgress(onProgress: ((p: PackProgress) => void) | undefined): ProgressSink {
  let filesSeen = 0;
  let filesIncluded = 0;
  let tokensSoFar = 0;
  let phase: NonNullable<PackProgress["phase"]> = "scan";
  let lastReport = 0;
  const report = (force: boolean) => {
    if (!onProgress) return;
    const now = Date.now();
    if (!force && now - lastReport < MIN_INTERVAL_MS) return;
    lastReport = now;
    onProgress({ filesSeen, filesIncluded, tokensSoFar, phase });
  };
  return {
    seen: () => {
      filesSeen++;
      report(false);
    },
    read: (asText) => {
      phase = "read";
      if (asText) filesIncluded++;
      report(false);
    },
    scanned: () => {
      phase = "secrets";
      report(false);
    },
    tokens: (tokens) => {
      phase = "tokens";
      tokensSoFar = tokens;
      report(true);
    },
    flush: () => report(true),
    done: (files) => {
      filesIncluded = files;
      report(true);
    },
  };
}
