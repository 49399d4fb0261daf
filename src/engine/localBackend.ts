/**
 * The local backend: node-llama-cpp in a worker process. Resolves the configured model (downloading the default one
 * on first use), loads it once (again when a setting changes or the worker restarted), counts tokens with its
 * tokenizer, switches to a LongRoPE-extended copy when the packed repo outgrows the model's window, and sends the
 * packed repo to the worker once per change (later requests name it by hash).
 */
import { stat } from "node:fs/promises";
import type { TokenCounter } from "../workspace/types";
import type { AskCallbacks, LocalEngineConfig, RepoQaConfig } from "./api";
import type { BackendCallbacks, BackendTurn, EngineBackend, PackTarget, PackedRepo } from "./backend";
import { EngineHost, type LogFn } from "./engineHost";
import { IngestMeter } from "./ingestMeter";
import { chooseModel, largestContext } from "./modelChoice";
import { resolveModelPath } from "./modelSource";
import { sameLoad, type AskResult, type IngestResult, type LoadModelSettings, type ModelInfo, type ProgressFrame, type RepoRef, type StateCacheSettings } from "./protocol";
import { RepoQaError } from "../util/errors";

export interface LocalBackendOptions {
  readonly workerPath: string;
  /** Models are downloaded under it. */
  readonly storageDir: string;
  /** Where and how saved states are kept, asked at each model load (undefined: nothing is written to disk). */
  readonly stateCache: () => Promise<StateCacheSettings | undefined>;
  readonly log: LogFn;
  /** Overridable for tests; default: huggingface.co. */
  readonly probeUrl?: string;
}

interface Loaded {
  readonly settings: LoadModelSettings;
  /** The configured model file the loaded one stands for: itself, or the base of an extended copy. */
  readonly basePath: string;
  readonly pid: number | undefined;
  readonly info: ModelInfo;
}

export class LocalBackend implements EngineBackend {
  readonly kind = "local";
  readonly host: EngineHost;
  private loaded: Loaded | undefined;
  /** Context of each configured model file, learned when it was first loaded. */
  private readonly baseContexts = new Map<string, number>();
  /** The repo text the current worker process holds: later requests send only its hash. */
  private workerRepo: { hash: string; pid: number | undefined } | undefined;

  constructor(private readonly options: LocalBackendOptions) {
    this.host = new EngineHost(options.workerPath, options.log);
  }

  get pid(): number | undefined {
    return this.host.pid;
  }

  get lastModel(): ModelInfo | undefined {
    return this.loaded?.info;
  }

  async target(config: RepoQaConfig, callbacks: BackendCallbacks): Promise<PackTarget> {
    const basePath = await this.basePath(config, callbacks);
    // Whatever is loaded with these settings (the base model, or an extended copy of it) tells the meter already.
    // Only a model of this base counts: another configured file has another tokenizer (found with a switch back).
    const loaded = this.loaded;
    let model = loaded?.basePath === basePath && this.isLoaded(config.engine, loaded.info.modelPath) ? loaded.info : undefined;
    let baseContext = this.baseContexts.get(basePath);
    if (baseContext === undefined || !model) {
      model = await this.load(config.engine, basePath, basePath, undefined, callbacks);
      baseContext = model.maxContextSize;
      this.baseContexts.set(basePath, baseContext);
    }
    return { model, contextLimit: await largestContext(basePath, baseContext), tokenCounter: await this.tokenCounter() };
  }

  async fit(config: RepoQaConfig, neededTokens: number, callbacks: BackendCallbacks): Promise<ModelInfo> {
    const basePath = await this.basePath(config, callbacks);
    const baseContext = this.baseContexts.get(basePath) ?? (await this.target(config, callbacks)).model.maxContextSize;
    const choice = await chooseModel(basePath, baseContext, neededTokens);
    if (this.isLoaded(config.engine, choice.modelPath) && this.loaded) return this.loaded.info;
    return this.load(config.engine, basePath, choice.modelPath, choice.extension, callbacks);
  }

  /** The tokenizer of the loaded model, for counting only (no context): what the remote backend borrows. */
  async tokenizerOf(config: LocalEngineConfig, callbacks: BackendCallbacks): Promise<{ model: ModelInfo; counter: TokenCounter }> {
    const modelPath = await resolveModelPath({ modelPath: config.modelPath, storageDir: this.options.storageDir, host: this.host, signal: callbacks.signal });
    const settings: LoadModelSettings = { modelPath, threads: 1, gpu: "cpu", vocabOnly: true };
    const loaded = this.loaded;
    const model = loaded && sameLoad(loaded.settings, settings) && loaded.pid === this.host.pid ? loaded.info : await this.loadSettings(settings, modelPath, undefined, callbacks);
    return { model, counter: await this.tokenCounter() };
  }

