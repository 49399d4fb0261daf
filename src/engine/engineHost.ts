/**
 * The host side of the engine worker: forks it (ESM, Node IPC; `ELECTRON_RUN_AS_NODE` under Electron), sends typed
 * requests with ids and routes frames back. The child's stdout/stderr go to the log, never parsed. A dead worker
 * rejects every pending request with `worker-crashed` naming the exit code or signal; the next request forks a new
 * one, unless it died 5 times within 3 minutes, which is reported instead of retried forever.
 */
import { fork, type ChildProcess } from "node:child_process";
import { randomUUID } from "node:crypto";
import type { TokenCounter } from "../workspace/types";
import { RepoQaError, type RepoQaErrorCode } from "../util/errors";
import {
  isEngineFrame,
  type EngineErrorCode,
  type EngineFrame,
  type EngineRequest,
  type EngineResults,
  type LoadModelRequest,
  type LogFrame,
  type ProgressFrame,
} from "./protocol";

export type LogFn = (level: LogFrame["level"], message: string) => void;

export interface RequestOptions {
  readonly signal?: AbortSignal;
  readonly onProgress?: (frame: ProgressFrame) => void;
  readonly onToken?: (text: string) => void;
}

type WorkRequest = Exclude<EngineRequest, { type: "cancel" }>;
type RequestBody<K extends WorkRequest["type"]> = Omit<Extract<WorkRequest, { type: K }>, "id">;

interface Pending {
  readonly resolve: (result: unknown) => void;
  readonly reject: (error: Error) => void;
  readonly options: RequestOptions;
  /** Set for a loadModel request: a crash meanwhile names the file. */
  readonly modelPath?: string;
}

export const crashLimit = { crashes: 5, windowMs: 3 * 60_000 };

export class EngineHost implements TokenCounter {
  private child: ChildProcess | undefined;
  private ready: Promise<ChildProcess> | undefined;
  private readonly pending = new Map<string, Pending>();
  private crashTimes: number[] = [];
  private disposed = false;
  private disposing: Promise<void> | undefined;
  private stopping: ChildProcess | undefined;

  constructor(
    private readonly workerPath: string,
    private readonly log: LogFn,
  ) {}

  get pid(): number | undefined {
    return this.child?.pid;
  }

  async request<K extends WorkRequest["type"]>(body: RequestBody<K> & { type: K }, options: RequestOptions = {}): Promise<EngineResults[K]> {
    options.signal?.throwIfAborted();
    const child = await this.start();
    const id = randomUUID();
    return new Promise<EngineResults[K]>((resolve, reject) => {
      const onAbort = () => child.connected && child.send({ type: "cancel", id: randomUUID(), targetId: id } satisfies EngineRequest, () => undefined);
      options.signal?.addEventListener("abort", onAbort, { once: true });
      const cleanup = () => options.signal?.removeEventListener("abort", onAbort);
      this.pending.set(id, {
        resolve: (r) => (cleanup(), resolve(r as EngineResults[K])),
        reject: (e) => (cleanup(), reject(e)),
        options,
        ...(body.type === "loadModel" ? { modelPath: (body as unknown as LoadModelRequest).settings.modelPath } : {}),
      });
      child.send({ ...body, id } as unknown as EngineRequest, (error) => {
        if (!error) return;
        // Usually the process is dying: its exit rejects this request with what happened. Otherwise, say so here.
        setTimeout(() => {
          if (!this.pending.delete(id)) return;
          cleanup();
          reject(new RepoQaError(`The engine process cannot take requests (${error.message}); ask again to restart it.`, "worker-crashed", { cause: error }));
        }, 1000).unref();
      });
      if (options.signal?.aborted) onAbort();
    });
  }

  async countTokens(texts: readonly string[], signal?: AbortSignal): Promise<readonly number[]> {
    if (texts.length === 0) return [];
    return (await this.request({ type: "tokenize", texts }, { signal })).counts;
  }

  /** Kills the worker and waits until it has exited. */
  /**
   * Stops the worker for good. With `graceMs`, it first disconnects and gives the worker that long to finish what it
   * is doing (a saved-state write, so the next run skips re-reading the repo) before killing it.
   */
  dispose(options: { readonly graceMs?: number } = {}): Promise<void> {
    // Idempotent: the extension disposes through its subscriptions and deactivate(); the first call's grace counts.
    this.disposing ??= this.shutDown(options);
    return this.disposing;
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

  /** Kills the current worker (the next request starts a new one); resolves once it has exited. */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    this.stopping = child;
    child.kill("SIGKILL");
    await exited;
  }

