/**
 * The engine service the extension, the chat and the CLI share, over either backend (./backend.ts): ask the backend
 * for its tokenizer and context → pack the workspace with a budget of context minus the answer reserve → let the
 * backend pick the model that fits the packed prompt → ingest and answer with the packed repo as the cached prefix.
 * Calls run one at a time in arrival order (a second question waits; it is never interleaved).
 */
import path from "node:path";
import { packWorkspace } from "../workspace/index";
import type { PackOptions, PackResult, TokenCounter } from "../workspace/types";
import { RepoQaError, describeError, isAbortError } from "../util/errors";
import {
  contextReserve,
  defaultMaxTokens,
  questionReserveTokens,
  type AnswerContext,
  type AskCallbacks,
  type AskQuestion,
  type ContextMeter,
  type EngineStatus,
  type PackBudget,
  type RepoAnswer,
  type RepoQaConfig,
  type RepoQaService,
  type SavedStatesInfo,
  type ServicePackResult,
} from "./api";
import { packedRepo, type EngineBackend, type PackTarget, type PackedRepo } from "./backend";
import { fitConversation, type FittedConversation } from "./conversationFit";
import type { LogFn } from "./engineHost";
import { LocalBackend } from "./localBackend";
import type { AskResult, IngestResult, ModelInfo } from "./protocol";
import { RemoteBackend, remoteKey } from "./remote/remoteBackend";
import { loadOrCreateKeyFile } from "./stateKey";
import { StateStore } from "./worker/stateStore";

export { defaultMaxTokens, questionReserveTokens } from "./api";

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

type Callbacks = Pick<AskCallbacks, "signal" | "onStatus">;

interface Packed {
  readonly backend: EngineBackend;
  readonly target: PackTarget;
  readonly packed: PackResult;
  readonly repo: PackedRepo;
}

export class RepoQa implements RepoQaService {
  private readonly local: LocalBackend;
  private remote: { key: string; backend: RemoteBackend } | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private lastInfo: ModelInfo | undefined;
  /** The last question's config, answer reserve and question: a re-ingest after an edit packs exactly as it did. */
  private lastAsk: { config: RepoQaConfig; maxTokens: number; question: string | undefined } | undefined;
  private changeTimer: NodeJS.Timeout | undefined;
  private supersedeChange: (() => void) | undefined;

  constructor(private readonly options: RepoQaOptions) {
    this.local = new LocalBackend({
      workerPath: options.workerPath,
      storageDir: options.storageDir,
      stateCache: async () =>
        this.options.saveStates?.() === false ? undefined : { directory: this.stateDirectory, maxBytes: this.stateCacheBytes, key: await this.stateKey() },
      log: options.log,
      probeUrl: options.probeUrl,
    });
  }

  get lastModel(): ModelInfo | undefined {
    return this.lastInfo;
  }

  get enginePid(): number | undefined {
    return this.local.pid;
  }

  ask(config: RepoQaConfig, question: AskQuestion, callbacks: AskCallbacks = {}): Promise<RepoAnswer> {
    // The question packs the workspace as it is now; a re-ingest still waiting would only repeat that work, or, if the
    // question changes the model, load the old one again and report it ready over this question's outcome.
    this.cancelPendingChange();
    return this.enqueue(async () => {
      const { signal, onStatus } = callbacks;
      const maxTokens = question.maxTokens ?? defaultMaxTokens;
      this.lastAsk = { config, maxTokens, question: question.question };
      try {
        const result = await this.askPacked(config, question, maxTokens, callbacks);
        if (!result) return cancelledAnswer();
        onStatus?.({ state: "ready", meter: this.meterOf(result.packed, result.answer.contextSize) });
        return { ...result.answer, context: answerContext(result.packed, result.fitted) };
      } catch (error) {
        if (isAbortError(error) || signal?.aborted) return cancelledAnswer();
        onStatus?.({ state: "error", message: describeError(error) });
        throw error;
      }
    });
  }

  prepare(config: RepoQaConfig, callbacks: Callbacks = {}, maxTokens = defaultMaxTokens, question?: string): Promise<IngestResult | undefined> {
    return this.enqueue(async () => {
      this.lastAsk = { config, maxTokens, question };
      const packed = await this.packFor(config, maxTokens, question, callbacks, true);
      if (!packed) return undefined;
      const result = await packed.backend.ingest(packed.repo, maxTokens, callbacks);
      callbacks.onStatus?.({ state: "ready", meter: this.meterOf(packed, result.contextSize) });
      return result;
    });
  }

