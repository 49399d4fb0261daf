import type { EngineErrorCode } from "../protocol";

/** An error the worker reports as an `error` frame: `message` is the one sentence the user reads. */
export class WorkerError extends Error {
  constructor(
    readonly code: EngineErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "WorkerError";
  }
}

export function firstLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.split("\n")[0] ?? text;
}
