/**
 * Perplexity of a model with one RoPE method applied, on token samples, measured in the LongRoPE worker.
 * Baselines go through llama.cpp's own implementations (metadata overrides): PI = linear scaling, NTK-aware = a larger
 * `rope.freq_base` (alone, as usually deployed, and "ntk+attn" with the attention factor sqrt(1 + ln s / ln L_orig)
 * that LongRoPE uses, so that the two effects can be told apart), YaRN = scaling type yarn, i.e. llama.cpp's YaRN:
 * its ramp is linear in the pair index (not in rotations as in the YaRN paper, see `yarnLlamaCppFactors`) and its
 * temperature 0.1·ln s + 1. LongRoPE goes through a temporary GGUF copy with per-pair factors and the attention factor
 * sqrt(1 + ln s / ln L_orig), plus n̂ via a saved KV state.
 */
import { attentionScale } from "./factors";
import { readGgufHeader } from "./gguf/index";
import type { ModelRopeInfo } from "./modelShape";
import { floatValue, type PerplexityResult, type PplProgress, type RopeVariant } from "./pplProtocol";
import type { PplWorker } from "./pplWorker";

export type EvalMethod = "none" | "pi" | "ntk" | "ntk+attn" | "yarn" | "longrope";
export const evalMethods: readonly EvalMethod[] = ["none", "pi", "ntk", "ntk+attn", "yarn", "longrope"];

/** How each row is labelled in tables: what exactly runs. */
export const methodLabels: Readonly<Record<EvalMethod, string>> = {
  none: "none (plain RoPE)",
  pi: "PI (llama.cpp linear)",
  ntk: "NTK-aware (llama.cpp freq_base)",
  "ntk+attn": "NTK-aware + attention factor",
  yarn: "YaRN (llama.cpp: ramp in pair index, temperature 0.1 ln s + 1)",
  longrope: "LongRoPE (searched λ)",
};

export interface LongropeFactors {
  readonly factors: readonly number[];
  readonly nHat?: number;
  /** Which set of a long/short (phi3) model the factors replace. Default: "long". */
  readonly slot?: "long" | "short";
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
    case "ntk":
    case "ntk+attn": {
      const d = info.dimensionCount;
      const base = { [`${arch}.rope.freq_base`]: floatValue(info.base * Math.pow(scale, d / (d - 2))) };
      if (method === "ntk") return { label, overrides: base };
      return { label, overrides: { ...base, [`${arch}.rope.scaling.attn_factor`]: floatValue(attentionScale(scale, originalContext)) } };
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
    ...(set.slot === "short" ? { factorSlot: "short" as const } : {}),
    overrides: attnFactor === 1 ? {} : { [`${arch}.rope.scaling.attn_factor`]: floatValue(attnFactor) },
    nHat: set.nHat ?? 0,
  };
}

/**
 * Every how many positions to score. A full probability vector per position is cheap for small vocabularies; beyond
 * `fullVocabularyLimit` tokens every `stride`-th position is scored, spread over the whole sample (so every distance
 * from the start counts, unlike scoring only the last positions).
 */
export async function scoringStride(modelPath: string, stride = 8, fullVocabularyLimit = 4096): Promise<number> {
  const header = await readGgufHeader(modelPath);
  const tokens = header.metadata.get("tokenizer.ggml.tokens");
  const vocabulary = tokens?.type === "array" ? tokens.value.length : 0;
  return vocabulary > fullVocabularyLimit ? stride : 1;
}

export interface MeasureOptions {
  readonly threads: number;
  readonly scoreLast?: number;
  readonly scoreEvery?: number;
  readonly bucketTokens?: number;
  readonly flashAttention?: boolean;
  readonly signal?: AbortSignal;
  readonly onProgress?: (progress: PplProgress) => void;
}

export function measurePerplexity(
  worker: PplWorker, modelPath: string, variant: RopeVariant, samples: readonly (readonly number[])[], options: MeasureOptions,
): Promise<PerplexityResult> {
  return worker.request(
    "perplexity",
    {
      modelPath, variant, samples, scoreLast: options.scoreLast, scoreEvery: options.scoreEvery, bucketTokens: options.bucketTokens,
      threads: options.threads, flashAttention: options.flashAttention,
    },
    { signal: options.signal, onProgress: options.onProgress },
  );
}
