/**
 * The remote backend: an OpenAI-compatible server answers. The packed repository is the system message, byte for
 * byte the same for every question about the same repo (the packer puts no timestamp in it and orders files stably),
 * followed by the conversation, so the server's automatic prefix cache (vLLM's prefix caching, llama-server's
 * cache_prompt and slots, llama-cpp-python's reuse of the last prompt's KV) skips re-reading it on a follow-up.
 */
import { RepoQaError, isAbortError } from "../../util/errors";
import type { TokenCounter } from "../../workspace/types";
import type { AskCallbacks, RemoteEngineConfig, RepoQaConfig } from "../api";
import type { BackendCallbacks, BackendTurn, EngineBackend, PackTarget, PackedRepo } from "../backend";
import type { LogFn } from "../engineHost";
import type { AskResult, IngestResult, ModelInfo } from "../protocol";
import { parseEndpoint, type Endpoint } from "./endpoint";
import { OpenAiClient, type ChatMessage, type ChatRequest, type ChatUsage } from "./openaiClient";
import { emptyStreamError, interruptedError, unknownModelError } from "./remoteErrors";
import { estimateBytesPerToken, estimatingCounter, serverTokenCounter } from "./serverTokenizer";

export { remoteKey } from "./endpoint";

export interface RemoteBackendOptions {
  readonly log: LogFn;
  /** A local GGUF's tokenizer for the same model, when one is configured. */
  readonly localTokenizer: (config: RepoQaConfig, callbacks: BackendCallbacks) => Promise<{ model: ModelInfo; counter: TokenCounter } | undefined>;
}

export const defaultIdleMs = 300_000;
/** Context assumed when neither the server nor a local GGUF says; a refusal for length then teaches the real one. */
export const assumedContext = 8192;

interface ServerFacts {
  readonly model: string;
  readonly contextLimit: number;
  readonly contextSource: string | undefined;
  readonly counter: TokenCounter;
  readonly estimate: string | undefined;
  readonly name: string;
}

export class RemoteBackend implements EngineBackend {
  readonly kind = "remote";
  readonly pid = undefined;
  private readonly endpoint: Endpoint;
  private readonly client: OpenAiClient;
  private facts: ServerFacts | undefined;
  /** A context size the server named when it refused a prompt: it overrides what was assumed. */
  private learnedContext: number | undefined;
  private readonly inFlight = new Set<AbortController>();

  constructor(
    private readonly config: RemoteEngineConfig,
    private readonly options: RemoteBackendOptions,
  ) {
    this.endpoint = parseEndpoint(config.endpoint);
    this.client = new OpenAiClient(this.endpoint, {
      apiKey: config.apiKey,
      idleMs: config.timeoutMs ?? defaultIdleMs,
      onContextLimit: (tokens) => (this.learnedContext = tokens),
    });
  }

  async target(config: RepoQaConfig, callbacks: BackendCallbacks): Promise<PackTarget> {
    this.facts ??= await this.readServer(config, callbacks);
    const facts = this.facts;
    const contextLimit = this.learnedContext ?? facts.contextLimit;
    const contextSource = this.learnedContext !== undefined ? "named by the server when it refused a longer prompt" : facts.contextSource;
    return {
      model: this.modelInfo(contextLimit),
      contextLimit,
      tokenCounter: facts.counter,
      ...(facts.estimate ? { estimate: facts.estimate } : {}),
      ...(contextSource ? { contextSource } : {}),
    };
  }

  async fit(config: RepoQaConfig, _neededTokens: number, callbacks: BackendCallbacks): Promise<ModelInfo> {
    return (await this.target(config, callbacks)).model;
  }

  async ingest(repo: PackedRepo, _maxTokens: number, callbacks: BackendCallbacks): Promise<IngestResult> {
    const started = performance.now();
    const facts = this.requireFacts();
    const usage = await this.withAbort(callbacks.signal, (signal) =>
      this.client.complete({ model: facts.model, messages: [{ role: "system", content: repo.text }, { role: "user", content: "." }], maxTokens: 1 }, signal),
    ).catch((error: unknown) => {
      if (isAbortError(error) || callbacks.signal?.aborted) return undefined;
      throw error;
    });
    const ms = performance.now() - started;
    const prompt = usage?.promptTokens ?? 0;
    const reused = usage?.cachedTokens ?? 0;
    return {
      cancelled: usage === undefined,
      prefixTokens: prompt,
      reusedTokens: reused,
      evaluatedTokens: Math.max(0, prompt - reused),
      loadedFromState: false,
      contextSize: this.learnedContext ?? facts.contextLimit,
      ms,
      evaluateMs: ms,
    };
  }

  async ask(repo: PackedRepo, turn: BackendTurn, callbacks: AskCallbacks): Promise<AskResult> {
    const { signal, onStatus, onToken } = callbacks;
    const facts = this.requireFacts();
    const messages: ChatMessage[] = [{ role: "system", content: repo.text }];
    for (const t of turn.history) messages.push({ role: "user", content: t.question }, { role: "assistant", content: t.answer });
    messages.push({ role: "user", content: turn.question });
    const started = performance.now();
    let text = "";
    let ttftMs = 0;
    let chunks = 0;
    let usage: ChatUsage = {};
    // The server reads the prompt and answers in one request: from here on the question is with it.
    onStatus?.({ state: "answering" });
    const request: ChatRequest = { model: facts.model, messages, maxTokens: turn.maxTokens, promptTokens: repo.tokens };
    try {
      await this.withAbort(signal, async (aborted) => {
        for await (const event of this.client.stream(request, aborted)) {
          if (event.type === "usage") usage = event.usage;
          else {
            if (!text) ttftMs = performance.now() - started;
            text += event.text;
            chunks++;
            onToken?.(event.text);
          }
        }
      });
    } catch (error) {
      if (isAbortError(error) || signal?.aborted) return this.answer(text, chunks, usage, ttftMs, true);
      if (text) throw interruptedError(this.endpoint, error, text);
      throw await this.diagnose(error, request, signal);
    }
    if (usage.promptTokens === undefined) usage = { ...usage, promptTokens: await this.promptTokens(repo, messages.slice(1)) };
    return this.answer(text, chunks, usage, ttftMs, false);
  }

