/**
 * The repo prompt in one context sequence: the packed repo (system message) stays in the KV cache as a prefix;
 * each question evaluates only what differs from the cache (the question, turns not yet cached, or the tail of a repo
 * that changed: everything from the first different token is erased first). The conversation stays after the prefix
 * until a prompt parts from it. The context is sized to the prompt plus the answer reserve, so a context shift can
 * never touch the repo prefix.
 */
import type { ChatHistoryItem, ChatWrapper, LlamaContext, LlamaContextSequence, Token, Tokenizer } from "node-llama-cpp";
import type { AskRequest, AskResult, IngestResult } from "../protocol";
import { formatBytes, kvTypeProblem, planFit } from "../memoryPlan";
import { formatTokens } from "../../util/formatTokens";
import type { LoadedModel } from "./modelLoader";
import { saveRepoState, tryLoadRepoState } from "./savedState";
import type { StateStore } from "./stateStore";
import { rememberLongTexts } from "./rememberingTokenizer";
import { commonPrefix } from "./tokenPrefix";
import { RepoQaError, firstLine } from "../../util/errors";
import { DEFAULT_PROMPT_STYLE, buildHistory, wordTokenFilter, type PromptStyle } from "./promptStyle";

export { buildHistory } from "./promptStyle";

/**
 * Tokens evaluated between two progress reports (and cancellation checks): the chunk grows (at most 4× a step) or shrinks so
 * that one takes about `targetMs`, which keeps cancel responsive on a slow CPU and the per-chunk overhead small on a GPU.
 */
export const chunkLimits = { first: 512, max: 16384, targetMs: 300 };
const contextGranule = 1024;
const contextMargin = 16;

/** An ask request with the repo text it names. */
export type AskPrompt = Omit<AskRequest, "type" | "id" | "repo"> & { readonly repoContext: string };

export interface IngestProgress {
  (done: number, total: number): void;
}

interface PreparedPrompt {
  /** The sequence the prompt was evaluated into (ensureContext's). */
  readonly sequence: LlamaContextSequence;
  readonly tokens: Token[];
  readonly prefixLength: number;
  readonly reusedTokens: number;
  readonly evaluatedTokens: number;
  readonly loadedFromState: boolean;
  readonly cancelled: boolean;
  /** Time spent evaluating prompt tokens (the chunk loop only). */
  readonly evaluateMs: number;
}

export class PromptSession {
  private context: LlamaContext | undefined;
  private sequence: LlamaContextSequence | undefined;
  private lastPrefix: { repoContext: string; probe: Token[] } = { repoContext: "", probe: [] };
  private afterAnswer: (() => Promise<void>) | undefined;
  /**
   * The model's tokenizer, remembering the tokens of long texts: chat templates put the system message between
   * special tokens, so the repo text is tokenized once, not for every question and probe.
   */
  private readonly tokenizer: Tokenizer;
  private readonly wordTokens: (tokens: Token[]) => Token[];

  constructor(
    readonly loaded: LoadedModel,
    private readonly chatWrapper: ChatWrapper,
    private readonly store: StateStore | undefined,
    private readonly style: PromptStyle = DEFAULT_PROMPT_STYLE,
  ) {
    this.tokenizer = rememberLongTexts(loaded.model.tokenizer);
    this.wordTokens = wordTokenFilter(loaded.model);
  }

  async ingest(repoContext: string, maxTokens: number, signal: AbortSignal, onProgress: IngestProgress): Promise<IngestResult> {
    const started = performance.now();
    const history = buildHistory(repoContext, [], "", this.style.repoIn);
    const prepared = await this.prepare(history, repoContext, maxTokens, "prefix", signal, onProgress);
    if (!prepared.cancelled) await this.trimToPrefix(prepared, "always");
    return {
      cancelled: prepared.cancelled,
      prefixTokens: prepared.prefixLength,
      reusedTokens: prepared.reusedTokens,
      evaluatedTokens: prepared.evaluatedTokens,
      loadedFromState: prepared.loadedFromState,
      contextSize: this.sequence?.contextSize ?? 0,
      ms: performance.now() - started,
      evaluateMs: prepared.evaluateMs,
    };
  }

