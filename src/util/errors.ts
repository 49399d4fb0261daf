/** One base class for every error this project raises; `code` says the kind, `message` is one sentence for the user. */
export type RepoQaErrorCode =
  | "model-not-found"
  | "model-invalid"
  | "model-not-loaded"
  | "offline"
  | "out-of-memory"
  | "context-overflow"
  | "worker-crashed"
  | "empty-workspace"
  | "untrusted"
  | "bad-input"
  | "internal";

export class RepoQaError extends Error {
  constructor(
    message: string,
    readonly code: RepoQaErrorCode,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "RepoQaError";
  }
}

/** Every path that would read the workspace refuses in Restricted Mode with this one error. */
export function untrustedWorkspaceError(): RepoQaError {
  return new RepoQaError("Trust this workspace first: in Restricted Mode LongRoPE QA does not read its files.", "untrusted");
}

/** Whether an error is an abort (a cancellation is an answer, not a failure). */
export function isAbortError(error: unknown): boolean {
  return error instanceof Error && (error.name === "AbortError" || (error as { code?: string }).code === "ABORT_ERR");
}

/** The user-facing sentence of any error, never a stack trace. */
export function describeError(error: unknown): string {
  if (error instanceof RepoQaError) return error.message;
  if (error instanceof Error) return error.message.split("\n")[0] ?? String(error);
  return String(error);
}