  /** Our count of the prompt when the server reports none (llama-cpp-python streams no usage): repo plus turns. */
  private async promptTokens(repo: PackedRepo, turns: readonly ChatMessage[]): Promise<number> {
    const counts = await this.requireFacts().counter.countTokens(turns.map((m) => m.content)).catch(() => []);
    return (repo.tokens ?? 0) + counts.reduce((sum, n) => sum + n, 0);
  }

  /**
   * A stream that broke before its first token. llama-cpp-python refuses an over-long prompt only once the stream has
   * begun, and then resets the connection; asked the same without streaming, it says why (HTTP 400 with its context
   * size), and so does any server whose failure is about the request. A server that is gone says "refused" then.
   */
  private async diagnose(error: unknown, request: ChatRequest, signal: AbortSignal | undefined): Promise<unknown> {
    if (!(error instanceof RepoQaError) || (error.code !== "interrupted" && error.code !== "unreachable")) return error;
    try {
      await this.withAbort(signal, (aborted) => this.client.complete({ ...request, maxTokens: 1 }, aborted));
    } catch (reason) {
      return reason;
    }
    return error.code === "interrupted" ? emptyStreamError(this.endpoint, error) : error;
  }

  dispose(): Promise<void> {
    for (const controller of this.inFlight) controller.abort();
    this.inFlight.clear();
    return Promise.resolve();
  }

  private answer(text: string, chunks: number, usage: ChatUsage, ttftMs: number, cancelled: boolean): AskResult {
    return {
      cancelled,
      text,
      promptTokens: usage.promptTokens ?? 0,
      reusedTokens: usage.cachedTokens ?? 0,
      reuseReported: usage.cachedTokens !== undefined,
      generatedTokens: usage.completionTokens ?? chunks,
      ttftMs,
      contextSize: this.learnedContext ?? this.facts?.contextLimit,
    };
  }

  /** dispose() aborts what is in flight, as the local backend's kills its worker. */
  private async withAbort<T>(signal: AbortSignal | undefined, run: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const controller = new AbortController();
    const onAbort = () => controller.abort(signal?.reason);
    signal?.addEventListener("abort", onAbort, { once: true });
    if (signal?.aborted) onAbort();
    this.inFlight.add(controller);
    try {
      return await run(controller.signal);
    } finally {
      signal?.removeEventListener("abort", onAbort);
      this.inFlight.delete(controller);
    }
  }

  private requireFacts(): ServerFacts {
    if (!this.facts) throw new RepoQaError("The server was asked before its model was read; ask again.", "internal");
    return this.facts;
  }

  private modelInfo(contextLimit: number): ModelInfo {
    const name = this.facts?.name ?? this.config.model ?? "server model";
    return {
      modelPath: "",
      name,
      architecture: "remote",
      trainContextSize: contextLimit,
      maxContextSize: contextLimit,
      gpu: false,
      ropeScaling: "as the server runs it",
      kvBytesPerToken: 0,
      server: this.endpoint.host,
    };
  }

  /** The model to ask for, its context size and who counts its tokens: read once per backend. */
  private async readServer(config: RepoQaConfig, callbacks: BackendCallbacks): Promise<ServerFacts> {
    const { signal } = callbacks;
    const served = await this.client.models(signal);
    const wanted = this.config.model;
    const chosen = wanted ? served.find((m) => m.id === wanted) : served[0];
    if (!chosen) throw unknownModelError(this.endpoint, wanted ?? "(any)", served.map((m) => m.id));
    const slotContext = chosen.maxModelLen === undefined ? await this.client.slotContext(signal) : undefined;
    const serverCounter = await serverTokenCounter(this.client, chosen.id, signal);
    const local = serverCounter ? undefined : await this.options.localTokenizer(config, callbacks);
    const counter = serverCounter ?? local?.counter ?? estimatingCounter();
    const estimate = serverCounter || local ? undefined : `estimated at ${estimateBytesPerToken} bytes per token (the server has no tokenizer endpoint; set longropeQa.modelPath to the same model's GGUF to count exactly)`;
    const known = chosen.maxModelLen ?? slotContext;
    const contextLimit = known ?? local?.model.trainContextSize ?? assumedContext;
    const contextSource = known !== undefined ? undefined : local ? `assumed from ${local.model.name}'s GGUF` : "assumed; the server does not say";
    this.options.log("info", `remote model ${chosen.id} at ${this.endpoint.host}: context ${contextLimit}${contextSource ? ` (${contextSource})` : ""}, tokens ${serverCounter ? "counted by the server" : local ? "counted by the local GGUF" : "estimated"}`);
    return { model: chosen.id, contextLimit, contextSource, counter, estimate, name: chosen.id };
  }
}