  pack(config: RepoQaConfig, callbacks: Callbacks = {}, maxTokens = defaultMaxTokens): Promise<ServicePackResult> {
    return this.enqueue(async () => {
      if (!config.engine.modelPath && !config.remote) return this.runPacker(config.pack, undefined, callbacks);
      const backend = this.backendFor(config);
      const target = await backend.target(config, callbacks);
      this.lastInfo = target.model;
      const budget = packBudget(target, config.pack.budgetTokens, maxTokens);
      const packed = await this.runPacker({ ...config.pack, budgetTokens: budget.budgetTokens }, target.tokenCounter, callbacks);
      return { ...packed, ...(target.estimate ? { tokenEstimate: target.estimate } : {}), server: target.model.server, budget };
    });
  }

  savedStates(): Promise<SavedStatesInfo> {
    return this.enqueue(async () => {
      const store = await StateStore.open(this.stateDirectory, this.stateCacheBytes);
      const metas = await store.list();
      return { directory: this.stateDirectory, count: metas.length, bytes: metas.reduce((sum, m) => sum + m.bytes, 0) };
    });
  }

  clearSavedStates(): Promise<void> {
    return this.enqueue(async () => {
      const store = await StateStore.open(this.stateDirectory, this.stateCacheBytes);
      for (const meta of await store.list()) await store.remove(meta.key);
    });
  }