  async ingest(repo: PackedRepo, maxTokens: number, callbacks: BackendCallbacks): Promise<IngestResult> {
    const meter = new IngestMeter((s) => callbacks.onStatus?.(s));
    return this.withRepo(repo, (ref) =>
      this.host.request({ type: "ingest", repo: ref, maxTokens }, { signal: callbacks.signal, onProgress: (f) => meter.update(f) }),
    );
  }

  async ask(repo: PackedRepo, turn: BackendTurn, callbacks: AskCallbacks): Promise<AskResult> {
    const { onStatus, onToken, signal } = callbacks;
    const meter = new IngestMeter((s) => onStatus?.(s));
    let answering = false;
    let partial = "";
    return this.withRepo(repo, (ref) =>
      this.host.request(
        { type: "ask", repo: ref, question: turn.question, history: turn.history, maxTokens: turn.maxTokens },
        {
          signal,
          onProgress: (frame) => meter.update(frame),
          onToken: (text) => {
            if (!answering) onStatus?.({ state: "answering" });
            answering = true;
            partial += text;
            onToken?.(text);
          },
        },
      ),
    ).catch((error: unknown) => {
      throw withPartialAnswer(error, partial);
    });
  }

  dispose(options?: { readonly graceMs?: number }): Promise<void> {
    return this.host.dispose(options);
  }

  private basePath(config: RepoQaConfig, callbacks: BackendCallbacks): Promise<string> {
    return resolveModelPath({
      modelPath: config.engine.modelPath,
      storageDir: this.options.storageDir,
      host: this.host,
      signal: callbacks.signal,
      probeUrl: this.options.probeUrl,
      onDownload: (f: ProgressFrame) => callbacks.onStatus?.({ state: "downloading", done: f.done, total: f.total }),
    });
  }

  /** Sends the repo text only when the worker process does not hold it (a new text, or a restarted worker). */
  private async withRepo<T>(repo: PackedRepo, send: (ref: RepoRef) => Promise<T>): Promise<T> {
    const held = this.workerRepo?.hash === repo.hash && this.workerRepo.pid === this.host.pid && this.host.pid !== undefined;
    const result = await send(held ? { hash: repo.hash } : { hash: repo.hash, text: repo.text });
    this.workerRepo = { hash: repo.hash, pid: this.host.pid };
    return result;
  }

  private isLoaded(config: LocalEngineConfig, modelPath: string): boolean {
    const loaded = this.loaded;
    return !!loaded && loaded.pid !== undefined && loaded.pid === this.host.pid && sameLoad(loaded.settings, loadSettings(config, modelPath));
  }

  private load(config: LocalEngineConfig, basePath: string, modelPath: string, extension: string | undefined, callbacks: BackendCallbacks): Promise<ModelInfo> {
    return this.loadSettings(loadSettings(config, modelPath), basePath, extension, callbacks);
  }

  private async loadSettings(settings: LoadModelSettings, basePath: string, extension: string | undefined, callbacks: BackendCallbacks): Promise<ModelInfo> {
    callbacks.onStatus?.({ state: "loading", modelPath: settings.modelPath });
    const stateCache = await this.options.stateCache();
    const loaded = await this.host.request({ type: "loadModel", settings, stateCache }, { signal: callbacks.signal });
    const info = extension ? { ...loaded, ropeScaling: extension } : loaded;
    this.loaded = { settings, basePath, pid: this.host.pid, info };
    return info;
  }

  /** Token counts are cached across packs only under a key naming the tokenizer: the loaded model file, as it is now. */
  private async tokenCounter(): Promise<TokenCounter> {
    const modelPath = this.loaded?.info.modelPath;
    const stats = modelPath ? await stat(modelPath).catch(() => undefined) : undefined;
    return {
      cacheKey: stats ? `${modelPath}:${stats.size}:${stats.mtimeMs}` : undefined,
      countTokens: (texts, signal) => this.host.countTokens(texts, signal),
    };
  }
}

function loadSettings(config: LocalEngineConfig, modelPath: string): LoadModelSettings {
  const { threads, gpu, gpuLayers, flashAttention, kvCacheType, maxContextSize } = config;
  return { modelPath, threads, gpu, gpuLayers, flashAttention, kvCacheType, maxContextSize };
}

/** A worker that died mid-answer: the error keeps the text that came, so the chat and the CLI show it, marked. */
function withPartialAnswer(error: unknown, partial: string): unknown {
  if (!partial || !(error instanceof RepoQaError) || error.code !== "worker-crashed") return error;
  return new RepoQaError(`${error.message.replace(/\.$/, "")}; the answer above is incomplete.`, error.code, { cause: error, partialAnswer: partial });
}
