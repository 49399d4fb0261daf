/**
 * The host side of the engine worker: every worker's host (../util/workerHost.ts) typed with the engine's protocol,
 * plus the tokenizer the packer counts with.
 */
import type { TokenCounter } from "../workspace/types";
import { WorkerHost, type LogFn } from "../util/workerHost";
import type { EngineProgress, EngineRequest, EngineResults } from "./protocol";

export type { LogFn };

export class EngineHost extends WorkerHost<EngineRequest, EngineResults, EngineProgress> implements TokenCounter {
  /** `workerPath`: the bundled `engineWorker.mjs` (or `src/engine/worker.ts`, run through tsx). */
  constructor(workerPath: string, log: LogFn) {
    super({ entry: workerPath, name: "engine process", log });
  }

  async countTokens(texts: readonly string[], signal?: AbortSignal): Promise<readonly number[]> {
    if (texts.length === 0) return [];
    return (await this.request({ type: "tokenize", texts }, { signal })).counts;
  }
}
