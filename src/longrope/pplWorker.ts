/**
 * The parent side of the LongRoPE worker: every worker's host (../util/workerHost.ts) typed with the LongRoPE
 * protocol, forking the bundled `longropeWorker.mjs` next to this file, or the TypeScript source through tsx when
 * running from source. A cancelled request rejects with the AbortError; a crash with `worker-crashed`.
 */
import { existsSync } from "node:fs";
import * as path from "node:path";
import { RepoQaError } from "../util/errors";
import { WorkerHost, type WorkerRequestOptions } from "../util/workerHost";
import type { PplProgress, PplRequest, PplResults } from "./pplProtocol";

export interface PplWorkerOptions {
  /** "cpu" (default) or "auto" (a GPU backend when node-llama-cpp finds one). */
  readonly gpu?: "auto" | "cpu";
  /** Receives the worker's stdout/stderr lines (llama.cpp logs). Default: dropped. */
  readonly log?: (line: string) => void;
}

type WorkType = Exclude<PplRequest["type"], "cancel">;
type Body<T extends WorkType> = Omit<Extract<PplRequest, { type: T }>, "type" | "id">;

function workerEntry(): string {
  const bundled = path.join(__dirname, "longropeWorker.mjs");
  if (existsSync(bundled)) return bundled;
  const source = path.join(__dirname, "worker.ts");
  if (existsSync(source)) return source;
  throw new RepoQaError(`The LongRoPE worker is missing next to ${__dirname}; rebuild with "npm run build".`, "internal");
}

export class PplWorker {
  private readonly host: WorkerHost<PplRequest, PplResults, PplProgress>;

  constructor(options: PplWorkerOptions = {}) {
    this.host = new WorkerHost({
      entry: workerEntry(),
      args: [`--gpu=${options.gpu ?? "cpu"}`],
      name: "LongRoPE worker",
      crashAdvice: "rerun the command, and if it repeats, try a smaller --lengths or another model",
      log: (_level, message) => options.log?.(message),
    });
  }

  get pid(): number | undefined {
    return this.host.pid;
  }

  request<T extends WorkType>(type: T, body: Body<T>, options: WorkerRequestOptions<PplProgress> = {}): Promise<PplResults[T]> {
    return this.host.request({ ...body, type } as unknown as Parameters<typeof this.host.request<T>>[0], options);
  }

  /** Stops the worker, letting it free its models first (killing it if it takes more than 5 s). */
  dispose(): Promise<void> {
    return this.host.dispose({ graceMs: 5000 });
  }
}
