/**
 * One error class for everything this project raises, in every process and over every protocol (the worker IPC
 * frames carry `code` and `message` and are turned back into a RepoQaError on the other side). `message` is one
 * sentence for the user, naming the file or setting and what to do. A cancellation is never one of these: a cancelled
 * request is an answer (`cancelled: true`), or, below the service, the platform's AbortError.
 */
export const repoQaErrorCodes = [
  "model-not-found",
  "model-invalid",
  "model-not-loaded",
  "offline",
  "out-of-memory",
  "context-overflow",
  "worker-crashed",
  "empty-workspace",
  "untrusted",
  "bad-input",
  /** The inference server cannot be reached (connection refused, unknown host). */
  "unreachable",
  /** The inference server refused the API key (401/403). */
  "unauthorized",
  /** The inference server did not answer in time. */
  "timeout",
  /** The answer stopped in the middle (the stream was cut, the worker died); `partialAnswer` keeps what came. */
  "interrupted",
  "internal",
] as const;

export type RepoQaErrorCode = (typeof repoQaErrorCodes)[number];

export interface RepoQaErrorOptions {
  readonly cause?: unknown;
  /** The text already streamed when an answer broke off: kept and shown, marked as incomplete. */
  readonly partialAnswer?: string;
}

export class RepoQaError extends Error {
  readonly partialAnswer: string | undefined;

  constructor(
    message: string,
    readonly code: RepoQaErrorCode,
    options: RepoQaErrorOptions = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "RepoQaError";
    this.partialAnswer = options.partialAnswer;
  }
}

export function isRepoQaErrorCode(value: unknown): value is RepoQaErrorCode {
  return typeof value === "string" && (repoQaErrorCodes as readonly string[]).includes(value);
}

/** Every path that would read the workspace refuses in Restricted Mode with this one error. */
export function untrustedWorkspaceError(): RepoQaError {
  return new RepoQaError("Trust this workspace first: in Restricted Mode LongRoPE QA does not read its files.", "untrusted");
}

/** Whether an error is an abort (a cancellation is an answer, not a failure). */
export function isAbortError(error: unknown): boolean {
  return error instanceof Error && (error.name === "AbortError" || (error as { code?: string }).code === "ABORT_ERR");
}

/** The first line of any error's message (library errors can carry a whole log). */
export function firstLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.split("\n")[0] ?? text;
}

/** The user-facing sentence of any error, never a stack trace. */
export function describeError(error: unknown): string {
  return error instanceof RepoQaError ? error.message : firstLine(error);
}
