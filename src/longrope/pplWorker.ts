/**
 * The parent side of the LongRoPE worker: forks it (the bundled `longropeWorker.mjs` next to this file, or the
 * TypeScript source through tsx when running from source), sends typed requests, and turns a crash into a
 * `worker-crashed` error and a cancellation into an AbortError.
 */
import { fork, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import * as path from "node:path";
import { RepoQaError } from "../util/errors";
import { isPplFrame, type PplFrame, type PplRequest, type PplResults } from "./pplProtocol";

export interface PplWorkerOptions {
  /** "cpu" (default) or "auto" (a GPU backend when node-llama-cpp finds one). */
  readonly gpu?: "auto" | "cpu";
  /** Receives the worker's stdout/stderr lines (llama.cpp logs). Default: dropped. */
  readonly log?: (line: string) => void;
}

interface Pending {
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: unknown) => void;
  readonly onProgress?: (message: string) => void;
}

type Body<T extends PplRequest["type"]> = Omit<Extract<PplRequest, { type: T }>, "type" | "id">;

function workerEntry(): { file: string; execArgv: string[] } {
  const bundled = path.join(__dirname, "longropeWorker.mjs");
  if (existsSync(bundled)) return { file: bundled, execArgv: [] };
  const source = path.join(__dirname, "worker.ts");
  if (existsSync(source)) return { file: source, execArgv: ["--import", "tsx"] };
  throw new RepoQaError(`The LongRoPE worker is missing next to ${__dirname}; rebuild with "npm run build".`, "internal");
}

export class PplWorker {
  private readonly child: ChildProcess;
  private readonly ready: Promise<void>;
  private readonly pending = new Map<string, Pending>();
  private nextId = 0;
  private exited = false;

  constructor(private readonly options: PplWorkerOptions = {}) {
    const entry = workerEntry();
    this.child = fork(entry.file, [`--gpu=${options.gpu ?? "cpu"}`], {
      execArgv: entry.execArgv,
      stdio: ["ignore", "pipe", "pipe", "ipc"],
      serialization: "advanced",
      env: { ...process.env, ...(process.versions.electron ? { ELECTRON_RUN_AS_NODE: "1" } : {}) },
    });
    const log = (data: Buffer) => options.log?.(data.toString().trimEnd());
    this.child.stdout?.on("data", log);
    this.child.stderr?.on("data", log);
    this.ready = new Promise((resolve, reject) => {
      this.child.on("message", (message: unknown) => {
        if (!isPplFrame(message)) return;
        if (message.type === "ready") resolve();
        else this.onFrame(message);
      });
      this.child.once("error", (e) => reject(new RepoQaError(`The LongRoPE worker could not start (${e.message}).`, "worker-crashed", { cause: e })));
      this.child.once("exit", (code, signal) => {
        this.exited = true;
        const error = new RepoQaError(`The LongRoPE worker stopped (${signal ?? `exit code ${code}`}); rerun the command, and if it repeats, try a smaller --lengths or another model.`, "worker-crashed");
        reject(error);
        for (const p of this.pending.values()) p.reject(error);
        this.pending.clear();
      });
    });
    this.ready.catch(() => undefined);
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  async request<T extends Exclude<PplRequest["type"], "cancel">>(
    type: T, body: Body<T>, options: { signal?: AbortSignal; onProgress?: (message: string) => void } = {},
  ): Promise<PplResults[T]> {
    options.signal?.throwIfAborted();
    await this.ready;
    const id = `r${this.nextId++}`;
    const onAbort = () => this.child.send({ type: "cancel", id: `c${id}`, targetId: id } satisfies PplRequest);
    try {
      return await new Promise<PplResults[T]>((resolve, reject) => {
        this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject, onProgress: options.onProgress });
        this.child.send({ type, id, ...body } as unknown as PplRequest);
        options.signal?.addEventListener("abort", onAbort, { once: true });
      });
    } catch (error) {
      if (options.signal?.aborted) throw options.signal.reason ?? new DOMException("Cancelled", "AbortError");
      throw error;
    } finally {
      options.signal?.removeEventListener("abort", onAbort);
    }
  }

  /** Stops the worker and waits for it to exit (killing it if it does not within 5 s). */
  async dispose(): Promise<void> {
    if (this.exited) return;
    const exited = new Promise<void>((resolve) => this.child.once("exit", () => resolve()));
    if (this.child.connected) this.child.disconnect();
    const timer = setTimeout(() => this.child.kill("SIGKILL"), 5000);
    await exited;
    clearTimeout(timer);
  }

  private onFrame(frame: Exclude<PplFrame, { type: "ready" }>): void {
    const pending = this.pending.get(frame.id);
    if (!pending) return;
    if (frame.type === "progress") return pending.onProgress?.(frame.message);
    this.pending.delete(frame.id);
    if (frame.type === "done") pending.resolve(frame.result);
    else pending.reject(new RepoQaError(`The LongRoPE worker failed: ${frame.message}.`, "internal"));
  }
}
