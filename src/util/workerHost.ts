/**
 * The host side of a worker process, for every worker (engine, LongRoPE tools): forks it (ESM, JSON over Node IPC;
 * `ELECTRON_RUN_AS_NODE` under Electron; through tsx when it is TypeScript source), waits for its `ready` frame, sends
 * typed requests with ids and routes `progress` / `token` frames to the request's callbacks until its one `done` or
 * `error` frame. The child's stdout/stderr go to the log, never parsed.
 *
 * Aborting a request's signal sends `cancel`; the request then resolves with the worker's partial result when it sent
 * one (an answer with `cancelled: true`), else rejects with the signal's AbortError, the platform's way.
 *
 * Crash policy: a dead worker rejects every pending request with `worker-crashed` naming the exit code or signal; the
 * next request forks a new one, unless it died `crashLimit.crashes` times within `crashLimit.windowMs`, which is
 * reported instead of retried forever. `dispose` is idempotent and may let the worker finish what it is doing first.
 */
import { fork, type ChildProcess } from "node:child_process";
import { randomUUID } from "node:crypto";
import { RepoQaError } from "./errors";
import { isWorkerFrame, type CancelRequest, type LogLevel, type ProgressFrameOf, type WorkProgress, type WorkerFrame } from "./workerProtocol";

export type LogFn = (level: LogLevel, message: string) => void;

export interface WorkerRequestOptions<P extends WorkProgress> {
  readonly signal?: AbortSignal;
  readonly onProgress?: (frame: ProgressFrameOf<P>) => void;
  readonly onToken?: (text: string) => void;
}

export interface WorkerHostOptions {
  /** The worker's module: a bundled `.mjs`/`.js`, or a `.ts` source run through tsx (tests, scripts). */
  readonly entry: string;
  readonly args?: readonly string[];
  /** What the user calls it in a sentence: "engine process", "LongRoPE worker". */
  readonly name: string;
  readonly log: LogFn;
  /** What to do after a crash, ending the sentence; default: "ask again to restart it". */
  readonly crashAdvice?: string;
  /** Default: 5 crashes within 3 minutes. */
  readonly crashLimit?: { readonly crashes: number; readonly windowMs: number };
  /**
   * What a crash means when the requests in flight say more than "it crashed" (the engine: a model file that
   * llama.cpp aborts on while loading). Undefined: the plain sentence with `crashAdvice`.
   */
  readonly explainCrash?: (crash: { readonly how: string; readonly signal: NodeJS.Signals | null }, inFlight: readonly { readonly type: string }[]) => RepoQaError | undefined;
}

export const defaultCrashLimit = { crashes: 5, windowMs: 3 * 60_000 };

interface Pending {
  readonly resolve: (result: unknown) => void;
  readonly reject: (error: Error) => void;
  readonly options: WorkerRequestOptions<WorkProgress>;
  /** The request as sent, for `explainCrash`. */
  readonly body: { readonly type: string };
}

type WorkRequest<R> = Exclude<R, CancelRequest>;
type RequestBody<R, K> = Omit<Extract<WorkRequest<R>, { type: K }>, "id">;

export class WorkerHost<R extends { readonly type: string; readonly id: string }, Results extends { [K in WorkRequest<R>["type"]]: unknown }, P extends WorkProgress> {
  private child: ChildProcess | undefined;
  private ready: Promise<ChildProcess> | undefined;
  private readonly pending = new Map<string, Pending>();
  private crashTimes: number[] = [];
  private disposed = false;
  private disposing: Promise<void> | undefined;
  private stopping: ChildProcess | undefined;

  constructor(private readonly options: WorkerHostOptions) {}

  get pid(): number | undefined {
    return this.child?.pid;
  }

  async request<K extends WorkRequest<R>["type"]>(body: RequestBody<R, K> & { readonly type: K }, options: WorkerRequestOptions<P> = {}): Promise<Results[K]> {
    options.signal?.throwIfAborted();
    const child = await this.start();
    const id = randomUUID();
    return new Promise<Results[K]>((resolve, reject) => {
      const onAbort = () => {
        const cancel: CancelRequest = { type: "cancel", id: randomUUID(), targetId: id };
        if (child.connected) child.send(cancel, () => undefined);
      };
      options.signal?.addEventListener("abort", onAbort, { once: true });
      const cleanup = () => options.signal?.removeEventListener("abort", onAbort);
      this.pending.set(id, {
        resolve: (r) => (cleanup(), resolve(r as Results[K])),
        reject: (e) => (cleanup(), reject(e)),
        options: options as WorkerRequestOptions<WorkProgress>,
        body,
      });
      child.send({ ...body, id }, (error) => {
        if (!error) return;
        // Usually the process is dying: its exit rejects this request with what happened. Otherwise, say so here.
        setTimeout(() => {
          if (!this.pending.delete(id)) return;
          cleanup();
          reject(new RepoQaError(`The ${this.options.name} cannot take requests (${error.message}); ${this.advice}.`, "worker-crashed", { cause: error }));
        }, 1000).unref();
      });
      // Aborted while the worker was starting: the listener came too late to hear it.
      if (options.signal?.aborted) onAbort();
    });
  }

  /**
   * Stops the worker for good. With `graceMs`, it first disconnects and gives the worker that long to finish what it
   * is doing (a saved-state write, so the next run skips re-reading the repo) before killing it. Idempotent: the
   * first call's grace counts (the extension disposes through its subscriptions and through deactivate()).
   */
  dispose(options: { readonly graceMs?: number } = {}): Promise<void> {
    this.disposing ??= this.shutDown(options);
    return this.disposing;
  }

