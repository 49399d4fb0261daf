/**
 * The LongRoPE search on a real model: candidates are measured by perplexity on the search samples (truncated to the
 * target length) in the worker, starting from the model's PI, NTK and YaRN vectors, λ ∈ [1, 1.25·s].
 */
import { attentionScale, ntkFactors, piFactors, ropePairs, yarnFactors, type RopeFactorSet } from "../factors";
import { readModelRopeInfo } from "../modelShape";
import { longropeVariant, measurePerplexity } from "../perplexity";
import type { PplWorker } from "../pplWorker";
import { nHatChoices, type Candidate } from "./candidate";
import { SearchCheckpoint } from "./checkpoint";
import { evolutionarySearch, type EvolutionOptions, type EvolutionResult, type SearchProgress } from "./evolution";

export interface LongropeSearchOptions {
  readonly worker: PplWorker;
  readonly modelPath: string;
  readonly targetLength: number;
  /** Default: the model's (original) context length. */
  readonly originalContext?: number;
  /** "auto": n̂ is searched among the paper's choices; a number: fixed. */
  readonly nHat: "auto" | number;
  /** Token samples of at least `targetLength` tokens (longer ones are truncated). */
  readonly samples: readonly (readonly number[])[];
  /** Describes the samples in the checkpoint settings and the output (e.g. "3 generated stories, seed 7"). */
  readonly samplesLabel: string;
  readonly seed: number;
  readonly threads: number;
  readonly budgetSeconds?: number;
  readonly checkpointPath?: string;
  readonly scoreLast?: number;
  /** More starting candidates after PI, NTK and YaRN (e.g. an earlier search's best λ with each n̂). */
  readonly extraInitial?: readonly Candidate[];
  /** Fitnesses measured elsewhere on the same samples and settings (e.g. the n̂ = 0 search's), by candidate key. */
  readonly knownFitness?: ReadonlyMap<string, number>;
  /** Overrides of the paper's sizes (population 64, 16 + 16 per iteration from the top 32, 40 iterations). */
  readonly sizes?: Pick<EvolutionOptions, "populationSize" | "parents" | "mutations" | "crossovers" | "iterations">;
  readonly signal?: AbortSignal;
  readonly onProgress?: (progress: SearchProgress) => void;
}

export interface SearchedFactors extends RopeFactorSet {
  readonly method: "longrope";
  readonly targetLength: number;
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
    /** Perplexity of each starting vector on the search samples. */
    readonly baselines: Readonly<Record<string, number>>;
  };
}

export async function searchLongropeFactors(o: LongropeSearchOptions): Promise<SearchedFactors> {
  const info = await readModelRopeInfo(o.modelPath);
  const originalContext = o.originalContext ?? info.originalContext;
  const scale = o.targetLength / originalContext;
  const pairs = ropePairs(info.dimensionCount);
  const nHat = o.nHat === "auto" ? 0 : o.nHat;
  const initial: Candidate[] = [
    { factors: piFactors(scale, pairs), nHat },
    { factors: ntkFactors(scale, pairs, info.dimensionCount), nHat },
    { factors: yarnFactors(scale, pairs, { base: info.base, dimensionCount: info.dimensionCount, originalContext }), nHat },
    ...(o.extraInitial ?? []),
  ];
  const samples = o.samples.map((s) => s.slice(0, o.targetLength));
  const attnFactor = attentionScale(scale, originalContext);
  const checkpoint = o.checkpointPath
    ? await SearchCheckpoint.open(o.checkpointPath, {
      model: o.modelPath, targetLength: o.targetLength, originalContext, nHat: String(o.nHat), seed: o.seed,
      samples: o.samplesLabel, sizes: JSON.stringify(o.sizes ?? {}), scoreLast: o.scoreLast ?? 0,
      extraInitial: JSON.stringify(o.extraInitial ?? []),
    })
    : undefined;
  const fitness = async (c: Candidate, signal?: AbortSignal) => {
    const variant = longropeVariant({ factors: c.factors, nHat: c.nHat, attnFactor }, scale, originalContext, info.architecture);
    const result = await measurePerplexity(o.worker, o.modelPath, variant, samples, { threads: o.threads, scoreLast: o.scoreLast, signal });
    return result.ppl;
  };
  const result = await evolutionarySearch({
    ...o.sizes,
    initial,
    bounds: { min: 1, max: 1.25 * scale },
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
  const baselines = Object.fromEntries(["pi", "ntk", "yarn"].map((name, i) => [name, result.initial[i]?.fitness ?? NaN]));
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
