/**
 * LongRoPE's evolutionary search over per-pair factors (and optionally n̂). The population starts from the given
 * vectors (PI, NTK, YaRN) plus mutations of them; each iteration adds mutations and crossovers of the best `parents`
 * and keeps the best `populationSize`. Lower fitness is better (perplexity).
 *
 * Every random draw comes from one seeded generator and every fitness goes through `known` first, so a run resumed
 * with the fitnesses of an earlier one replays the same candidates at no cost and continues where it stopped.
 */
import { elementAt } from "../../util/elementAt";
import { isMonotonic } from "../factors";
import { candidateKey, crossover, mutate, normalizeCandidate, type Bounds, type Candidate } from "./candidate";
import { SeededRandom } from "./random";

export interface ScoredCandidate extends Candidate {
  readonly fitness: number;
}

export interface SearchProgress {
  readonly iteration: number;
  readonly iterations: number;
  readonly evaluations: number;
  readonly best: ScoredCandidate | undefined;
  readonly elapsedMs: number;
}

export interface EvolutionOptions {
  /** The starting vectors (the paper: PI, NTK, YaRN). */
  readonly initial: readonly Candidate[];
  readonly bounds: Bounds;
  /** Lower is better; non-finite means unusable. Called only for monotonic candidates, once per candidate. */
  readonly fitness: (candidate: Candidate, signal?: AbortSignal) => Promise<number>;
  readonly seed: number;
  /** Default: 64. */
  readonly populationSize?: number;
  /** Default: 32. */
  readonly parents?: number;
  /** Per iteration. Default: 16. */
  readonly mutations?: number;
  /** Per iteration. Default: 16. */
  readonly crossovers?: number;
  /** Default: 40. */
  readonly iterations?: number;
  /** Per dimension. Default: 0.3. */
  readonly mutationProbability?: number;
  /** When given, n̂ is searched among these values; otherwise it stays as in the initial vectors. */
  readonly nHatChoices?: readonly number[];
  /** Stops starting new evaluations once this much time has passed (counting `elapsedBeforeMs`). */
  readonly budgetMs?: number;
  readonly elapsedBeforeMs?: number;
  /** Fitnesses already measured (by candidate key), e.g. from a checkpoint. */
  readonly known?: ReadonlyMap<string, number>;
  readonly onEvaluated?: (candidate: ScoredCandidate, elapsedMs: number) => void | Promise<void>;
  readonly onProgress?: (progress: SearchProgress) => void;
  readonly signal?: AbortSignal;
  /** Milliseconds clock (tests replace it). Default: performance.now. */
  readonly now?: () => number;
}

export interface EvolutionResult {
  readonly best: ScoredCandidate;
  /** Sorted, best first. */
  readonly population: readonly ScoredCandidate[];
  readonly evaluations: number;
  readonly iterationsDone: number;
  readonly stoppedBy: "iterations" | "budget" | "cancelled";
  readonly elapsedMs: number;
  /** Best fitness after the initial population (iteration 0) and after each iteration. */
  readonly history: readonly number[];
  /** The starting vectors as searched (clamped, rounded) with their fitness, in the order given; undefined if not reached. */
  readonly initial: readonly (ScoredCandidate | undefined)[];
}

class Stop extends Error {
  constructor(readonly reason: "budget" | "cancelled") {
    super(reason);
  }
}

export async function evolutionarySearch(o: EvolutionOptions): Promise<EvolutionResult> {
  const size = o.populationSize ?? 64;
  const parents = o.parents ?? 32;
  const iterations = o.iterations ?? 40;
  const variation = { bounds: o.bounds, probability: o.mutationProbability ?? 0.3, nHatChoices: o.nHatChoices };
  const rng = new SeededRandom(o.seed);
  const now = o.now ?? (() => performance.now());
  const started = now() - (o.elapsedBeforeMs ?? 0);
  const scored = new Map<string, ScoredCandidate>();
  let population: ScoredCandidate[] = [];
  let evaluations = 0;
  let iterationsDone = 0;
  const history: number[] = [];

  const evaluate = async (candidate: Candidate): Promise<ScoredCandidate> => {
    const key = candidateKey(candidate);
    const seen = scored.get(key);
    if (seen) return seen;
    let fitness = o.known?.get(key);
    if (fitness === undefined) {
      if (o.signal?.aborted) throw new Stop("cancelled");
      // The first candidate is always measured, so that even a tiny budget has an answer.
      if (o.budgetMs !== undefined && scored.size > 0 && now() - started >= o.budgetMs) throw new Stop("budget");
      fitness = await o.fitness(candidate, o.signal).catch((e) => {
        if (o.signal?.aborted) throw new Stop("cancelled");
        throw e;
      });
      evaluations++;
    }
    const result = { ...candidate, fitness: Number.isFinite(fitness) ? fitness : Infinity };
    scored.set(key, result);
    await o.onEvaluated?.(result, now() - started);
    return result;
  };
  const isNew = (c: Candidate | undefined): c is Candidate => !!c && isMonotonic(c.factors) && !scored.has(candidateKey(c));
  const report = (iteration: number) =>
    o.onProgress?.({ iteration, iterations, evaluations, best: population[0], elapsedMs: now() - started });
  const sortPopulation = (items: ScoredCandidate[]) => items.sort((a, b) => a.fitness - b.fitness).slice(0, size);

  let stoppedBy: EvolutionResult["stoppedBy"] = "iterations";
  const seeds = o.initial.map((c) => normalizeCandidate(c, o.bounds));
  try {
    for (const c of seeds) if (isNew(c)) population.push(await evaluate(c));
    for (let tries = 0; population.length < size && tries < size * 20; tries++) {
      const child = mutate(rng.pick(seeds), rng, variation);
      if (isNew(child)) population.push(await evaluate(child));
    }
    population = sortPopulation(population);
    history.push(elementAt(population, 0).fitness);
    report(0);
    for (let iteration = 1; iteration <= iterations; iteration++) {
      const top = population.slice(0, parents);
      const children: ScoredCandidate[] = [];
      for (let made = 0, tries = 0; made < (o.mutations ?? 16) && tries < 400; tries++) {
        const child = mutate(rng.pick(top), rng, variation);
        if (isNew(child)) { children.push(await evaluate(child)); made++; }
      }
      for (let made = 0, tries = 0; made < (o.crossovers ?? 16) && top.length > 1 && tries < 400; tries++) {
        const child = crossover(rng.pick(top), rng.pick(top), rng);
        if (isNew(child)) { children.push(await evaluate(child)); made++; }
      }
      population = sortPopulation([...population, ...children]);
      iterationsDone = iteration;
      history.push(elementAt(population, 0).fitness);
      report(iteration);
    }
  } catch (e) {
    if (!(e instanceof Stop)) throw e;
    stoppedBy = e.reason;
  }
  const all = sortPopulation([...scored.values()]);
  const [best] = all;
  if (!best) throw new Error("the search evaluated no candidate (budget too small?)");
  const initial = seeds.map((c) => scored.get(candidateKey(c)));
  return { best, population: all, evaluations, iterationsDone, stoppedBy, elapsedMs: now() - started, history, initial };
}
