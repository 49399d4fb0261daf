/**
 * Header values llama.cpp trusts and then asserts on, checked in the extension host before any worker loads the file:
 * a GGUF declaring 10000 layers (block_count) or 0 attention heads killed the engine with SIGABRT ("ask again",
 * which could not help), a tensor of type 999 failed with "Invalid type or block size" without naming the file, and
 * context_length 0 surfaced as "lower longropeQa.maxAnswerTokens". Each becomes one sentence naming the file.
 */
import { RepoQaError } from "../util/errors";
import { metadataNumber, metadataString, type GgufHeader } from "../longrope/gguf/index";

/** ggml defines 40 tensor types today; anything far past that is not a type any llama.cpp knows. */
const MAX_GGML_TYPE = 63;
const LAYER = /(?:^|\.)blk\.(\d+)\./;

export function checkGgufPlausible(modelPath: string, header: GgufHeader): void {
  const refuse = (why: string) =>
    new RepoQaError(`${modelPath} is not a usable model: ${why}. Set longropeQa.modelPath (or --model) to another GGUF file.`, "model-invalid");
  if (header.tensors.length === 0) throw refuse("it holds no tensors");
  const badType = header.tensors.find((t) => t.type > MAX_GGML_TYPE);
  if (badType) throw refuse(`its tensor ${badType.name} has type ${badType.type}, which no ggml version defines`);
  const arch = metadataString(header, "general.architecture");
  if (!arch) throw refuse("it does not name its architecture (general.architecture)");
  const context = metadataNumber(header, `${arch}.context_length`);
  if (context !== undefined && context < 1) throw refuse(`it declares a context length of ${context} (${arch}.context_length)`);
  const heads = metadataNumber(header, `${arch}.attention.head_count`);
  if (heads !== undefined && heads < 1) throw refuse(`it declares ${heads} attention heads (${arch}.attention.head_count)`);
  const blocks = metadataNumber(header, `${arch}.block_count`);
  const layers = header.tensors.reduce((n, t) => Math.max(n, Number(LAYER.exec(t.name)?.[1] ?? -1) + 1), 0);
  if (blocks !== undefined && (blocks < 1 || blocks > layers)) {
    throw refuse(`it declares ${blocks} layers (${arch}.block_count) but holds tensors for ${layers}`);
  }
}
