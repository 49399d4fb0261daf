/**
 * Exact token counts through the count cache of the tokenizer (./packCaches): a text counted once, by this process or
 * another, is never sent to the tokenizer again while its entry lives. Counts are of each part (header, each file
 * block); their sum is the prompt's count (a join between two parts may tokenize differently by a token, which the
 * engine's own count absorbs).
 */
import { createHash } from "node:crypto";
import type { HashStore } from "./hashStore";
import { digest } from "./packCaches";
import type { TokenCounter } from "./types";

/** Texts per tokenizer request: big enough to amortise a round trip to the engine process, small enough to cancel. */
const BATCH_TEXTS = 512;

/** Thrown when the signal aborts while counting or scanning; the pack turns it into a cancelled result. */
export class PackCancelled extends Error {}

export function contentHash(text: string): string {
  return createHash("sha1").update(text).digest("base64");
}

/** Counts each text, asking `counter` only for texts `store` does not hold; `onBatch` gets the tokens counted so far. */
export async function countThroughCache(
  counter: TokenCounter,
  store: HashStore | undefined,
  texts: readonly string[],
  signal: AbortSignal | undefined,
  onBatch?: (tokens: number) => void,
): Promise<{ counts: number[]; tokenized: number }> {
  const keys = store ? texts.map(digest) : [];
  const counts = texts.map((_, j) => readCount(store?.get(keys[j]!)));
  const missing = counts.flatMap((c, j) => (c < 0 ? [j] : []));
  let soFar = counts.reduce((sum, c) => sum + Math.max(c, 0), 0);
  for (let start = 0; start < missing.length; start += BATCH_TEXTS) {
    if (signal?.aborted) throw new PackCancelled();
    const batch = missing.slice(start, start + BATCH_TEXTS);
    const batchCounts = await counter.countTokens(batch.map((j) => texts[j]!), signal);
    if (signal?.aborted) throw new PackCancelled();
    batch.forEach((j, k) => {
      const n = batchCounts[k]!;
      counts[j] = n;
      soFar += n;
      store?.set(keys[j]!, writeCount(n));
    });
    onBatch?.(soFar);
  }
  return { counts, tokenized: missing.length };
}

/** A cached count as stored (4 bytes, little-endian); -1 when absent or not a count. */
function readCount(value: Buffer | undefined): number {
  return value?.length === 4 ? value.readUInt32LE(0) : -1;
}

function writeCount(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n, 0);
  return b;
}