  /** `answer` overrides the style's sampling for this answer (the eval compares answer settings on one cached repo). */
  async ask(request: AskPrompt & { readonly answer?: Pick<PromptStyle, "repeatPenalty" | "penalise" | "dry"> }, signal: AbortSignal, onProgress: IngestProgress, onText: (text: string) => void): Promise<AskResult> {
    const started = performance.now();
    const history = buildHistory(request.repoContext, request.history ?? [], request.question, this.style.repoIn);
    const prepared = await this.prepare(history, request.repoContext, request.maxTokens, "all-but-last", signal, onProgress);
    const base = { promptTokens: prepared.tokens.length, reusedTokens: prepared.reusedTokens, loadedFromState: prepared.loadedFromState };
    if (prepared.cancelled) return { ...base, cancelled: true, text: "", generatedTokens: 0, ttftMs: 0, contextSize: this.sequence?.contextSize };
    const { LlamaChat } = await import("node-llama-cpp");
    const { sequence } = prepared;
    const chat = new LlamaChat({ contextSequence: sequence, chatWrapper: this.chatWrapper, autoDisposeSequence: false });
    const { repeatPenalty: penalty, penalise, dry } = request.answer ?? this.style;
    let ttftMs = 0;
    let generatedTokens = 0;
    try {
      const response = await chat.generateResponse(history, {
        maxTokens: request.maxTokens,
        temperature: request.temperature ?? 0,
        repeatPenalty: penalty === 1 ? false : { penalty, lastTokens: 64, punishTokensFilter: penalise === "words" ? this.wordTokens : undefined },
        dryRepeatPenalty: dry > 0 ? { strength: dry, lastTokens: 64 } : undefined,
        signal,
        stopOnAbortSignal: true,
        onToken: (tokens) => void (generatedTokens += tokens.length),
        onTextChunk: (text) => {
          if (ttftMs === 0) ttftMs = performance.now() - started;
          onText(text);
        },
      });
      return { ...base, cancelled: signal.aborted, text: response.response, generatedTokens, ttftMs, contextSize: sequence.contextSize };
    } finally {
      chat.dispose({ disposeSequence: false });
      this.afterAnswer = () => this.saveKeepingConversation(prepared);
    }
  }

  /**
   * Work left after an answer was sent (saving the repo state), run by the worker before the next request: the
   * answer's `done` frame does not wait for a multi-GB write, and the user is reading it meanwhile.
   */
  async runAfterAnswer(): Promise<void> {
    const work = this.afterAnswer;
    this.afterAnswer = undefined;
    await work?.();
  }

  /** Saves the prefix (when due), then evaluates the conversation again so a follow-up still finds it cached. */
  private async saveKeepingConversation(prepared: PreparedPrompt): Promise<void> {
    const sequence = this.sequence;
    if (!sequence) return;
    const conversation = sequence.contextTokens.slice(prepared.prefixLength);
    const held = sequence.nextTokenIndex;
    await this.trimToPrefix(prepared, "only-to-save");
    if (sequence.nextTokenIndex < held && sequence.nextTokenIndex === prepared.prefixLength && conversation.length > 0) {
      await sequence.evaluateWithoutGeneratingNewTokens(conversation);
    }
  }

  async dispose(): Promise<void> {
    await this.context?.dispose();
    this.context = undefined;
    this.sequence = undefined;
  }

