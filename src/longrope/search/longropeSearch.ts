/**
 * The LongRoPE search on a real model: candidates are measured by perplexity over several search documents (each
 * truncated to the target length, every scored position counts, not one sample's tail) in the worker. Every vector is
 * absolute against the model's ORIGINAL window, λ ∈ [1, 1.25·s'] with s' = target ÷ original window, and the search
 * starts from PI, NTK, YaRN (both ramps: the paper's and llama.cpp's) and, for a model that ships long factors, its
 * own factors rescaled to s' by the paper's rule, so it extends what the model already has.
 */
import {
  attentionScale, ntkFactors, piFactors, rescaleFactors, ropePairs, yarnFactors, yarnLlamaCppFactors, type RopeFactorSet,
} from "../factors";
import { readModelRopeInfo, shippedScale, shipsLongFactors, type ModelRopeInfo } from "../modelShape";
import { longropeVariant, measurePerplexity } from "../perplexity";
import type { PplWorker } from "../pplWorker";
import { nHatChoices, type Candidate } from "./candidate";
import { SearchCheckpoint } from "./checkpoint";
import { evolutionarySearch, type EvolutionOptions, type EvolutionResult, type SearchProgress } from "./evolution";

/** Documents each fitness averages over unless told otherwise: the paper scores several long documents, not one. */
export const DEFAULT_SEARCH_SAMPLES = 3;

export interface LongropeSearchOptions {
  readonly worker: PplWorker;
  readonly modelPath: string;
  readonly targetLength: number;
  /** Default: the model's original window (`ModelRopeInfo.originalContext`). */
  readonly originalContext?: number;
  /** "auto": n̂ is searched among the paper's choices; a number: fixed. */
  readonly nHat: "auto" | number;
  /** Token samples of at least `targetLength` tokens (longer ones are truncated); the paper uses several documents. */
  readonly samples: readonly (readonly number[])[];
  /** Describes the samples in the checkpoint settings and the output (e.g. "3 generated stories, seed 7"). */
  readonly samplesLabel: string;
  readonly seed: number;
  readonly threads: number;
  readonly budgetSeconds?: number;
  readonly checkpointPath?: string;
  /** Score every this many positions of each sample (see `scoringStride`). Default: 1. */
  readonly scoreEvery?: number;
  /** llama.cpp's flash attention for every fitness. Default: false. */
  readonly flashAttention?: boolean;
  /**
   * "long" (default): the factors used beyond the original window. "short": the phi3 short-factor readjustment (paper
   * §3.3): factors for contexts up to the original window, searched at `targetLength` = that window with the long
   * model's attention factor (llama.cpp applies it at every length), starting from the model's short factors.
   */
  readonly slot?: "long" | "short";
  /** Default: sqrt(1 + ln s' / ln L_orig). */
  readonly attnFactor?: number;
  /** More starting candidates (e.g. an earlier stage's best, rescaled; an earlier search's best λ with each n̂). */
  readonly extraInitial?: readonly Candidate[];
  /** Fitnesses measured elsewhere on the same samples and settings (e.g. the n̂ = 0 search's), by candidate key. */
  readonly knownFitness?: ReadonlyMap<string, number>;
  /** Overrides of the paper's sizes (population 64, 16 + 16 per iteration from the top 32, 40 iterations). */
  readonly sizes?: Pick<EvolutionOptions, "populationSize" | "parents" | "mutations" | "crossovers" | "iterations">;
  readonly signal?: AbortSignal;
  readonly onProgress?: (progress: SearchProgress) => void;
}

/** The starting vectors at ratio `scale` (the paper's PI/NTK/YaRN, llama.cpp's YaRN, the model's own rescaled). */
export function initialVectors(info: ModelRopeInfo, scale: number, originalContext: number): Record<string, number[]> {
  const pairs = ropePairs(info.dimensionCount);
  const yarn = { base: info.base, dimensionCount: info.dimensionCount, originalContext };
  const vectors: Record<string, number[]> = {
    pi: piFactors(scale, pairs),
    ntk: ntkFactors(scale, pairs, info.dimensionCount),
    yarn: yarnFactors(scale, pairs, yarn),
    "yarn-llama.cpp": yarnLlamaCppFactors(scale, pairs, yarn),
  };
  if (shipsLongFactors(info) && info.originalContext === originalContext && scale > 1) {
    vectors["model-rescaled"] = rescaleFactors(info.longFactors, shippedScale(info), scale);
  }
  return vectors;
}

