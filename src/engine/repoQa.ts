/**
 * The engine service the extension, the chat and the CLI share: resolve the model → load it (once; again when the
 * settings change or the worker restarted) → pack the workspace with the model's tokenizer and a budget of context
 * minus the answer reserve → ingest and answer in the worker, which keeps the repo prefix in its KV cache.
 * Calls run one at a time in arrival order (a second question waits; it is never interleaved).
 */
import path from "node:path";
import { stat } from "node:fs/promises";
import { packWorkspace } from "../workspace/index";
import type { PackOptions, PackResult, TokenCounter } from "../workspace/types";
import { RepoQaError, describeError, isAbortError } from "../util/errors";
import type { AskCallbacks, AskQuestion, EngineStatus, PackBudget, RepoAnswer, RepoQaConfig, RepoQaService, SavedStatesInfo } from "./api";
import { fitConversation } from "./conversationFit";
import { EngineHost, type LogFn } from "./engineHost";
import { resolveModelPath } from "./modelSource";
import type { AskResult, IngestResult, ModelInfo, ProgressFrame } from "./protocol";
import { IngestMeter } from "./ingestMeter";
import { chooseModel, largestContext } from "./modelChoice";
import { loadOrCreateKeyFile } from "./stateKey";
import { StateStore } from "./worker/stateStore";

export interface RepoQaOptions {
  readonly workerPath: string;
  /** Models and saved KV states live under it (the extension's global storage, or ~/.cache/longrope-qa). */
  readonly storageDir: string;
  readonly log: LogFn;
  /** Total bytes of saved KV states. Default: 8 GiB. */
  readonly stateCacheBytes?: number;
  /** Overridable for tests; default: the workspace packer. */
  readonly pack?: (options: PackOptions) => Promise<PackResult>;
  /** Overridable for tests; default: huggingface.co. */
  readonly probeUrl?: string;
  /** The per-machine key for saved states (the extension's SecretStorage). Default: `<storageDir>/state-key`, 0600. */
  readonly stateKey?: () => Promise<string>;
  /** False keeps the repo's KV state in memory only: nothing is written to disk. Read on each model load. Default: true. */
  readonly saveStates?: () => boolean;
}

export const defaultMaxTokens = 1024;
/** Tokens kept free for the chat template, the question and earlier turns when the packer fits the repo. */
export const questionReserveTokens = 512;

export class RepoQa implements RepoQaService {
  private readonly host: EngineHost;
  private queue: Promise<unknown> = Promise.resolve();
  private loaded: { key: string; pid: number | undefined; info: ModelInfo; extension?: string } | undefined;
  /** Context of each configured model file, learned when it was first loaded. */
  private readonly baseContexts = new Map<string, number>();
  /** The last question's config, answer reserve and question: a re-ingest after an edit packs exactly as it did. */
  private lastAsk: { config: RepoQaConfig; maxTokens: number; question: string | undefined } | undefined;
  private changeTimer: NodeJS.Timeout | undefined;

  constructor(private readonly options: RepoQaOptions) {
    this.host = new EngineHost(options.workerPath, options.log);
  }

  get lastModel(): ModelInfo | undefined {
    return this.loaded?.info;
  }

  get enginePid(): number | undefined {
    return this.host.pid;
  }

  ask(config: RepoQaConfig, question: AskQuestion, callbacks: AskCallbacks = {}): Promise<RepoAnswer> {
    return this.enqueue(async () => {
      const { signal, onStatus } = callbacks;
      const wanted = question.maxTokens ?? defaultMaxTokens;
      this.lastAsk = { config, maxTokens: wanted, question: question.question };
      try {
        let { model, packed } = await this.packAndChoose(config, wanted, question.question, callbacks);
        if (packed.cancelled) return cancelledAnswer();
        const fitted = await fitConversation(
          { contextSize: model.maxContextSize, repoTokens: packed.totalTokens ?? 0, question: question.question, history: question.history ?? [], answerTokens: wanted },
          (texts) => this.host.countTokens(texts, signal),
        );
        if (fitted.repoShortfall > 0) {
          // The last resort: the question alone leaves too little room, so fewer files are read.
          const budgetTokens = (packed.totalTokens ?? 0) - fitted.repoShortfall;
          if (budgetTokens <= 0) throw new RepoQaError(`The question is too long for ${model.name}'s ${model.maxContextSize}-token window; shorten it.`, "context-overflow");
          ({ model, packed } = await this.packAndChoose({ ...config, pack: { ...config.pack, budgetTokens } }, fitted.answerTokens, question.question, callbacks));
          if (packed.cancelled) return cancelledAnswer();
        }
        const { history, answerTokens: maxTokens } = fitted;
        const meter = new IngestMeter((s) => onStatus?.(s));
        let answering = false;
        const result = await this.host.request(
          { type: "ask", repoContext: packed.text, question: question.question, history, maxTokens },
          {
            signal,
            onProgress: (frame) => meter.update(frame),
            onToken: (text) => {
              if (!answering) onStatus?.({ state: "answering" });
              answering = true;
              callbacks.onToken?.(text);
            },
          },
        );
        onStatus?.({ state: "ready", meter: this.meterOf(model, packed, result.contextSize) });
        const filesRead = packed.included.map((f) => f.path);
        const filesTotal = filesRead.length + packed.excluded.filter((f) => f.reason === "budget").length;
        const contextSize = result.contextSize ?? model.maxContextSize;
        return { ...result, context: { filesRead, filesTotal, droppedTurns: fitted.droppedTurns, answerTokens: maxTokens, contextSize } };
      } catch (error) {
        if (isAbortError(error) || signal?.aborted) return cancelledAnswer();
        onStatus?.({ state: "error", message: describeError(error) });
        throw error;
      }
    });
  }

