/**
 * The memory estimate shown before a model is loaded (walkthrough, settings): KV bytes per token from the GGUF
 * header × context tokens, next to the model file and the free memory, with what fits when it does not. Reads only
 * the header (no node-llama-cpp in the calling process).
 */
import fs from "node:fs/promises";
import os from "node:os";
import { metadataNumber, metadataString, readGgufHeader, type GgufHeader } from "../longrope/gguf/index";
import { kvBytesPerToken, planFit, type AttentionShape } from "./memoryPlan";
import type { KvCacheType } from "./protocol";

export interface MemoryEstimate {
  readonly contextTokens: number;
  readonly kvBytesPerToken: number;
  readonly kvBytes: number;
  readonly modelBytes: number;
  readonly availableBytes: number;
  readonly fits: boolean;
  /** Empty when it fits; e.g. "q4_0 KV cache or a 96k context". */
  readonly suggestion: string;
}

export async function estimateMemory(
  modelPath: string,
  contextTokens: number,
  kvCacheType: KvCacheType = "f16",
  freeBytes: number = os.freemem(),
): Promise<MemoryEstimate> {
  const shape = attentionShape(await readGgufHeader(modelPath, { maxArrayItems: 65_536 }));
  const modelBytes = (await fs.stat(modelPath)).size;
  const availableBytes = Math.max(0, freeBytes - modelBytes);
  const fit = planFit({ shape, type: kvCacheType, contextTokens, availableBytes });
  const perToken = kvBytesPerToken(shape, kvCacheType);
  return { contextTokens, kvBytesPerToken: perToken, kvBytes: fit.neededBytes, modelBytes, availableBytes, fits: fit.fits, suggestion: fit.suggestion };
}

export function attentionShape(header: GgufHeader): AttentionShape {
  const arch = metadataString(header, "general.architecture") ?? "llama";
  const get = (key: string) => metadataNumber(header, `${arch}.${key}`);
  const heads = get("attention.head_count") ?? 1;
  const headDim = Math.round((get("embedding_length") ?? 0) / heads);
  return {
    layers: get("block_count") ?? 0,
    headCountKv: get("attention.head_count_kv") ?? heads,
    keyLength: get("attention.key_length") ?? headDim,
    valueLength: get("attention.value_length") ?? headDim,
  };
}