  /** Tokenizes the chat, makes sure the context can hold it, then evaluates what the cache lacks, in chunks. */
  private async prepare(
    history: ChatHistoryItem[],
    repoContext: string,
    maxTokens: number,
    until: "prefix" | "all-but-last",
    signal: AbortSignal,
    onProgress: IngestProgress,
  ): Promise<PreparedPrompt> {
    const started = performance.now();
    const tokens = this.tokenizeChat(history);
    const prefixLength = this.repoPrefixLength(repoContext, tokens);
    const tokenized = performance.now();
    const sequence = await this.ensureContext(tokens.length, maxTokens);
    const prefix = tokens.slice(0, prefixLength);
    let loadedFromState = false;
    // A saved state pays off when most of the prefix is missing; a small changed tail is cheaper to evaluate.
    if (this.store && sequence.compareContextTokens(tokens).firstDifferentIndex < prefixLength * 0.5) {
      loadedFromState = (await tryLoadRepoState(this.store, this.loaded, sequence, prefix)) > 0;
    }
    const reusedTokens = sequence.compareContextTokens(tokens).firstDifferentIndex;
    if (reusedTokens < sequence.nextTokenIndex) {
      await sequence.eraseContextTokenRanges([{ start: reusedTokens, end: sequence.nextTokenIndex }]);
    }
    const end = until === "prefix" ? prefixLength : tokens.length - 1;
    let done = Math.min(reusedTokens, end);
    onProgress(done, end);
    let chunkTokens = chunkLimits.first;
    const evaluateStarted = performance.now();
    while (done < end) {
      if (signal.aborted) break;
      const chunk = tokens.slice(done, Math.min(end, done + chunkTokens));
      const chunkStarted = performance.now();
      await sequence.evaluateWithoutGeneratingNewTokens(chunk);
      const chunkMs = Math.max(1, performance.now() - chunkStarted);
      const next = Math.min(chunk.length * 4, (chunk.length * chunkLimits.targetMs) / chunkMs);
      // Whole batches: a partial batch costs a decode call of its own.
      const batch = sequence.context.batchSize;
      chunkTokens = Math.min(chunkLimits.max, Math.max(batch, Math.round(next / batch) * batch));
      done += chunk.length;
      onProgress(done, end);
    }
    const evaluateMs = performance.now() - evaluateStarted;
    const evaluatedTokens = Math.max(0, done - reusedTokens);
    process.stderr.write(
      `prepared ${tokens.length} tokens (repo ${repoContext.length} chars): reused ${reusedTokens}, evaluated ${evaluatedTokens} in ${(performance.now() - started).toFixed(0)} ms` +
        ` (tokenize ${(tokenized - started).toFixed(0)} ms${loadedFromState ? ", from saved state" : ""})\n`,
    );
    const cancelled = signal.aborted && done < end;
    return { sequence, tokens, prefixLength, reusedTokens, evaluatedTokens, loadedFromState, cancelled, evaluateMs };
  }

  /**
   * Saves the repo prefix's state when much of it was evaluated just now (erasing everything after the prefix first).
   * After an answer the conversation otherwise stays in the cache: the next question of the same chat reuses it, and
   * a new chat or an edited repo parts from it at the first different token, which is erased then.
   */
  private async trimToPrefix(prepared: PreparedPrompt, when: "always" | "only-to-save"): Promise<void> {
    const sequence = this.sequence;
    if (!sequence) return;
    const keep = Math.min(prepared.prefixLength, sequence.compareContextTokens(prepared.tokens).firstDifferentIndex);
    // Writing a state costs about as much as evaluating a tenth of it again, so small edits are not re-saved: after a
    // restart the older state is loaded and the changed tail evaluated.
    const evaluatedInPrefix = prepared.prefixLength - Math.min(prepared.prefixLength, prepared.reusedTokens);
    const { store } = this;
    const save = store !== undefined && evaluatedInPrefix >= prepared.prefixLength * 0.1 && keep === prepared.prefixLength;
    if (when === "only-to-save" && !save) return;
    if (keep < sequence.nextTokenIndex) await sequence.eraseContextTokenRanges([{ start: keep, end: sequence.nextTokenIndex }]);
    if (save) await saveRepoState(store, this.loaded, sequence, prepared.tokens.slice(0, keep));
  }

  private tokenizeChat(history: ChatHistoryItem[]): Token[] {
    const { contextText } = this.chatWrapper.generateContextState({ chatHistory: history });
    return contextText.tokenize(this.tokenizer);
  }

