/**
 * The LongRoPE search on a text, for the VS Code command: the search itself (pure JS) runs in the calling process,
 * each perplexity in the LongRoPE worker process (a native crash there becomes a `worker-crashed` error, never the
 * editor's). Progress comes as typed values from the search, not as lines read back from a child's stderr.
 */
import { scoringStride } from "./perplexity";
import { textSamples } from "./corpus";
import { defaultThreads } from "./commandSupport";
import { PplWorker } from "./pplWorker";
import { DEFAULT_SEARCH_SAMPLES, searchLongropeFactors, type SearchedFactors } from "./search/longropeSearch";

export interface FactorSearchOptions {
  readonly modelPath: string;
  /** Text the search optimises perplexity on (e.g. the packed workspace). */
  readonly textPath: string;
  readonly targetContext: number;
  readonly originalContext: number;
  readonly budgetSeconds: number;
  /** Default: the CLI's (up to 4). */
  readonly threads?: number;
  readonly signal?: AbortSignal;
  readonly onProgress?: (progress: FactorSearchProgress) => void;
  /** llama.cpp's log lines from the worker. */
  readonly log?: (line: string) => void;
}

export type FactorSearchProgress =
  | { readonly phase: "samples" }
  | { readonly phase: "search"; readonly iteration: number; readonly iterations: number; readonly evaluations: number; readonly bestPpl?: number };

/** Resolves with the searched factors; rejects with the AbortError when `signal` aborts (the worker is stopped). */
export async function searchFactors(o: FactorSearchOptions): Promise<SearchedFactors> {
  o.signal?.throwIfAborted();
  const worker = new PplWorker({ log: o.log });
  const threads = o.threads ?? defaultThreads();
  try {
    o.onProgress?.({ phase: "samples" });
    const samples = await textSamples({ worker, modelPath: o.modelPath, textPath: o.textPath, sampleTokens: o.targetContext, searchCount: DEFAULT_SEARCH_SAMPLES, evalCount: 0, signal: o.signal });
    const factors = await searchLongropeFactors({
      worker, modelPath: o.modelPath, targetLength: o.targetContext, originalContext: o.originalContext, nHat: 0,
      samples: samples.search, samplesLabel: `${samples.search.length} sample(s) of ${samples.source}`, seed: 1, threads,
      budgetSeconds: o.budgetSeconds, scoreEvery: await scoringStride(o.modelPath), signal: o.signal,
      onProgress: (p) => o.onProgress?.({ phase: "search", iteration: p.iteration, iterations: p.iterations, evaluations: p.evaluations, ...(p.best ? { bestPpl: p.best.fitness } : {}) }),
    });
    // The search answers a cancel with its best so far; this command keeps nothing from a cancelled run.
    o.signal?.throwIfAborted();
    return factors;
  } catch (error) {
    // Cancelled before anything was measured, the search says it evaluated nothing: the cancel is the answer.
    o.signal?.throwIfAborted();
    throw error;
  } finally {
    await worker.dispose();
  }
}