  onWorkspaceChanged(onStatus?: (status: EngineStatus) => void): Promise<IngestResult | undefined> {
    this.cancelPendingChange();
    if (!this.lastAsk || !this.lastInfo) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      this.supersedeChange = () => resolve(undefined);
      this.changeTimer = setTimeout(() => {
        this.supersedeChange = undefined;
        // Read when it fires: a question asked meanwhile may have chosen another model.
        const last = this.lastAsk;
        if (!last) return resolve(undefined);
        this.prepare(last.config, { onStatus }, last.maxTokens, last.question).then(resolve, (error: unknown) => {
          this.options.log("warn", `re-ingest after an edit failed: ${describeError(error)}`);
          resolve(undefined);
        });
      }, 1000);
    });
  }

  async dispose(options: { readonly graceMs?: number } = {}): Promise<void> {
    this.cancelPendingChange();
    await Promise.all([this.local.dispose(options), this.remote?.backend.dispose()]);
  }

  private cancelPendingChange(): void {
    clearTimeout(this.changeTimer);
    this.supersedeChange?.();
    this.supersedeChange = undefined;
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

  private enqueue<T>(work: () => Promise<T>): Promise<T> {
    const run = this.queue.then(work, work);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private backendFor(config: RepoQaConfig): EngineBackend {
    if (!config.remote) return this.local;
    const key = remoteKey(config.remote);
    if (this.remote?.key !== key) {
      void this.remote?.backend.dispose();
      const local = this.local;
      this.remote = {
        key,
        backend: new RemoteBackend(config.remote, {
          log: this.options.log,
          // A configured GGUF of the same model counts tokens when the server cannot (never the default download).
          localTokenizer: (c, callbacks) => (c.engine.modelPath ? local.tokenizerOf(c.engine, callbacks) : Promise.resolve(undefined)),
        }),
      };
    }
    return this.remote.backend;
  }

  /**
   * Packs, fits the conversation around the packed repo (./conversationFit.ts: oldest turns first, then a shorter
   * answer, re-packing with fewer files only as the last resort) and answers. A server that turns the prompt down for
   * its length says its context size; the backend then knows it, and the repo is packed once more to fit (unless the
   * budget was given explicitly).
   */
  private async askPacked(config: RepoQaConfig, question: AskQuestion, maxTokens: number, callbacks: AskCallbacks) {
    for (let attempt = 0; ; attempt++) {
      const fitted = await this.packAndFit(config, question, maxTokens, callbacks);
      if (!fitted) return undefined;
      const { packed, conversation } = fitted;
      const turn = { question: question.question, history: conversation.history, maxTokens: conversation.answerTokens };
      try {
        return { packed, fitted: conversation, answer: await packed.backend.ask(packed.repo, turn, callbacks) };
      } catch (error) {
        const repack = attempt === 0 && packed.backend.kind === "remote" && config.pack.budgetTokens === undefined;
        if (!(repack && error instanceof RepoQaError && error.code === "context-overflow" && !error.partialAnswer)) throw error;
        const learned = await packed.backend.target(config, callbacks);
        if (learned.contextLimit >= packed.target.contextLimit) throw error;
        this.options.log("info", `the server's context is ${learned.contextLimit} tokens; packing the repository again to fit`);
      }
    }
  }

  private async packAndFit(
    config: RepoQaConfig,
    question: AskQuestion,
    maxTokens: number,
    callbacks: AskCallbacks,
  ): Promise<{ packed: Packed; conversation: FittedConversation } | undefined> {
    let packed = await this.packFor(config, maxTokens, question.question, callbacks, true);
    if (!packed) return undefined;
    const { model, tokenCounter } = packed.target;
    const conversation = await fitConversation(
      { contextSize: model.maxContextSize, repoTokens: packed.packed.totalTokens ?? 0, question: question.question, history: question.history ?? [], answerTokens: maxTokens },
      (texts) => tokenCounter.countTokens(texts, callbacks.signal),
    );
    if (conversation.repoShortfall > 0) {
      const budgetTokens = (packed.packed.totalTokens ?? 0) - conversation.repoShortfall;
      if (budgetTokens <= 0) {
        throw new RepoQaError(`The question is too long for ${model.name}'s ${model.maxContextSize}-token window; shorten it.`, "context-overflow");
      }
      packed = await this.packFor({ ...config, pack: { ...config.pack, budgetTokens } }, conversation.answerTokens, question.question, callbacks, true);
      if (!packed) return undefined;
    }
    return { packed, conversation };
  }

  private async packFor(config: RepoQaConfig, maxTokens: number, question: string | undefined, callbacks: Callbacks, fit: boolean): Promise<Packed | undefined> {
    const backend = this.backendFor(config);
    const target = await backend.target(config, callbacks);
    this.lastInfo = target.model;
    const reserve = contextReserve(maxTokens);
    const budget = packBudget(target, config.pack.budgetTokens, maxTokens).budgetTokens;
    if (budget <= 0) {
      throw new RepoQaError(
        `The answer reserve (${maxTokens} tokens) leaves no room for the repo in ${target.model.name}'s ${target.contextLimit}-token context; lower longropeQa.maxAnswerTokens (or --max-tokens).`,
        "context-overflow",
      );
    }
    const packed = await this.runPacker({ ...config.pack, budgetTokens: budget, question: question ?? config.pack.question }, target.tokenCounter, callbacks);
    if (packed.cancelled) return undefined;
    if (fit) this.lastInfo = await backend.fit(config, (packed.totalTokens ?? 0) + reserve, callbacks);
    return { backend, target: { ...target, model: this.lastInfo }, packed, repo: packedRepo(packed.text, packed.totalTokens) };
  }

  private meterOf(packed: Packed, contextSize: number | undefined): ContextMeter {
    const model = packed.target.model;
    const size = contextSize ?? model.maxContextSize;
    return {
      repoTokens: packed.packed.totalTokens ?? 0,
      contextSize: size,
      windowTokens: Math.max(size, model.maxContextSize),
      modelName: model.name,
      modelFile: path.basename(model.modelPath) || model.name,
      ropeScaling: model.ropeScaling,
      filesIncluded: packed.packed.included.length,
      filesExcluded: packed.packed.excluded.length,
      ...(model.kvBytesPerToken ? { kvCacheBytes: model.kvBytesPerToken * size } : {}),
      ...(model.server ? { server: model.server } : {}),
      ...(packed.target.estimate ? { tokensEstimated: true } : {}),
    };
  }

  private runPacker(pack: RepoQaConfig["pack"], tokenCounter: TokenCounter | undefined, callbacks: Callbacks): Promise<PackResult> {
    const packer = this.options.pack ?? packWorkspace;
    return packer({
      ...pack,
      tokenCounter,
      signal: callbacks.signal,
      onProgress: (p) => callbacks.onStatus?.({ state: "packing", filesSeen: p.filesSeen, tokensSoFar: p.tokensSoFar }),
    });
  }
}

/** The budget a pack gets: the given one, else the context minus the answer and question reserves. */
function packBudget(target: PackTarget, given: number | undefined, maxTokens: number): PackBudget {
  return {
    contextSize: target.contextLimit,
    budgetTokens: given ?? target.contextLimit - contextReserve(maxTokens),
    answerTokens: maxTokens,
    questionTokens: questionReserveTokens,
    modelFile: path.basename(target.model.modelPath) || target.model.name,
  };
}

/** What shaped one answer: the files read, and what the conversation gave up to fit. */
function answerContext(packed: Packed, fitted: FittedConversation): AnswerContext {
  const filesRead = packed.packed.included.map((f) => f.path);
  return {
    filesRead,
    filesTotal: filesRead.length + packed.packed.excluded.filter((f) => f.reason === "budget").length,
    droppedTurns: fitted.droppedTurns,
    answerTokens: fitted.answerTokens,
    // The window the conversation was fitted to; answer.contextSize is the KV cache allocated for this prompt
    // (1,024 for a short one on a 2,048-token model), which the notes must not call the model's window.
    contextSize: packed.target.model.maxContextSize,
  };
}

function cancelledAnswer(): AskResult {
  return { cancelled: true, text: "", promptTokens: 0, reusedTokens: 0, generatedTokens: 0, ttftMs: 0 };
}