  /**
   * Length of the token prefix that depends on the repo only: where this prompt parts from a probe prompt with the same
   * repo and a question no one asks. The probe is tokenized once per repo text.
   */
  private repoPrefixLength(repoContext: string, tokens: readonly Token[]): number {
    if (this.lastPrefix.repoContext !== repoContext) {
      this.lastPrefix = { repoContext, probe: this.tokenizeChat(buildHistory(repoContext, [], "\u0001", this.style.repoIn)) };
    }
    return commonPrefix(tokens, this.lastPrefix.probe);
  }

  private async ensureContext(promptTokens: number, maxTokens: number): Promise<LlamaContextSequence> {
    const { info } = this.loaded;
    const needed = promptTokens + maxTokens + contextMargin;
    if (needed > info.maxContextSize) {
      throw new RepoQaError(
        `The prompt needs ${promptTokens} tokens plus ${maxTokens} for the answer, but ${info.name} holds ${info.maxContextSize} tokens; ` +
          "exclude files (longropeQa.exclude) or use a longer-context model.",
        "context-overflow",
      );
    }
    if (this.sequence && this.sequence.contextSize >= needed) return this.sequence;
    const { settings, threads, flashAttention } = this.loaded;
    const kvProblem = kvTypeProblem(this.loaded.shape, settings.kvCacheType ?? "f16");
    if (kvProblem) {
      throw new RepoQaError(`${info.name} cannot use a ${settings.kvCacheType} KV cache (${kvProblem}); set longropeQa.kvCacheType to f16.`, "bad-input");
    }
    await this.dispose();
    const contextSize = Math.min(info.maxContextSize, Math.ceil(needed / contextGranule) * contextGranule);
    await this.checkMemory(contextSize);
    const kvType = settings.kvCacheType && settings.kvCacheType !== "f16" ? settings.kvCacheType : undefined;
    try {
      this.context = await this.loaded.model.createContext({
        contextSize,
        threads,
        flashAttention,
        sequences: 1,
        experimentalKvCacheKeyType: kvType?.toUpperCase() as "Q8_0" | "Q4_0" | undefined,
        // llama.cpp quantizes V only with flash attention.
        experimentalKvCacheValueType: flashAttention ? (kvType?.toUpperCase() as "Q8_0" | "Q4_0" | undefined) : undefined,
      });
    } catch (error) {
      const hint = await this.fitHint(contextSize);
      throw new RepoQaError(`Could not allocate a ${formatTokens(contextSize)}-token context (${firstLine(error)}); ${hint}.`, "out-of-memory", { cause: error });
    }
    this.sequence = this.context.getSequence();
    return this.sequence;
  }

  /** The memory estimate before allocating: KV bytes per token × tokens against free memory, and what fits instead. */
  private async checkMemory(contextSize: number): Promise<void> {
    const free = await this.freeBytes();
    const needed = this.loaded.info.kvBytesPerToken * contextSize;
    process.stderr.write(`KV cache estimate: ${formatBytes(needed)} for ${contextSize} tokens (${formatBytes(free)} free)\n`);
    if (needed > free) {
      throw new RepoQaError(
        `A ${formatTokens(contextSize)}-token context needs ${formatBytes(needed)} of KV cache but ${formatBytes(free)} is free; ` +
          `${await this.fitHint(contextSize)} (longropeQa.kvCacheType, or exclude files to shrink the prompt).`,
        "out-of-memory",
      );
    }
  }

  private async fitHint(contextSize: number): Promise<string> {
    const fit = planFit({ shape: this.loaded.shape, type: this.loaded.settings.kvCacheType ?? "f16", contextTokens: contextSize, availableBytes: await this.freeBytes() });
    return fit.suggestion ? `use a ${fit.suggestion}` : "close other programs or choose a smaller model";
  }

  private async freeBytes(): Promise<number> {
    const { llama } = this.loaded;
    if (llama.gpu !== false && this.loaded.model.gpuLayers > 0) return (await llama.getVramState()).free;
    const os = await import("node:os");
    return os.freemem();
  }
}
