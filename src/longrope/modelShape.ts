/**
 * The RoPE facts of a GGUF model that the factor generators and `extend` need, read from its header and its factor
 * tensors (no node-llama-cpp): the original window the model was trained at, and the factors it already ships.
 */
import { RepoQaError } from "../util/errors";
import { metadataNumber, metadataString, readF32Tensor, readGgufHeader } from "./gguf/index";

export interface ModelRopeInfo {
  readonly architecture: string;
  readonly dimensionCount: number;
  readonly base: number;
  /** `<arch>.context_length`. */
  readonly contextLength: number;
  /**
   * The window the model was trained at, which every factor is relative to: `<arch>.rope.scaling.original_context_length`
   * when present (phi3, and every copy we write); for a llama model with `rope_freqs` and no such key (Llama-3.x as
   * converted), context length ÷ its largest factor; else the context length.
   */
  readonly originalContext: number;
  readonly originalContextFrom: "metadata" | "rope_freqs" | "context_length";
  /** The factors the model applies beyond its original window (`rope_factors_long`, or `rope_freqs`), if any. */
  readonly longFactors?: readonly number[];
  /** `rope_factors_short`: applied up to the original window (phi3 models). */
  readonly shortFactors?: readonly number[];
  readonly factorStorage?: "rope_freqs" | "rope_factors_long/short";
  /** `<arch>.rope.scaling.attn_factor` when present. */
  readonly attnFactor?: number;
}

export async function readModelRopeInfo(modelPath: string): Promise<ModelRopeInfo> {
  const header = await readGgufHeader(modelPath);
  const arch = metadataString(header, "general.architecture") ?? "";
  const heads = metadataNumber(header, `${arch}.attention.head_count`);
  const embedding = metadataNumber(header, `${arch}.embedding_length`);
  const dimensionCount = metadataNumber(header, `${arch}.rope.dimension_count`) ??
    (heads && embedding ? embedding / heads : undefined);
  const contextLength = metadataNumber(header, `${arch}.context_length`);
  if (!dimensionCount || !contextLength) {
    throw new RepoQaError(`${modelPath} does not say its RoPE dimension count or context length (architecture "${arch}").`, "model-invalid");
  }
  const long = await readF32Tensor(modelPath, header, "rope_factors_long.weight");
  const freqs = long ? undefined : await readF32Tensor(modelPath, header, "rope_freqs.weight");
  const short = await readF32Tensor(modelPath, header, "rope_factors_short.weight");
  const declared = metadataNumber(header, `${arch}.rope.scaling.original_context_length`);
  const largest = freqs ? Math.max(...freqs) : 1;
  const originalContextFrom = declared ? "metadata" : freqs && largest > 1 ? "rope_freqs" : "context_length";
  const factors = long ?? freqs;
  const attnFactor = metadataNumber(header, `${arch}.rope.scaling.attn_factor`);
  return {
    architecture: arch,
    dimensionCount,
    base: metadataNumber(header, `${arch}.rope.freq_base`) ?? 10000,
    contextLength,
    originalContext: declared ?? (originalContextFrom === "rope_freqs" ? Math.round(contextLength / largest) : contextLength),
    originalContextFrom,
    ...(factors ? { longFactors: Array.from(factors), factorStorage: long ? "rope_factors_long/short" as const : "rope_freqs" as const } : {}),
    ...(short ? { shortFactors: Array.from(short) } : {}),
    ...(attnFactor !== undefined ? { attnFactor } : {}),
  };
}

/** The ratio the model's own long factors were made for: its context length ÷ its original window. */
export function shippedScale(info: ModelRopeInfo): number {
  return info.contextLength / info.originalContext;
}

/** Whether the model ships long factors that stretch it beyond its original window (phi3 LongRoPE, Llama-3.x). */
export function shipsLongFactors(info: ModelRopeInfo): info is ModelRopeInfo & { readonly longFactors: readonly number[] } {
  return !!info.longFactors && shippedScale(info) > 1 && info.longFactors.some((f) => f > 1);
}