  /** Packs and brings the repo into the KV cache without asking (after an edit, or before the first question). */
  prepare(
    config: RepoQaConfig,
    callbacks: Pick<AskCallbacks, "signal" | "onStatus"> = {},
    maxTokens = defaultMaxTokens,
    question?: string,
  ): Promise<IngestResult | undefined> {
    return this.enqueue(async () => {
      this.lastAsk = { config, maxTokens, question };
      const { model, packed } = await this.packAndChoose(config, maxTokens, question, callbacks);
      if (packed.cancelled) return undefined;
      const meter = new IngestMeter((s) => callbacks.onStatus?.(s));
      const result = await this.host.request(
        { type: "ingest", repoContext: packed.text, maxTokens },
        { signal: callbacks.signal, onProgress: (frame) => meter.update(frame) },
      );
      callbacks.onStatus?.({ state: "ready", meter: this.meterOf(model, packed, result.contextSize) });
      return result;
    });
  }

  pack(
    config: RepoQaConfig,
    callbacks: Pick<AskCallbacks, "signal" | "onStatus"> = {},
    maxTokens = defaultMaxTokens,
  ): Promise<PackResult & { readonly budget?: PackBudget }> {
    return this.enqueue(async () => {
      if (!config.engine.modelPath) return this.runPacker(config, callbacks, undefined);
      const { packed, budget } = await this.packAndChoose(config, maxTokens, undefined, callbacks, false);
      return { ...packed, budget };
    });
  }

  /** What the saved KV states take on disk (shown to the user, who can clear them). */
  savedStates(): Promise<SavedStatesInfo> {
    return this.enqueue(async () => {
      const store = await StateStore.open(this.stateDirectory, this.stateCacheBytes);
      const metas = await store.list();
      return { directory: this.stateDirectory, count: metas.length, bytes: metas.reduce((sum, m) => sum + m.bytes, 0) };
    });
  }

  /** Deletes every saved KV state; the next question reads the repo again. */
  clearSavedStates(): Promise<void> {
    return this.enqueue(async () => {
      const store = await StateStore.open(this.stateDirectory, this.stateCacheBytes);
      for (const meta of await store.list()) await store.remove(meta.key);
    });
  }

  private get stateDirectory(): string {
    return path.join(this.options.storageDir, "kv-states");
  }

  private stateKey(): Promise<string> {
    return this.options.stateKey?.() ?? loadOrCreateKeyFile(path.join(this.options.storageDir, "state-key"));
  }

  private get stateCacheBytes(): number {
    return this.options.stateCacheBytes ?? 8 * 1024 ** 3;
  }

  /**
   * Called by a file watcher: after a quiet second, re-packs and evaluates only the changed tail of the prompt, so
   * the next question starts from a warm cache. Does nothing before the first question.
   */
  onWorkspaceChanged(onStatus?: (status: EngineStatus) => void): void {
    clearTimeout(this.changeTimer);
    const last = this.lastAsk;
    if (!last || !this.loaded) return;
    this.changeTimer = setTimeout(() => {
      this.prepare(last.config, { onStatus }, last.maxTokens, last.question).catch((error) => this.options.log("warn", `re-ingest after an edit failed: ${describeError(error)}`));
    }, 1000);
  }

  async dispose(options: { readonly graceMs?: number } = {}): Promise<void> {
    clearTimeout(this.changeTimer);
    await this.host.dispose(options);
  }

  private enqueue<T>(work: () => Promise<T>): Promise<T> {
    const run = this.queue.then(work, work);
    this.queue = run.catch(() => undefined);
    return run;
  }

