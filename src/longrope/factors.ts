/**
 * Per-pair RoPE rescale factors λ_i (LongRoPE notation): pair i of d/2 rotates position n by n / (λ_i · β^i) with
 * β = base^(2/d). λ_i = 1 leaves a pair as trained; λ_i = s interpolates it linearly by the extension ratio s.
 * llama.cpp divides each pair's frequency by the value stored in `rope_freqs` / `rope_factors_*`, so these vectors
 * go into the GGUF as they are.
 */
import { elementAt } from "../util/elementAt";

export type RopeMethod = "pi" | "ntk" | "yarn" | "longrope";

export interface RopeFactorSet {
  readonly method: RopeMethod;
  /** Extension ratio s = target context ÷ original context. */
  readonly scale: number;
  /** One λ per RoPE pair, non-decreasing. */
  readonly factors: number[];
  /**
   * Leading positions kept un-interpolated (LongRoPE n̂): measured by `search`/`eval` through a saved KV state, never
   * written into an extended copy (llama.cpp cannot apply it; docs/longrope.md says why the product goes without it).
   */
  readonly nHat?: number;
  readonly originalContext: number;
  /** Multiplies cos/sin (`<arch>.rope.scaling.attn_factor`). */
  readonly attnFactor: number;
}

export interface YarnOptions {
  readonly base: number;
  readonly dimensionCount: number;
  readonly originalContext: number;
  /** Pairs with more than this many rotations within L_orig are left as trained. Default: 32. */
  readonly betaFast?: number;
  /** Pairs with fewer than this many rotations within L_orig are interpolated fully. Default: 1. */
  readonly betaSlow?: number;
}

/** Number of RoPE pairs (frequencies) for a rotary dimension count. */
export function ropePairs(dimensionCount: number): number {
  if (!Number.isInteger(dimensionCount) || dimensionCount < 2 || dimensionCount % 2 !== 0) {
    throw new RangeError(`RoPE dimension count must be an even integer ≥ 2, got ${dimensionCount}`);
  }
  return dimensionCount / 2;
}

/** Position interpolation: every pair stretched by s. */
export function piFactors(scale: number, pairs: number): number[] {
  checkScale(scale);
  return new Array<number>(pairs).fill(scale);
}

/**
 * NTK-aware interpolation: base' = base · s^(d/(d−2)), written per pair as λ_i = (base'/base)^(2i/d) = s^(2i/(d−2)).
 * The highest-frequency pair stays at 1, the lowest reaches s.
 */
export function ntkFactors(scale: number, pairs: number, dimensionCount: number): number[] {
  checkScale(scale);
  const d = dimensionCount;
  if (d <= 2) return new Array<number>(pairs).fill(scale);
  return Array.from({ length: pairs }, (_, i) => Math.pow(scale, (2 * i) / (d - 2)));
}

/**
 * YaRN "NTK-by-parts" with the YaRN paper's ramp: r_i = L_orig / wavelength_i counts rotations of pair i within the
 * original context. Pairs with r > β_fast keep λ = 1, pairs with r < β_slow get λ = s, and in between the frequency
 * blends linearly IN r: θ'_i = (1 − γ)·θ_i/s + γ·θ_i with γ = (r − β_slow)/(β_fast − β_slow), i.e.
 * λ_i = 1 / ((1 − γ)/s + γ). llama.cpp's YaRN ramps in the pair index instead (`yarnLlamaCppFactors`).
 */
export function yarnFactors(scale: number, pairs: number, options: YarnOptions): number[] {
  checkScale(scale);
  const { base, dimensionCount: d, originalContext } = options;
  const betaFast = options.betaFast ?? 32;
  const betaSlow = options.betaSlow ?? 1;
  return Array.from({ length: pairs }, (_, i) => {
    const wavelength = 2 * Math.PI * Math.pow(base, (2 * i) / d);
    const rotations = originalContext / wavelength;
    const gamma = Math.min(1, Math.max(0, (rotations - betaSlow) / (betaFast - betaSlow)));
    return 1 / ((1 - gamma) / scale + gamma);
  });
}

/**
 * YaRN as llama.cpp (ggml `rope_yarn`) computes it: the same blend, but γ is linear in the PAIR INDEX i (so in
 * log r), between the fractional pair indices where r = β_fast and r = β_slow, rounded outwards (floor, ceil) as
 * `ggml_rope_yarn_corr_dims` does. SmolLM2 (d = 64, base 1e5) from L = 2048 at s = 4: both keep pairs 0–6 and
 * fully interpolate pairs 17 and up, but pair 12 gets λ = 1.69 here and 3.02 from the paper's ramp.
 */
