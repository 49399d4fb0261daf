/**
 * The request loop both worker processes (engine, LongRoPE tools) share: requests run one at a time in arrival
 * order; a `cancel` acts at once on the request it names and is answered with an empty `done` frame.
 */
export interface CancelMessage {
  readonly type: "cancel";
  readonly id: string;
  readonly targetId: string;
}

export function serveRequests<R extends { readonly type: string; readonly id: string }>(
  accept: (message: unknown) => R | undefined,
  run: (request: Exclude<R, CancelMessage>, signal: AbortSignal) => Promise<void>,
): { readonly idle: () => Promise<void> } {
  const controllers = new Map<string, AbortController>();
  let queue: Promise<void> = Promise.resolve();
  process.on("message", (message: unknown) => {
    const request = accept(message);
    if (!request) return;
    if (request.type === "cancel") {
      controllers.get((request as unknown as CancelMessage).targetId)?.abort();
      process.send?.({ type: "done", id: request.id, result: {} });
      return;
    }
    const controller = new AbortController();
    controllers.set(request.id, controller);
    queue = queue
      .then(() => run(request as Exclude<R, CancelMessage>, controller.signal))
      .finally(() => controllers.delete(request.id));
  });
  return { idle: () => queue };
}
