/**
 * Loading and saving the repo prefix's KV state through the StateStore. A state is used only after its checksum and
 * its tokens match; anything else means a re-read, never a wrong answer.
 */
import type { LlamaContextSequence, Token } from "node-llama-cpp";
import type { LoadedModel } from "./modelLoader";
import { sha256Of, type StateStore } from "./stateStore";

/** A state must share at least this part of the wanted prefix to be worth loading. */
const minSharedFraction = 0.5;

async function familyOf(store: StateStore, loaded: LoadedModel, contextSize: number): Promise<string> {
  const engine = JSON.stringify({
    gpu: loaded.llama.gpu,
    gpuLayers: loaded.model.gpuLayers,
    flashAttention: loaded.flashAttention,
    kvCacheType: loaded.settings.kvCacheType ?? "f16",
    contextSize,
  });
  return sha256Of(await store.modelHash(loaded.settings.modelPath), engine);
}

/**
 * Loads the saved state sharing the longest prefix with `prefix` and erases what follows the shared part; returns
 * the number of tokens now in the sequence (0 when nothing was loaded).
 */
export async function tryLoadRepoState(
  store: StateStore,
  loaded: LoadedModel,
  sequence: LlamaContextSequence,
  prefix: readonly Token[],
): Promise<number> {
  if (prefix.length === 0) return 0;
  const family = await familyOf(store, loaded, sequence.contextSize);
  const found = await store.findBest(family, Uint32Array.from(prefix), Math.ceil(prefix.length * minSharedFraction));
  if (found === undefined) return 0;
  const key = found.file.replace(/^.*[\\/]/, "").replace(/\.kv$/, "");
  try {
    await sequence.loadStateFromFile(found.file, { acceptRisk: true });
    const held = sequence.contextTokens;
    if (held.length === found.tokens.length && held.every((t, i) => t === found.tokens[i])) {
      if (found.common < held.length) await sequence.eraseContextTokenRanges([{ start: found.common, end: held.length }]);
      return found.common;
    }
    process.stderr.write(`saved state ${key} holds other tokens than recorded; re-reading the repo\n`);
  } catch (error) {
    process.stderr.write(`saved state ${key} could not be loaded (${String(error)}); re-reading the repo\n`);
  }
  await sequence.clearHistory();
  await store.remove(key);
  return 0;
}

export async function saveRepoState(
  store: StateStore,
  loaded: LoadedModel,
  sequence: LlamaContextSequence,
  prefix: readonly Token[],
): Promise<void> {
  if (prefix.length === 0 || loaded.info.kvBytesPerToken * prefix.length > store.maxBytes) return;
  const tokens = Uint32Array.from(prefix);
  const family = await familyOf(store, loaded, sequence.contextSize);
  try {
    await store.save(sha256Of(family, tokens), family, tokens, async (temp) => void (await sequence.saveStateToFile(temp)));
  } catch (error) {
    process.stderr.write(`could not save the repo state (${String(error)})\n`);
  }
}
