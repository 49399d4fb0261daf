/**
 * Counting tokens for a server, best source first: the server's own tokenizer endpoint (llama-server and vLLM:
 * `POST /tokenize` beside `/v1`; llama-cpp-python: `POST /extras/tokenize/count`), else (./remoteBackend.ts) a local
 * GGUF of the same model, else a bytes-per-token estimate that reports label as such.
 */
import type { TokenCounter } from "../../workspace/types";
import type { OpenAiClient } from "./openaiClient";

/**
 * Bytes per token of the estimate. Code in BPE vocabularies of 32k–200k entries takes 3.2–4.5 bytes per token
 * (SmolLM2's 49k vocabulary on this repository's src/: 3.6); CJK text about 3 (one 3-byte character per token).
 * Dividing by 3 over-counts rather than under-counts, so a prompt packed by the estimate still fits.
 */
export const estimateBytesPerToken = 3;

export function estimatingCounter(): TokenCounter {
  return { countTokens: (texts) => Promise.resolve(texts.map((t) => Math.ceil(Buffer.byteLength(t, "utf8") / estimateBytesPerToken))) };
}

type Tokenize = (text: string, signal?: AbortSignal) => Promise<number | undefined>;

/** The server's tokenizer as a counter, or undefined when it has none of the known endpoints. */
export async function serverTokenCounter(client: OpenAiClient, model: string, signal?: AbortSignal): Promise<TokenCounter | undefined> {
  const { origin } = client.endpoint;
  const candidates: Tokenize[] = [
    // llama-server reads `content`, vLLM `prompt`; each ignores the other's field.
    async (text, s) => countOf(await client.optionalPost(`${origin}/tokenize`, { model, content: text, prompt: text, add_special: false, add_special_tokens: false }, s)),
    async (text, s) => countOf(await client.optionalPost(`${origin}/extras/tokenize/count`, { model, input: text }, s)),
  ];
  for (const tokenize of candidates) {
    if ((await tokenize("probe", signal)) === undefined) continue;
    return {
      cacheKey: `${client.endpoint.base}|${model}`,
      countTokens: (texts, s) => mapLimited(texts, 4, async (text) => (await tokenize(text, s)) ?? 0),
    };
  }
  return undefined;
}

function countOf(body: unknown): number | undefined {
  const b = body as { count?: unknown; tokens?: unknown } | undefined;
  if (typeof b?.count === "number") return b.count;
  return Array.isArray(b?.tokens) ? b.tokens.length : undefined;
}

/** Four requests in flight: a file per request, without opening hundreds of sockets to a busy server. */
async function mapLimited<T, R>(items: readonly T[], limit: number, run: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const lane = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await run(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  return results;
}