export interface SearchedFactors extends RopeFactorSet {
  readonly method: "longrope";
  readonly targetLength: number;
  /** Which factor set these are ("short": the readjusted set for contexts up to the original window). */
  readonly slot: "long" | "short";
  /** Perplexity of the best candidate on the search samples. */
  readonly ppl: number;
  readonly source: string;
  readonly search: {
    readonly seed: number;
    readonly evaluations: number;
    readonly iterations: number;
    readonly stoppedBy: EvolutionResult["stoppedBy"];
    readonly seconds: number;
    readonly history: readonly number[];
    /** Perplexity of each starting vector on the search samples, by name (pi, ntk, yarn, yarn-llama.cpp, model-rescaled). */
    readonly baselines: Readonly<Record<string, number>>;
  };
}

export async function searchLongropeFactors(o: LongropeSearchOptions): Promise<SearchedFactors> {
  const info = await readModelRopeInfo(o.modelPath);
  const originalContext = o.originalContext ?? info.originalContext;
  const slot = o.slot ?? "long";
  const scale = o.targetLength / originalContext;
  const nHat = o.nHat === "auto" ? 0 : o.nHat;
  const pairs = ropePairs(info.dimensionCount);
  const starts: Record<string, number[]> = slot === "long"
    ? initialVectors(info, scale, originalContext)
    : { ones: new Array<number>(pairs).fill(1), ...(info.shortFactors ? { "model-short": [...info.shortFactors] } : {}) };
  const initial: Candidate[] = [...Object.values(starts).map((factors) => ({ factors, nHat })), ...(o.extraInitial ?? [])];
  // The worker's context is one cell longer than a sample (llama.cpp rounds it up to 256): a short-slot sample keeps
  // one token less than the original window, so that its context is not above it and llama.cpp picks the short set.
  const samples = o.samples.map((s) => s.slice(0, slot === "short" ? o.targetLength - 1 : o.targetLength));
  const attnFactor = o.attnFactor ?? attentionScale(scale, originalContext);
  // The short slot searches at the original window (s' = 1); its bounds still allow the long ratio.
  const maxFactor = 1.25 * Math.max(scale, slot === "short" ? info.contextLength / originalContext : 1);
  const checkpoint = o.checkpointPath
    ? await SearchCheckpoint.open(o.checkpointPath, {
      model: o.modelPath, targetLength: o.targetLength, originalContext, nHat: String(o.nHat), seed: o.seed,
      samples: o.samplesLabel, sizes: JSON.stringify(o.sizes ?? {}), scoreEvery: o.scoreEvery ?? 1, slot, flashAttention: o.flashAttention ?? false,
      attnFactor, extraInitial: JSON.stringify(o.extraInitial ?? []),
    })
    : undefined;
  const fitness = async (c: Candidate, signal?: AbortSignal) => {
    const variant = longropeVariant({ factors: c.factors, nHat: c.nHat, attnFactor, slot }, scale, originalContext, info.architecture);
    const result = await measurePerplexity(o.worker, o.modelPath, variant, samples, { threads: o.threads, scoreEvery: o.scoreEvery, flashAttention: o.flashAttention, signal });
    return result.ppl;
  };
  const result = await evolutionarySearch({
    ...o.sizes,
    initial,
    bounds: { min: 1, max: maxFactor },
    fitness,
    seed: o.seed,
    nHatChoices: o.nHat === "auto" ? nHatChoices : undefined,
    budgetMs: o.budgetSeconds === undefined ? undefined : o.budgetSeconds * 1000,
    elapsedBeforeMs: checkpoint?.elapsed,
    known: new Map([...(o.knownFitness ?? []), ...(checkpoint?.known() ?? [])]),
    onEvaluated: checkpoint ? (c, elapsed) => checkpoint.record(c, elapsed) : undefined,
    onProgress: o.onProgress,
    signal: o.signal,
  });
  const baselines = Object.fromEntries(Object.keys(starts).map((name, i) => [name, result.initial[i]?.fitness ?? NaN]));
  return {
    method: "longrope",
    scale,
    factors: [...result.best.factors],
    nHat: result.best.nHat,
    originalContext,
    attnFactor,
    targetLength: o.targetLength,
    ppl: result.best.fitness,
    source: `searched on ${o.samplesLabel}, ${o.targetLength} tokens`,
    slot,
    search: {
      seed: o.seed,
      evaluations: result.evaluations,
      iterations: result.iterationsDone,
      stoppedBy: result.stoppedBy,
      seconds: Math.round(result.elapsedMs) / 1000,
      history: result.history,
      baselines,
    },
  };
}
