/**
 * The HTTP boundary with an OpenAI-compatible server: the few endpoints this project uses, and the shapes it reads
 * from them, narrowed at run time (a server is outside input). Streaming answers are Server-Sent Events, parsed by
 * eventsource-parser: 3.x, the last line that runs on Node 20 (VS Code's Electron); the `openai` package needs Node
 * ≥ 22 and brings a whole SDK for three calls.
 */
import { createParser } from "eventsource-parser";
import { RepoQaError } from "../../util/errors";
import type { Endpoint } from "./endpoint";
import { send, type HttpResponse } from "./http";
import { contextLimitOf, contextOverflowError, httpError, parseJson } from "./remoteErrors";

export interface ServedModel {
  readonly id: string;
  /** vLLM's `max_model_len`. */
  readonly maxModelLen?: number;
}

export interface ChatMessage {
  readonly role: "system" | "user" | "assistant";
  readonly content: string;
}

export interface ChatRequest {
  readonly model: string;
  readonly messages: readonly ChatMessage[];
  readonly maxTokens: number;
  /** The prompt's size by our count, for the sentence when the server refuses it for length. */
  readonly promptTokens?: number;
}

/** Usage as servers report it; the cached share is vLLM's `prompt_tokens_details`, llama-server's `timings.cache_n`. */
export interface ChatUsage {
  readonly promptTokens?: number;
  readonly completionTokens?: number;
  readonly cachedTokens?: number;
}

export type ChatEvent = { readonly type: "text"; readonly text: string } | { readonly type: "usage"; readonly usage: ChatUsage };

export interface OpenAiClientOptions {
  readonly apiKey?: string;
  /** How long the server may send nothing. */
  readonly idleMs: number;
  /** Told the context size a server named when it refused a prompt for its length. */
  readonly onContextLimit?: (tokens: number) => void;
}

export class OpenAiClient {
  constructor(
    readonly endpoint: Endpoint,
    private readonly options: OpenAiClientOptions,
  ) {}

  async models(signal?: AbortSignal): Promise<ServedModel[]> {
    const body = await this.json("GET", `${this.endpoint.base}/models`, undefined, signal);
    const data = (body as { data?: unknown } | undefined)?.data;
    if (!Array.isArray(data)) throw this.malformed("/models", "no data list");
    return data.flatMap((item: unknown) => {
      const m = (item ?? {}) as { id?: unknown; max_model_len?: unknown };
      return typeof m.id === "string" ? [{ id: m.id, ...(typeof m.max_model_len === "number" ? { maxModelLen: m.max_model_len } : {}) }] : [];
    });
  }

  /** llama-server's context per slot (`/props`), or undefined where the server has no such endpoint. */
  async slotContext(signal?: AbortSignal): Promise<number | undefined> {
    const res = await this.request("GET", `${this.endpoint.origin}/props`, undefined, signal);
    const body = parseJson(await res.text()) as { default_generation_settings?: { n_ctx?: unknown } } | undefined;
    const nCtx = body?.default_generation_settings?.n_ctx;
    return res.status === 200 && typeof nCtx === "number" ? nCtx : undefined;
  }

  /** POSTs `body` to `url`; the parsed JSON on 200, undefined on 404 (the server has no such endpoint). */
  async optionalPost(url: string, body: unknown, signal?: AbortSignal): Promise<unknown> {
    const res = await this.request("POST", url, body, signal);
    const text = await res.text();
    if (res.status === 404 || res.status === 405) return undefined;
    if (res.status !== 200) throw httpError(this.endpoint, res.status, text);
    return parseJson(text);
  }

  /** A one-token answer: the server evaluates and caches the prompt (its prefix cache keeps the repo). */
  async complete(request: ChatRequest, signal?: AbortSignal): Promise<ChatUsage> {
    const res = await this.request("POST", `${this.endpoint.base}/chat/completions`, chatBody(request, false), signal, true);
    const text = await res.text();
    if (res.status !== 200) throw this.chatRefusal(res.status, text, request);
    return usageOf(parseJson(text)) ?? {};
  }