  private start(): Promise<ChildProcess> {
    if (this.disposed) return Promise.reject(new RepoQaError("The engine has been shut down.", "internal"));
    if (this.ready) return this.ready;
    const now = Date.now();
    this.crashTimes = this.crashTimes.filter((t) => now - t < crashLimit.windowMs);
    if (this.crashTimes.length >= crashLimit.crashes) {
      return Promise.reject(
        new RepoQaError(
          `The engine process stopped ${this.crashTimes.length} times in 3 minutes, so it is not restarted; check the log, then reload the window (or rerun the command).`,
          "worker-crashed",
        ),
      );
    }
    const child = fork(this.workerPath, [], {
      stdio: ["ignore", "pipe", "pipe", "ipc"],
      env: { ...process.env, ...(process.versions.electron ? { ELECTRON_RUN_AS_NODE: "1" } : {}) },
      serialization: "json",
      // Not the host's flags: an extension host under a debugger has --inspect, a test runner --import tsx.
      execArgv: [],
    });
    this.child = child;
    child.stdout?.on("data", (data: Buffer) => this.log("debug", `[engine stdout] ${data.toString().trimEnd()}`));
    child.stderr?.on("data", (data: Buffer) => this.log("debug", `[engine] ${data.toString().trimEnd()}`));
    const ready = new Promise<ChildProcess>((resolve, reject) => {
      child.on("message", (message: unknown) => {
        if (!isEngineFrame(message)) return;
        if (message.type === "ready") resolve(child);
        else this.onFrame(message);
      });
      child.on("error", (error) => {
        this.log("error", `engine process: ${error.message}`);
        reject(new RepoQaError(`The engine process could not start (${error.message}).`, "worker-crashed", { cause: error }));
      });
      child.once("exit", (code, signal) => {
        const error = this.onExit(child, code, signal);
        reject(error);
      });
    });
    this.ready = ready;
    ready.catch(() => undefined);
    return ready;
  }

  private onFrame(frame: Exclude<EngineFrame, { type: "ready" }>): void {
    if (frame.type === "log") return this.log(frame.level, frame.message);
    const pending = this.pending.get(frame.id);
    if (!pending) return;
    if (frame.type === "progress") pending.options.onProgress?.(frame);
    else if (frame.type === "token") pending.options.onToken?.(frame.text);
    else if (frame.type === "done") {
      this.pending.delete(frame.id);
      pending.resolve(frame.result);
    } else {
      this.pending.delete(frame.id);
      pending.reject(new RepoQaError(frame.message, toErrorCode(frame.code)));
    }
  }

  /**
   * What a crash means for the user. "Ask again" only where it can help: a crash while a model loads is llama.cpp
   * rejecting that file (an assertion aborts the process), so the file is named instead; and the crash that reaches
   * the limit says that no restart follows.
   */
  private crashError(code: number | null, signal: NodeJS.Signals | null): RepoQaError {
    const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
    const now = Date.now();
    if (this.crashTimes.filter((t) => now - t < crashLimit.windowMs).length >= crashLimit.crashes) {
      return new RepoQaError(
        `The engine process ${how}, its ${crashLimit.crashes}th stop in 3 minutes, so it is not restarted; check the log, then reload the window (or rerun the command).`,
        "worker-crashed",
      );
    }
    const loading = [...this.pending.values()].find((p) => p.modelPath !== undefined)?.modelPath;
    // An assertion aborts; a malformed file can also fault. A SIGKILL (the OOM killer, Stop) says nothing about the file.
    if (loading !== undefined && (signal === "SIGABRT" || signal === "SIGSEGV" || signal === "SIGBUS" || signal === "SIGFPE")) {
      return new RepoQaError(
        `The engine process ${how} while loading ${loading}: llama.cpp rejected this model file. Set longropeQa.modelPath (or --model) to another GGUF file.`,
        "model-invalid",
      );
    }
    return new RepoQaError(`The engine process ${how}; ask again to restart it.`, "worker-crashed");
  }

  private onExit(child: ChildProcess, code: number | null, signal: NodeJS.Signals | null): RepoQaError {
    if (this.child === child) {
      this.child = undefined;
      this.ready = undefined;
    }
    const intended = this.disposed || this.stopping === child;
    if (!intended) this.crashTimes.push(Date.now());
    const error = intended ? new RepoQaError("The engine process was stopped.", "worker-crashed") : this.crashError(code, signal);
    if (!intended) this.log("error", error.message);
    const pending = [...this.pending.values()];
    this.pending.clear();
    for (const p of pending) p.reject(error);
    return error;
  }
}

function toErrorCode(code: EngineErrorCode): RepoQaErrorCode {
  return code === "bad-request" ? "bad-input" : code;
}
