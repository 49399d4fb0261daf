/**
 * The host side of the engine worker: every worker's host (../util/workerHost.ts) typed with the engine's protocol,
 * plus the tokenizer the packer counts with.
 */
import type { TokenCounter } from "../workspace/types";
import { WorkerHost, type LogFn } from "../util/workerHost";
import { RepoQaError } from "../util/errors";
import type { EngineProgress, EngineRequest, EngineResults, LoadModelRequest } from "./protocol";

/** An assertion aborts; a malformed file can also fault. A SIGKILL (the OOM killer, Stop) says nothing about the file. */
const fileFaults = new Set<string>(["SIGABRT", "SIGSEGV", "SIGBUS", "SIGFPE"]);

export type { LogFn };

export class EngineHost extends WorkerHost<EngineRequest, EngineResults, EngineProgress> implements TokenCounter {
  /** `workerPath`: the bundled `engineWorker.mjs` (or `src/engine/worker.ts`, run through tsx). */
  constructor(workerPath: string, log: LogFn) {
    super({
      entry: workerPath,
      name: "engine process",
      log,
      // A crash while a model loads is llama.cpp rejecting that file: name the file instead of "ask again".
      explainCrash: ({ how, signal }, inFlight) => {
        const loading = inFlight.find((r): r is LoadModelRequest => r.type === "loadModel");
        if (!loading || !signal || !fileFaults.has(signal)) return undefined;
        return new RepoQaError(
          `The engine process ${how} while loading ${loading.settings.modelPath}: llama.cpp rejected this model file. Set longropeQa.modelPath (or --model) to another GGUF file.`,
          "model-invalid",
        );
      },
    });
  }

  async countTokens(texts: readonly string[], signal?: AbortSignal): Promise<readonly number[]> {
    if (texts.length === 0) return [];
    return (await this.request({ type: "tokenize", texts }, { signal })).counts;
  }
}