  /**
   * Resolves the configured model, packs with its tokenizer and a budget of the largest context it (or an extended
   * copy of it) offers, then loads the model file that fits the packed prompt.
   */
  private async packAndChoose(
    config: RepoQaConfig,
    maxTokens: number,
    question: string | undefined,
    callbacks: Pick<AskCallbacks, "signal" | "onStatus">,
    loadChoice = true,
  ): Promise<{ model: ModelInfo; packed: PackResult; budget: PackBudget }> {
    const basePath = await resolveModelPath({
      modelPath: config.engine.modelPath,
      storageDir: this.options.storageDir,
      host: this.host,
      signal: callbacks.signal,
      probeUrl: this.options.probeUrl,
      onDownload: (f: ProgressFrame) => callbacks.onStatus?.({ state: "downloading", done: f.done, total: f.total }),
    });
    let model = this.isLoaded(config, this.loaded?.info.modelPath) ? this.loaded!.info : undefined;
    let baseContext = this.baseContexts.get(basePath);
    if (baseContext === undefined || !model) {
      const base = await this.load(config, basePath, undefined, callbacks);
      baseContext = base.maxContextSize;
      this.baseContexts.set(basePath, baseContext);
      model = base;
    }
    const reserve = maxTokens + questionReserveTokens;
    const limit = await largestContext(basePath, baseContext);
    const budget = config.pack.budgetTokens ?? limit - reserve;
    if (budget <= 0) {
      throw new RepoQaError(
        `The answer reserve (${maxTokens} tokens) leaves no room for the repo in ${model.name}'s ${limit}-token context; lower longropeQa.maxAnswerTokens.`,
        "context-overflow",
      );
    }
    const packConfig = { ...config, pack: { ...config.pack, budgetTokens: budget, question: question ?? config.pack.question } };
    const packed = await this.runPacker(packConfig, callbacks, this.host);
    const budgetInfo = { contextSize: limit, budgetTokens: budget, answerTokens: maxTokens, questionTokens: questionReserveTokens, modelFile: path.basename(basePath) };
    if (packed.cancelled || !loadChoice) return { model, packed, budget: budgetInfo };
    const choice = await chooseModel(basePath, baseContext, (packed.totalTokens ?? 0) + reserve);
    if (!this.isLoaded(config, choice.modelPath)) model = await this.load(config, choice.modelPath, choice.extension, callbacks);
    return { model, packed, budget: budgetInfo };
  }

  private isLoaded(config: RepoQaConfig, modelPath: string | undefined): boolean {
    const loaded = this.loaded;
    return !!loaded && !!modelPath && loaded.key === modelKey(config, modelPath) && loaded.pid === this.host.pid && loaded.pid !== undefined;
  }

  private async load(
    config: RepoQaConfig,
    modelPath: string,
    extension: string | undefined,
    callbacks: Pick<AskCallbacks, "signal" | "onStatus">,
  ): Promise<ModelInfo> {
    callbacks.onStatus?.({ state: "loading", modelPath });
    const stateCache = this.options.saveStates?.() === false ? undefined : { directory: this.stateDirectory, maxBytes: this.stateCacheBytes, key: await this.stateKey() };
    const settings = { ...config.engine, modelPath };
    const loaded = await this.host.request({ type: "loadModel", settings, stateCache }, { signal: callbacks.signal });
    const info = extension ? { ...loaded, ropeScaling: extension } : loaded;
    this.loaded = { key: modelKey(config, modelPath), pid: this.host.pid, info, extension };
    return info;
  }

  private meterOf(model: ModelInfo, packed: PackResult, contextSize: number | undefined): Extract<EngineStatus, { state: "ready" }>["meter"] {
    const size = contextSize ?? model.maxContextSize;
    return {
      repoTokens: packed.totalTokens ?? 0,
      contextSize: size,
      modelName: model.name,
      modelFile: path.basename(model.modelPath),
      ropeScaling: model.ropeScaling,
      filesIncluded: packed.included.length,
      filesExcluded: packed.excluded.length,
      kvCacheBytes: model.kvBytesPerToken * size,
    };
  }

  /** Token counts are cached across packs only under a key naming the tokenizer: the loaded model file, as it is now. */
  private async tokenCounterOf(host: EngineHost): Promise<TokenCounter> {
    const modelPath = this.loaded?.info.modelPath;
    const stats = modelPath ? await stat(modelPath).catch(() => undefined) : undefined;
    return {
      cacheKey: stats ? `${modelPath}:${stats.size}:${stats.mtimeMs}` : undefined,
      countTokens: (texts, signal) => host.countTokens(texts, signal),
    };
  }

  private async runPacker(config: RepoQaConfig, callbacks: Pick<AskCallbacks, "signal" | "onStatus">, counter: EngineHost | undefined): Promise<PackResult> {
    const pack = this.options.pack ?? packWorkspace;
    return pack({
      ...config.pack,
      tokenCounter: counter && (await this.tokenCounterOf(counter)),
      signal: callbacks.signal,
      onProgress: (p) => callbacks.onStatus?.({ state: "packing", filesSeen: p.filesSeen, tokensSoFar: p.tokensSoFar }),
    });
  }
}

function cancelledAnswer(): AskResult {
  return { cancelled: true, text: "", promptTokens: 0, reusedTokens: 0, generatedTokens: 0, ttftMs: 0 };
}

function modelKey(config: RepoQaConfig, modelPath: string): string {
  return JSON.stringify({ ...config.engine, modelPath });
}