export function yarnLlamaCppFactors(scale: number, pairs: number, options: YarnOptions): number[] {
  checkScale(scale);
  const { base, dimensionCount: d, originalContext } = options;
  const pairAt = (rotations: number) => (d * Math.log(originalContext / (rotations * 2 * Math.PI))) / (2 * Math.log(base));
  const low = Math.max(0, Math.floor(pairAt(options.betaFast ?? 32)));
  const high = Math.min(d - 1, Math.ceil(pairAt(options.betaSlow ?? 1)));
  return Array.from({ length: pairs }, (_, i) => {
    const keep = 1 - Math.min(1, Math.max(0, (i - low) / Math.max(0.001, high - low)));
    return 1 / ((1 - keep) / scale + keep);
  });
}

/**
 * The paper's rule for re-using a model's own factors at a new ratio (LongRoPE §3.3, progressive extension):
 * λ' = 1 + (λ − 1)·(s' − 1)/(s − 1), where s is the ratio the factors were made for and s' the new one, both against
 * the same original window. Pairs left as trained (λ = 1) stay so; the most interpolated ones grow towards s'.
 */
export function rescaleFactors(factors: readonly number[], fromScale: number, toScale: number): number[] {
  if (!(fromScale > 1) || !(toScale >= 1) || !Number.isFinite(fromScale) || !Number.isFinite(toScale)) {
    throw new RangeError(`Rescaling needs ratios above 1, got ${fromScale} → ${toScale}`);
  }
  const k = (toScale - 1) / (fromScale - 1);
  return factors.map((f) => 1 + (f - 1) * k);
}

/** LongRoPE requires λ_i ≤ λ_{i+1}: lower-frequency pairs are never interpolated less than higher ones. */
export function isMonotonic(factors: readonly number[]): boolean {
  for (let i = 1; i < factors.length; i++) if (!(elementAt(factors, i - 1) <= elementAt(factors, i))) return false;
  return true;
}

/**
 * LongRoPE's attention scale sqrt(1 + ln s / ln L_orig); 1 when not extending. It is also the default for any method
 * that does not define its own (PI, NTK): llama.cpp multiplies cos and sin by it, so the logits by its square.
 */
export function attentionScale(scale: number, originalContext: number): number {
  if (scale <= 1) return 1;
  return Math.sqrt(1 + Math.log(scale) / Math.log(originalContext));
}

/** YaRN's own attention temperature 0.1 · ln s + 1. */
export function yarnAttentionScale(scale: number): number {
  return scale <= 1 ? 1 : 0.1 * Math.log(scale) + 1;
}

export interface RopeModelShape {
  readonly dimensionCount: number;
  readonly base: number;
  readonly originalContext: number;
}

/**
 * The factor set of one method for a model. Every method gets the attention factor sqrt(1 + ln s / ln L_orig) for the
 * ratio it applies, except YaRN, which defines its own temperature (0.1·ln s + 1). `longrope` without searched
 * factors starts from the NTK vector (one of the paper's initial candidates).
 */
export function baselineFactorSet(method: RopeMethod, scale: number, shape: RopeModelShape): RopeFactorSet {
  const pairs = ropePairs(shape.dimensionCount);
  const { originalContext } = shape;
  switch (method) {
    case "pi":
      return { method, scale, originalContext, factors: piFactors(scale, pairs), attnFactor: attentionScale(scale, originalContext) };
    case "ntk":
      return { method, scale, originalContext, factors: ntkFactors(scale, pairs, shape.dimensionCount), attnFactor: attentionScale(scale, originalContext) };
    case "yarn":
      return {
        method, scale, originalContext, attnFactor: yarnAttentionScale(scale),
        factors: yarnFactors(scale, pairs, { ...shape }),
      };
    case "longrope":
      return {
        method, scale, originalContext, attnFactor: attentionScale(scale, originalContext),
        factors: ntkFactors(scale, pairs, shape.dimensionCount),
      };
  }
}

function checkScale(scale: number): void {
  if (!(scale > 0) || !Number.isFinite(scale)) throw new RangeError(`Extension ratio must be positive, got ${scale}`);
}
