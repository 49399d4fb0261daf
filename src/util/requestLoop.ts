/**
 * The worker side every worker process (engine, LongRoPE tools) shares: says `ready`, runs requests one at a time in
 * arrival order, turns what a handler returns or throws into exactly one `done` or `error` frame, and acts at once on
 * a `cancel` for the request it names. A handler that throws after its signal was aborted was cancelled: that is a
 * `done` frame with `cancelled: true`, never an error. On disconnect (the host's graceful stop) the request in
 * progress finishes, then `onDisconnect`, then the process exits.
 */
import { RepoQaError, firstLine } from "./errors";
import type { CancelRequest, LogLevel, WorkProgress, WorkerFrame } from "./workerProtocol";

export interface WorkReporter<P extends WorkProgress> {
  progress(progress: P): void;
  token(text: string): void;
  log(level: LogLevel, message: string): void;
}

export interface RequestLoopOptions<R extends { readonly type: string; readonly id: string }, P extends WorkProgress> {
  /** Says what the worker is in an unexpected failure ("The engine failed: …"). */
  readonly name: string;
  readonly isRequest: (message: unknown) => message is R;
  readonly handle: (request: Exclude<R, CancelRequest>, signal: AbortSignal, report: WorkReporter<P>) => Promise<unknown>;
  /** Work left after a request's `done` frame (a state save), run before the next request starts. */
  readonly after?: () => Promise<void>;
  readonly onDisconnect?: () => Promise<void>;
}

function send<P extends WorkProgress>(frame: WorkerFrame<P>): void {
  process.send?.(frame);
}

export function serveRequests<R extends { readonly type: string; readonly id: string }, P extends WorkProgress>(
  options: RequestLoopOptions<R, P>,
): { readonly idle: () => Promise<void> } {
  const controllers = new Map<string, AbortController>();
  let queue: Promise<void> = Promise.resolve();

  const run = async (request: Exclude<R, CancelRequest>, signal: AbortSignal): Promise<void> => {
    const { id } = request;
    const report: WorkReporter<P> = {
      progress: (progress) => send<P>({ ...progress, type: "progress", id }),
      token: (text) => send({ type: "token", id, text }),
      log: (level, message) => send({ type: "log", level, message }),
    };
    try {
      send({ type: "done", id, result: await options.handle(request, signal, report) });
    } catch (error) {
      if (signal.aborted) send({ type: "done", id, cancelled: true });
      else if (error instanceof RepoQaError) send({ type: "error", id, code: error.code, message: error.message });
      else {
        process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
        send({ type: "error", id, code: "internal", message: `The ${options.name} failed: ${firstLine(error)}` });
      }
    }
    try {
      await options.after?.();
    } catch (error) {
      report.log("warn", `after ${request.type}: ${firstLine(error)}`);
    }
  };

  process.on("message", (message: unknown) => {
    if (!options.isRequest(message)) {
      send({ type: "log", level: "warn", message: `the ${options.name} ignored a message that is not one of its requests` });
      return;
    }
    if (message.type === "cancel") {
      controllers.get((message as unknown as CancelRequest).targetId)?.abort();
      send({ type: "done", id: message.id, result: {} });
      return;
    }
    const request = message as Exclude<R, CancelRequest>;
    const controller = new AbortController();
    controllers.set(request.id, controller);
    queue = queue.then(() => run(request, controller.signal)).finally(() => controllers.delete(request.id));
  });
  process.on("disconnect", () => {
    void queue
      .then(() => options.onDisconnect?.())
      .catch(() => undefined)
      .finally(() => process.exit(0));
  });
  send({ type: "ready", pid: process.pid });
  return { idle: () => queue };
}
