/** Loading and saving the repo prefix's KV state through the StateStore; any doubt means a re-read, never a wrong answer. */
import type { LlamaContextSequence, Token } from "node-llama-cpp";
import type { LoadedModel } from "./modelLoader";
import { sha256Of, type StateStore } from "./stateStore";

async function stateKey(store: StateStore, loaded: LoadedModel, contextSize: number, prefix: readonly Token[]): Promise<string> {
  const { settings } = loaded;
  const engine = JSON.stringify({
    gpu: loaded.llama.gpu,
    gpuLayers: loaded.model.gpuLayers,
    flashAttention: settings.flashAttention ?? null,
    kvCacheType: settings.kvCacheType ?? "f16",
    contextSize,
  });
  return sha256Of(await store.modelHash(settings.modelPath), engine, Uint32Array.from(prefix));
}

/** Loads the saved state for exactly `prefix`; true when the sequence now holds it. */
export async function tryLoadRepoState(
  store: StateStore,
  loaded: LoadedModel,
  sequence: LlamaContextSequence,
  prefix: readonly Token[],
): Promise<boolean> {
  if (prefix.length === 0) return false;
  const key = await stateKey(store, loaded, sequence.contextSize, prefix);
  const file = await store.find(key);
  if (file === undefined) return false;
  try {
    await sequence.loadStateFromFile(file, { acceptRisk: true });
    const held = sequence.contextTokens;
    if (held.length === prefix.length && held.every((t, i) => t === prefix[i])) return true;
    process.stderr.write(`saved state ${key} holds other tokens; re-reading the repo\n`);
  } catch (error) {
    process.stderr.write(`saved state ${key} could not be loaded (${String(error)}); re-reading the repo\n`);
  }
  await sequence.clearHistory();
  await store.remove(key);
  return false;
}

export async function saveRepoState(
  store: StateStore,
  loaded: LoadedModel,
  sequence: LlamaContextSequence,
  prefix: readonly Token[],
): Promise<void> {
  if (prefix.length === 0 || loaded.info.kvBytesPerToken * prefix.length > store.maxBytes) return;
  const key = await stateKey(store, loaded, sequence.contextSize, prefix);
  try {
    await store.save(key, prefix.length, async (temp) => void (await sequence.saveStateToFile(temp)));
  } catch (error) {
    process.stderr.write(`could not save the repo state (${String(error)})\n`);
  }
}
