/**
 * Perplexity of a model with one RoPE method applied, on token samples, measured in the LongRoPE worker.
 * Baselines go through llama.cpp's own implementations (metadata overrides): PI = linear scaling, NTK-aware = a larger
 * `rope.freq_base`, YaRN = scaling type yarn (with its own attention temperature). LongRoPE goes through a temporary
 * GGUF copy with per-pair factors and the attention factor sqrt(1 + ln s / ln L_orig), plus n̂ via a saved KV state.
 */
import { attentionScale } from "./factors";
import { readGgufHeader } from "./gguf/index";
import type { ModelRopeInfo } from "./modelShape";
import { floatValue, type PerplexityResult, type PplProgress, type RopeVariant } from "./pplProtocol";
import type { PplWorker } from "./pplWorker";

export type EvalMethod = "none" | "pi" | "ntk" | "yarn" | "longrope";
export const evalMethods: readonly EvalMethod[] = ["none", "pi", "ntk", "yarn", "longrope"];

export interface LongropeFactors {
  readonly factors: readonly number[];
  readonly nHat?: number;
  /** Default: sqrt(1 + ln s / ln L_orig). */
  readonly attnFactor?: number;
}

/** The variant of `method` extending `info`'s model by `scale`; every method is the plain model at scale ≤ 1. */
export function methodVariant(method: EvalMethod, scale: number, info: ModelRopeInfo, originalContext: number, longrope?: LongropeFactors): RopeVariant {
  const arch = info.architecture;
  const label = `${method} ×${+scale.toFixed(3)}`;
  if (method === "none" || (scale <= 1 && method !== "longrope")) return { label };
  switch (method) {
    case "pi":
      return { label, overrides: { [`${arch}.rope.scaling.type`]: "linear", [`${arch}.rope.scaling.factor`]: floatValue(scale) } };
    case "ntk": {
      const d = info.dimensionCount;
      return { label, overrides: { [`${arch}.rope.freq_base`]: floatValue(info.base * Math.pow(scale, d / (d - 2))) } };
    }
    case "yarn":
      return {
        label,
        overrides: {
          [`${arch}.rope.scaling.type`]: "yarn",
          [`${arch}.rope.scaling.factor`]: floatValue(scale),
          [`${arch}.rope.scaling.original_context_length`]: originalContext,
        },
      };
    case "longrope": {
      if (!longrope) throw new Error("longrope needs factors");
      return longropeVariant(longrope, scale, originalContext, arch, label);
    }
  }
}

export function longropeVariant(set: LongropeFactors, scale: number, originalContext: number, arch: string, label = "longrope"): RopeVariant {
  const attnFactor = set.attnFactor ?? attentionScale(scale, originalContext);
  return {
    label: set.nHat ? `${label} n̂=${set.nHat}` : label,
    ropeFreqs: [...set.factors],
    overrides: attnFactor === 1 ? {} : { [`${arch}.rope.scaling.attn_factor`]: floatValue(attnFactor) },
    nHat: set.nHat ?? 0,
  };
}

/**
 * Which positions to score. A full probability vector per position is cheap for small vocabularies; beyond
 * `fullVocabularyLimit` tokens only the last `window` positions of each sample are scored (they see the longest
 * prefix, which is what context extension changes).
 */
export async function scoredWindow(modelPath: string, window = 512, fullVocabularyLimit = 4096): Promise<number | undefined> {
  const header = await readGgufHeader(modelPath);
  const tokens = header.metadata.get("tokenizer.ggml.tokens");
  const vocabulary = tokens?.type === "array" ? tokens.value.length : 0;
  return vocabulary > fullVocabularyLimit ? window : undefined;
}

export interface MeasureOptions {
  readonly threads: number;
  readonly scoreLast?: number;
  readonly signal?: AbortSignal;
  readonly onProgress?: (progress: PplProgress) => void;
}

export function measurePerplexity(
  worker: PplWorker, modelPath: string, variant: RopeVariant, samples: readonly (readonly number[])[], options: MeasureOptions,
): Promise<PerplexityResult> {
  return worker.request(
    "perplexity",
    { modelPath, variant, samples, scoreLast: options.scoreLast, threads: options.threads },
    { signal: options.signal, onProgress: options.onProgress },
  );
}
