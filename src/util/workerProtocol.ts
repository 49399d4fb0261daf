/**
 * The frame shapes every worker process (the engine, the LongRoPE tools) shares with its host, over the Node IPC
 * channel (never stdout: node-llama-cpp's native code prints there). Each protocol adds only its request types,
 * results and progress payload.
 *
 * Every request carries an `id`; the worker answers with zero or more `progress` / `token` frames carrying that id
 * and ends with exactly one `done` or `error` frame. A `cancel` request naming the id aborts the work; a cancelled
 * request still ends with `done`, with the handler's partial result or with `cancelled: true` alone, because a
 * cancellation is an answer, not a failure.
 */
import { isRepoQaErrorCode, type RepoQaErrorCode } from "./errors";

export type LogLevel = "debug" | "info" | "warn" | "error";

/** What a progress frame carries besides its id: a phase, and how far it is in some unit. */
export interface WorkProgress {
  readonly phase: string;
  readonly done: number;
  readonly total: number;
  readonly unit: string;
}

export interface CancelRequest {
  readonly type: "cancel";
  readonly id: string;
  /** The id of the request to abort. */
  readonly targetId: string;
}

/** Sent once when the worker has started and can take requests. */
export interface ReadyFrame {
  readonly type: "ready";
  readonly pid: number;
}

export type ProgressFrameOf<P extends WorkProgress> = { readonly type: "progress"; readonly id: string } & P;

export interface TokenFrame {
  readonly type: "token";
  readonly id: string;
  readonly text: string;
}

export interface DoneFrame {
  readonly type: "done";
  readonly id: string;
  /** Absent only when the request was cancelled before it had anything to return. */
  readonly result?: unknown;
  readonly cancelled?: true;
}

export interface ErrorFrame {
  readonly type: "error";
  readonly id: string;
  readonly code: RepoQaErrorCode;
  /** One sentence for the user, naming the file or setting and what to do. */
  readonly message: string;
}

/** Diagnostics for the log channel; not tied to a request. */
export interface LogFrame {
  readonly type: "log";
  readonly level: LogLevel;
  readonly message: string;
}

export type WorkerFrame<P extends WorkProgress = WorkProgress> =
  | ReadyFrame
  | ProgressFrameOf<P>
  | TokenFrame
  | DoneFrame
  | ErrorFrame
  | LogFrame;

/** Narrows an untrusted IPC message to a frame (the payload of a progress frame is the protocol's to check). */
export function isWorkerFrame(value: unknown): value is WorkerFrame {
  if (typeof value !== "object" || value === null) return false;
  const v = value as Record<string, unknown>;
  switch (v.type) {
    case "ready":
      return typeof v.pid === "number";
    case "log":
      return typeof v.message === "string";
    case "progress":
      return typeof v.id === "string" && typeof v.phase === "string" && typeof v.done === "number" && typeof v.total === "number";
    case "token":
      return typeof v.id === "string" && typeof v.text === "string";
    case "done":
      return typeof v.id === "string";
    case "error":
      return typeof v.id === "string" && typeof v.message === "string" && isRepoQaErrorCode(v.code);
    default:
      return false;
  }
}

/** Narrows an untrusted IPC message to one of a protocol's requests (by type name and id). */
export function requestGuard<R extends { readonly type: string; readonly id: string }>(types: readonly R["type"][]) {
  const known = new Set<string>(types);
  return (value: unknown): value is R => {
    if (typeof value !== "object" || value === null) return false;
    const v = value as { type?: unknown; id?: unknown };
    return typeof v.type === "string" && known.has(v.type) && typeof v.id === "string";
  };
}
