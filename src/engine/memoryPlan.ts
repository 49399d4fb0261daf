/**
 * KV-cache memory arithmetic shown before loading (bytes per token × tokens) and the "what fits" suggestion when a
 * context does not fit. Pure functions: the worker feeds them GGUF metadata and free memory.
 */
import type { KvCacheType } from "./protocol";
import { formatTokens } from "../util/formatTokens";

/** Bytes per element of each KV-cache type (ggml block sizes: q8_0 = 34 B / 32, q4_0 = 18 B / 32). */
export const kvElementBytes: Readonly<Record<KvCacheType, number>> = { f16: 2, q8_0: 34 / 32, q4_0: 18 / 32 };

export interface AttentionShape {
  readonly layers: number;
  readonly headCountKv: number;
  readonly keyLength: number;
  readonly valueLength: number;
}

/**
 * The attention shape from a model's architecture metadata, read as `lookup("attention.head_count")` and so on (the
 * GGUF keys after `<architecture>.`). Per-layer arrays count their largest entry. The one reading both the estimate
 * before loading (our GGUF reader) and the loaded model (node-llama-cpp's metadata) use.
 */
export function attentionShapeFrom(lookup: (key: string) => unknown, layersFallback = 0): AttentionShape {
  const get = (key: string): number | undefined => {
    const value = lookup(key);
    if (Array.isArray(value)) return value.length ? Math.max(...value.map(Number)) : undefined;
    return typeof value === "number" || typeof value === "bigint" ? Number(value) : undefined;
  };
  const heads = get("attention.head_count") ?? 1;
  const headDim = Math.round((get("embedding_length") ?? 0) / heads);
  return {
    layers: get("block_count") ?? layersFallback,
    headCountKv: get("attention.head_count_kv") ?? heads,
    keyLength: get("attention.key_length") ?? headDim,
    valueLength: get("attention.value_length") ?? headDim,
  };
}

/** `valueType` differs from `type` when V stays f16 (llama.cpp quantizes V only with flash attention). */
export function kvBytesPerToken(shape: AttentionShape, type: KvCacheType, valueType: KvCacheType = type): number {
  const perLayer = shape.headCountKv * (shape.keyLength * kvElementBytes[type] + shape.valueLength * kvElementBytes[valueType]);
  return Math.ceil(shape.layers * perLayer);
}

/** Why llama.cpp would refuse this cache type for this model (quantized blocks hold 32 values), or undefined. */
export function kvTypeProblem(shape: AttentionShape, type: KvCacheType): string | undefined {
  if (type === "f16" || (shape.keyLength % 32 === 0 && shape.valueLength % 32 === 0)) return undefined;
  return `its attention head dimension ${shape.keyLength} is not a multiple of the ${type} block size 32`;
}

export interface FitQuestion {
  readonly shape: AttentionShape;
  readonly type: KvCacheType;
  readonly contextTokens: number;
  /** Bytes the KV cache may use (free memory minus the model and working buffers). */
  readonly availableBytes: number;
}

export interface FitAnswer {
  readonly fits: boolean;
  readonly neededBytes: number;
  /** Empty when it fits; otherwise e.g. "q4_0 KV cache or a 96k-token context". */
  readonly suggestion: string;
}

export function planFit(question: FitQuestion): FitAnswer {
  const { shape, type, contextTokens, availableBytes } = question;
  const neededBytes = kvBytesPerToken(shape, type) * contextTokens;
  if (neededBytes <= availableBytes) return { fits: true, neededBytes, suggestion: "" };
  const options: string[] = [];
  const smallerTypes = (["q8_0", "q4_0"] as const).filter((t) => kvElementBytes[t] < kvElementBytes[type] && !kvTypeProblem(shape, t));
  for (const smaller of smallerTypes) {
    if (kvBytesPerToken(shape, smaller) * contextTokens <= availableBytes) {
      options.push(`${smaller} KV cache`);
      break;
    }
  }
  const fittingTokens = Math.floor(availableBytes / kvBytesPerToken(shape, type) / 1024) * 1024;
  if (fittingTokens > 0) options.push(`a ${formatTokens(fittingTokens)}-token context`);
  return { fits: false, neededBytes, suggestion: options.join(" or ") };
}


export function formatBytes(bytes: number): string {
  if (bytes >= 1024 ** 3) return `${(bytes / 1024 ** 3).toFixed(1)} GiB`;
  if (bytes >= 1024 ** 2) return `${(bytes / 1024 ** 2).toFixed(1)} MiB`;
  return `${Math.ceil(bytes / 1024)} KiB`;
}
