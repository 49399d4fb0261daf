/**
 * Token counts cached by content hash, per tokenizer, across packs: a re-pack after one edit sends only the edited
 * file's block to the tokenizer. Counts are of each part (header, each file block); their sum is the prompt's count
 * (a join between two parts may tokenize differently by a token, which the engine's own count absorbs).
 */
import { createHash } from "node:crypto";
import type { TokenCounter } from "./types";

/** Most cached counts per tokenizer; a count is ~100 bytes, so this bounds the cache at ~20 MB. */
const MAX_ENTRIES = 200_000;
const BATCH_TEXTS = 512;

const cachesByKey = new Map<string, Map<string, number>>();

/**
 * Counts are kept across packs only for a counter with a `cacheKey`: the same counter object may load another model
 * (the engine host does), and a count from another tokenizer would be silently wrong.
 */
function cacheFor(counter: TokenCounter): Map<string, number> {
  if (!counter.cacheKey) return new Map();
  let cache = cachesByKey.get(counter.cacheKey);
  if (!cache) {
    cache = new Map();
    cachesByKey.set(counter.cacheKey, cache);
  }
  return cache;
}

export function clearTokenCaches(): void {
  cachesByKey.clear();
}

export function contentHash(text: string): string {
  return createHash("sha1").update(text).digest("base64");
}

export interface CountStats {
  /** Texts sent to the tokenizer (not found in the cache). */
  tokenized: number;
}

/**
 * Counts tokens of each text, asking the counter only for texts not seen before. Stops early (returning undefined)
 * when the signal aborts. `onBatch` receives the tokens counted so far.
 */
export async function countTokensCached(
  counter: TokenCounter,
  texts: readonly string[],
  signal: AbortSignal | undefined,
  onBatch: (tokensSoFar: number) => void,
  stats: CountStats = { tokenized: 0 },
): Promise<number[] | undefined> {
  const cache = cacheFor(counter);
  const hashes = texts.map(contentHash);
  const counts = hashes.map((h) => cache.get(h) ?? -1);
  const missing = counts.flatMap((c, i) => (c < 0 ? [i] : []));
  let soFar = counts.reduce((sum, c) => sum + Math.max(c, 0), 0);
  for (let start = 0; start < missing.length; start += BATCH_TEXTS) {
    if (signal?.aborted) return undefined;
    const batch = missing.slice(start, start + BATCH_TEXTS);
    const batchCounts = await counter.countTokens(
      batch.map((i) => texts[i]!),
      signal,
    );
    batch.forEach((textIndex, j) => {
      const count = batchCounts[j]!;
      counts[textIndex] = count;
      soFar += count;
      remember(cache, hashes[textIndex]!, count);
    });
    stats.tokenized += batch.length;
    onBatch(soFar);
  }
  if (signal?.aborted) return undefined;
  if (missing.length === 0) onBatch(soFar);
  return counts;
}

function remember(cache: Map<string, number>, hash: string, count: number): void {
  if (cache.size >= MAX_ENTRIES) cache.delete(cache.keys().next().value!);
  cache.set(hash, count);
}

/** When no tokenizer is given: a rough count (for the budget only), ~3.5 characters per token for code. */
export function estimateTokens(text: string): number {
  return Math.ceil(text.length / 3.5);
}
