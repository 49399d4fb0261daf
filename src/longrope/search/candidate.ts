/**
 * Candidates of the LongRoPE search and the two ways new ones are made. Both keep λ_i ≤ λ_{i+1}: a mutated λ_i stays
 * between its neighbours, and a crossover that breaks the order is thrown away (never evaluated).
 */
import { elementAt } from "../../util/elementAt";
import { isMonotonic } from "../factors";
import type { SeededRandom } from "./random";

/** The paper's n̂ choices: leading positions kept un-interpolated. */
export const nHatChoices: readonly number[] = [0, 1, 2, 4, 8, 12, 16, 20, 24, 28, 32, 64, 128, 256];

export interface Candidate {
  /** One λ per RoPE pair, non-decreasing, within the search bounds. */
  readonly factors: readonly number[];
  readonly nHat: number;
}

export interface Bounds {
  /** Default 1: a pair is never rotated faster than trained. */
  readonly min: number;
  /** The paper's 1.25·s. */
  readonly max: number;
}

export interface VariationOptions {
  readonly bounds: Bounds;
  /** Probability that each λ (and n̂) changes. Paper: 0.3. */
  readonly probability: number;
  /** Spread of a mutation step in log space. Default: 0.25. */
  readonly logStep?: number;
  /** When given, n̂ is part of the search and mutates among these values. */
  readonly nHatChoices?: readonly number[];
}

/** Factors are kept to 4 decimals, so that equal candidates have equal keys (rounding keeps the order). */
export function roundFactor(value: number): number {
  return Math.round(value * 1e4) / 1e4;
}

export function candidateKey(c: Candidate): string {
  return `${c.factors.map((f) => roundFactor(f).toFixed(4)).join(",")}|${c.nHat}`;
}

/** Clamps into the bounds and restores the order by a running maximum (used for the initial vectors). */
export function normalizeCandidate(c: Candidate, bounds: Bounds): Candidate {
  let floor = bounds.min;
  const factors = c.factors.map((f) => {
    floor = Math.max(floor, Math.min(bounds.max, roundFactor(f)));
    return floor;
  });
  return { factors, nHat: c.nHat };
}

export function mutate(parent: Candidate, rng: SeededRandom, o: VariationOptions): Candidate {
  const step = o.logStep ?? 0.25;
  const factors = [...parent.factors];
  for (let i = 0; i < factors.length; i++) {
    if (rng.next() >= o.probability) continue;
    const lower = i > 0 ? elementAt(factors, i - 1) : o.bounds.min;
    const upper = i < factors.length - 1 ? elementAt(factors, i + 1) : o.bounds.max;
    const proposal = elementAt(factors, i) * Math.exp(step * rng.normal());
    factors[i] = roundFactor(Math.min(upper, Math.max(lower, proposal)));
  }
  let nHat = parent.nHat;
  if (o.nHatChoices && rng.next() < o.probability) nHat = rng.pick(o.nHatChoices);
  return { factors, nHat };
}

/** Each λ from either parent; undefined when the child is not monotonic (the caller draws again). */
export function crossover(a: Candidate, b: Candidate, rng: SeededRandom): Candidate | undefined {
  const factors = a.factors.map((f, i) => (rng.next() < 0.5 ? f : elementAt(b.factors, i)));
  const nHat = rng.next() < 0.5 ? a.nHat : b.nHat;
  return isMonotonic(factors) ? { factors, nHat } : undefined;
}