  /** Kills the current worker (the next request starts a new one); resolves once it has exited. */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    this.stopping = child;
    child.kill("SIGKILL");
    await exited;
  }

  private get advice(): string {
    return this.options.crashAdvice ?? "ask again to restart it";
  }

  private async shutDown(options: { readonly graceMs?: number }): Promise<void> {
    this.disposed = true;
    const child = this.child;
    if (options.graceMs && child?.connected && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<boolean>((resolve) => child.once("exit", () => resolve(true)));
      child.disconnect();
      const timer = new Promise<boolean>((resolve) => setTimeout(resolve, options.graceMs, false).unref());
      if (await Promise.race([exited, timer])) return;
    }
    await this.stop();
  }

  private start(): Promise<ChildProcess> {
    const { name } = this.options;
    if (this.disposed) return Promise.reject(new RepoQaError(`The ${name} has been shut down.`, "internal"));
    if (this.ready) return this.ready;
    const limit = this.options.crashLimit ?? defaultCrashLimit;
    const now = Date.now();
    this.crashTimes = this.crashTimes.filter((t) => now - t < limit.windowMs);
    if (this.crashTimes.length >= limit.crashes) {
      const minutes = Math.round(limit.windowMs / 60_000);
      return Promise.reject(
        new RepoQaError(
          `The ${name} stopped ${this.crashTimes.length} times in ${minutes} minutes, so it is not restarted; check the log, then reload the window (or rerun the command).`,
          "worker-crashed",
        ),
      );
    }
    const entry = this.options.entry;
    const child = fork(entry, [...(this.options.args ?? [])], {
      stdio: ["ignore", "pipe", "pipe", "ipc"],
      env: { ...process.env, ...(process.versions.electron ? { ELECTRON_RUN_AS_NODE: "1" } : {}) },
      serialization: "json",
      // Not the host's flags (an extension host under a debugger has --inspect, a test runner --import tsx), except
      // tsx for a TypeScript entry.
      execArgv: entry.endsWith(".ts") ? ["--import", "tsx"] : [],
    });
    this.child = child;
    child.stdout?.on("data", (data: Buffer) => this.options.log("debug", `[${name} stdout] ${data.toString().trimEnd()}`));
    child.stderr?.on("data", (data: Buffer) => this.options.log("debug", `[${name}] ${data.toString().trimEnd()}`));
    const ready = new Promise<ChildProcess>((resolve, reject) => {
      child.on("message", (message: unknown) => {
        if (!isWorkerFrame(message)) return this.options.log("warn", `ignored a message from the ${name} that is not a frame`);
        if (message.type === "ready") resolve(child);
        else this.onFrame(message as Exclude<WorkerFrame<P>, { type: "ready" }>);
      });
      child.on("error", (error) => {
        this.options.log("error", `${name}: ${error.message}`);
        reject(new RepoQaError(`The ${name} could not start (${error.message}).`, "worker-crashed", { cause: error }));
      });
      child.once("exit", (code, signal) => reject(this.onExit(child, code, signal)));
    });
    this.ready = ready;
    ready.catch(() => undefined);
    return ready;
  }

  /** "Ask again" only where it can help: the crash that reaches the limit says that no restart follows. */
  private crashError(code: number | null, signal: NodeJS.Signals | null): RepoQaError {
    const { name } = this.options;
    const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
    const limit = this.options.crashLimit ?? defaultCrashLimit;
    const now = Date.now();
    const recent = this.crashTimes.filter((t) => now - t < limit.windowMs).length;
    if (recent >= limit.crashes) {
      return new RepoQaError(
        `The ${name} ${how}, its ${ordinal(recent)} stop in ${Math.round(limit.windowMs / 60_000)} minutes, so it is not restarted; check the log, then reload the window (or rerun the command).`,
        "worker-crashed",
      );
    }
    const inFlight = [...this.pending.values()].map((p) => p.body);
    return this.options.explainCrash?.({ how, signal }, inFlight) ?? new RepoQaError(`The ${name} ${how}; ${this.advice}.`, "worker-crashed");
  }

  private onFrame(frame: Exclude<WorkerFrame<P>, { type: "ready" }>): void {
    if (frame.type === "log") return this.options.log(frame.level, frame.message);
    const pending = this.pending.get(frame.id);
    if (!pending) return;
    if (frame.type === "progress") pending.options.onProgress?.(frame);
    else if (frame.type === "token") pending.options.onToken?.(frame.text);
    else {
      this.pending.delete(frame.id);
      if (frame.type === "error") pending.reject(new RepoQaError(frame.message, frame.code));
      else if (frame.result !== undefined) pending.resolve(frame.result);
      else pending.reject(abortReason(pending.options.signal));
    }
  }

  private onExit(child: ChildProcess, code: number | null, signal: NodeJS.Signals | null): RepoQaError {
    if (this.child === child) {
      this.child = undefined;
      this.ready = undefined;
    }
    const intended = this.disposed || this.stopping === child;
    if (!intended) this.crashTimes.push(Date.now());
    const error = intended ? new RepoQaError(`The ${this.options.name} was stopped.`, "worker-crashed") : this.crashError(code, signal);
    if (!intended) this.options.log("error", error.message);
    const pending = [...this.pending.values()];
    this.pending.clear();
    for (const p of pending) p.reject(error);
    return error;
  }
}

function ordinal(n: number): string {
  const tens = n % 100;
  const suffix = tens >= 11 && tens <= 13 ? "th" : (["th", "st", "nd", "rd"][n % 10] ?? "th");
  return `${n}${suffix}`;
}

function abortReason(signal: AbortSignal | undefined): Error {
  const reason: unknown = signal?.reason;
  return reason instanceof Error ? reason : new DOMException("The operation was aborted.", "AbortError");
}