  /** Streams the answer's text, then its usage where the server reports it. */
  async *stream(request: ChatRequest, signal?: AbortSignal): AsyncIterable<ChatEvent> {
    const res = await this.request("POST", `${this.endpoint.base}/chat/completions`, chatBody(request, true), signal, true);
    if (res.status !== 200) throw this.chatRefusal(res.status, await res.text(), request);
    const pending: string[] = [];
    let done = false;
    const parser = createParser({ onEvent: (event) => void pending.push(event.data) });
    const chunks = res.chunks()[Symbol.asyncIterator]();
    for (;;) {
      const next = await chunks.next().catch((error: unknown) => {
        // After "200 OK" a failure is the stream breaking off, whatever the socket says (llama-cpp-python resets it
        // when the prompt is too long); an abort stays an abort.
        if (signal?.aborted || !(error instanceof Error) || error.name === "AbortError") throw error;
        if (error instanceof RepoQaError && error.code === "timeout") throw error;
        throw new RepoQaError(`the stream broke off: ${error.message.replace(/\.$/, "")}`, "interrupted", { cause: error });
      });
      if (next.done) break;
      parser.feed(next.value);
      for (const data of pending.splice(0)) {
        if (data.trim() === "[DONE]") done = true;
        else yield* this.eventsOf(data);
      }
      if (done) return;
    }
    throw new RepoQaError("the stream ended without its closing [DONE] event", "interrupted");
  }

  private *eventsOf(data: string): Iterable<ChatEvent> {
    const chunk = parseJson(data) as { choices?: { delta?: { content?: unknown } }[]; error?: unknown } | undefined;
    if (!chunk) throw this.malformed("/chat/completions", "an event that is not JSON");
    if (chunk.error) throw httpError(this.endpoint, 500, data);
    const text = chunk.choices?.[0]?.delta?.content;
    if (typeof text === "string" && text) yield { type: "text", text };
    const usage = usageOf(chunk);
    if (usage) yield { type: "usage", usage };
  }

  private chatRefusal(status: number, body: string, request: ChatRequest): RepoQaError {
    const limit = contextLimitOf(status, body);
    if (limit === undefined) return httpError(this.endpoint, status, body);
    this.options.onContextLimit?.(limit);
    return contextOverflowError(this.endpoint, limit, request.promptTokens);
  }

  private async json(method: "GET" | "POST", url: string, body: unknown, signal?: AbortSignal): Promise<unknown> {
    const res = await this.request(method, url, body, signal);
    const text = await res.text();
    if (res.status !== 200) throw httpError(this.endpoint, res.status, text);
    return parseJson(text);
  }

  private request(method: "GET" | "POST", url: string, body: unknown, signal?: AbortSignal, ownConnection = false): Promise<HttpResponse> {
    return send(this.endpoint, { method, url, body, apiKey: this.options.apiKey, idleMs: this.options.idleMs, signal, ownConnection });
  }

  private malformed(path: string, what: string): RepoQaError {
    return new RepoQaError(`The server at ${this.endpoint.host} answered ${path} with ${what}; is longropeQa.endpoint (--endpoint) an OpenAI-compatible /v1 base?`, "bad-input");
  }
}

function chatBody(request: ChatRequest, stream: boolean) {
  return {
    model: request.model,
    messages: request.messages,
    max_tokens: request.maxTokens,
    // Greedy, as locally: the same question about the same repo gets the same answer.
    temperature: 0,
    stream,
    ...(stream ? { stream_options: { include_usage: true } } : {}),
  };
}

function usageOf(value: unknown): ChatUsage | undefined {
  const v = value as {
    usage?: { prompt_tokens?: unknown; completion_tokens?: unknown; prompt_tokens_details?: { cached_tokens?: unknown } } | null;
    timings?: { cache_n?: unknown };
  } | undefined;
  const num = (x: unknown) => (typeof x === "number" ? x : undefined);
  const cached = num(v?.usage?.prompt_tokens_details?.cached_tokens) ?? num(v?.timings?.cache_n);
  if (!v || (!v.usage && cached === undefined)) return undefined;
  return {
    promptTokens: num(v.usage?.prompt_tokens),
    completionTokens: num(v.usage?.completion_tokens),
    ...(cached === undefined ? {} : { cachedTokens: cached }),
  };
}
