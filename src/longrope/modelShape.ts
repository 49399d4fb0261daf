/** The RoPE facts of a GGUF model that the factor generators need, read from its header (no node-llama-cpp). */
import { RepoQaError } from "../util/errors";
import { metadataNumber, metadataString, readGgufHeader } from "./gguf/index";

export interface ModelRopeInfo {
  readonly architecture: string;
  readonly dimensionCount: number;
  readonly base: number;
  /** `<arch>.context_length`. */
  readonly contextLength: number;
  /** `<arch>.rope.scaling.original_context_length` when present, else the context length. */
  readonly originalContext: number;
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
  return {
    architecture: arch,
    dimensionCount,
    base: metadataNumber(header, `${arch}.rope.freq_base`) ?? 10000,
    contextLength,
    originalContext: metadataNumber(header, `${arch}.rope.scaling.original_context_length`) ?? contextLength,
  };
}
