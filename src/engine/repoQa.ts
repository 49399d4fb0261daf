/**
 * The engine service the extension, the chat and the CLI share: resolve the model → load it (once; again when the
 * settings change or the worker restarted) → pack the workspace with the model's tokenizer and a budget of context
 * minus the answer reserve → ingest and answer in the worker, which keeps the repo prefix in its KV cache.
 * Calls run one at a time in arrival order (a second question waits; it is never interleaved).
 */
import path from "node:path";
import { packWorkspace } from "../workspace/index";
import type { PackOptions, PackResult } from "../workspace/types";
import { RepoQaError, describeError, isAbortError } from "../util/errors";
import type { AskCallbacks, AskQuestion, EngineStatus, RepoQaConfig, RepoQaService } from "./api";
import { EngineHost, type LogFn } from "./engineHost";
import { resolveModelPath } from "./modelSource";
import type { AskResult, ChatTurn, IngestResult, ModelInfo, ProgressFrame } from "./protocol";
import { IngestMeter } from "./ingestMeter";

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
}

export const defaultMaxTokens = 1024;
/** Tokens kept free for the chat template, the question and earlier turns when the packer fits the repo. */
export const questionReserveTokens = 512;

export class RepoQa implements RepoQaService {
  private readonly host: EngineHost;
  private queue: Promise<unknown> = Promise.resolve();
  private loaded: { key: string; pid: number | undefined; info: ModelInfo } | undefined;
  private turns: ChatTurn[] = [];
  private lastConfig: RepoQaConfig | undefined;
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

  /** The engine host, for callers that count tokens themselves (the CLI's pack, the benches). */
  get engine(): EngineHost {
    return this.host;
  }

  ask(config: RepoQaConfig, question: AskQuestion, callbacks: AskCallbacks = {}): Promise<AskResult> {
    return this.enqueue(async () => {
      const { signal, onStatus } = callbacks;
      const maxTokens = question.maxTokens ?? defaultMaxTokens;
      const history = question.history ?? this.turns;
      try {
        const model = await this.ensureModel(config, callbacks);
        const packed = await this.packFor(config, model, maxTokens, question.question, callbacks);
        if (packed.cancelled) return cancelledAnswer();
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
        if (!result.cancelled && question.history === undefined) this.turns.push({ question: question.question, answer: result.text });
        onStatus?.({ state: "ready", meter: meterOf(model, packed, result.contextSize) });
        return result;
      } catch (error) {
        if (isAbortError(error) || signal?.aborted) return cancelledAnswer();
        onStatus?.({ state: "error", message: describeError(error) });
        throw error;
      }
    });
  }

  /** Packs and brings the repo into the KV cache without asking (after an edit, or before the first question). */
  prepare(config: RepoQaConfig, callbacks: Pick<AskCallbacks, "signal" | "onStatus"> = {}, maxTokens = defaultMaxTokens): Promise<IngestResult | undefined> {
    return this.enqueue(async () => {
      const model = await this.ensureModel(config, callbacks);
      const packed = await this.packFor(config, model, maxTokens, undefined, callbacks);
      if (packed.cancelled) return undefined;
      const meter = new IngestMeter((s) => callbacks.onStatus?.(s));
      const result = await this.host.request(
        { type: "ingest", repoContext: packed.text, maxTokens },
        { signal: callbacks.signal, onProgress: (frame) => meter.update(frame) },
      );
      callbacks.onStatus?.({ state: "ready", meter: meterOf(model, packed, result.contextSize) });
      return result;
    });
  }

  pack(config: RepoQaConfig, callbacks: Pick<AskCallbacks, "signal" | "onStatus"> = {}): Promise<PackResult> {
    return this.enqueue(async () => {
      if (!config.engine.modelPath) return this.runPacker(config, callbacks, undefined);
      const model = await this.ensureModel(config, callbacks);
      return this.packFor(config, model, defaultMaxTokens, undefined, callbacks);
    });
  }

  newChat(): void {
    this.turns = [];
  }

  /**
   * Called by a file watcher: after a quiet second, re-packs and evaluates only the changed tail of the prompt, so
   * the next question starts from a warm cache. Does nothing before the first question.
   */
  onWorkspaceChanged(onStatus?: (status: EngineStatus) => void): void {
    clearTimeout(this.changeTimer);
    const config = this.lastConfig;
    if (!config || !this.loaded) return;
    this.changeTimer = setTimeout(() => {
      this.prepare(config, { onStatus }).catch((error) => this.options.log("warn", `re-ingest after an edit failed: ${describeError(error)}`));
    }, 1000);
  }

  async dispose(): Promise<void> {
    clearTimeout(this.changeTimer);
    await this.host.dispose();
  }

  private enqueue<T>(work: () => Promise<T>): Promise<T> {
    const run = this.queue.then(work, work);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async ensureModel(config: RepoQaConfig, callbacks: Pick<AskCallbacks, "signal" | "onStatus">): Promise<ModelInfo> {
    const { signal, onStatus } = callbacks;
    const modelPath = await resolveModelPath({
      modelPath: config.engine.modelPath,
      storageDir: this.options.storageDir,
      host: this.host,
      signal,
      probeUrl: this.options.probeUrl,
      onDownload: (f: ProgressFrame) => onStatus?.({ state: "downloading", done: f.done, total: f.total }),
    });
    const settings = { ...config.engine, modelPath };
    const key = JSON.stringify(settings);
    this.lastConfig = config;
    if (this.loaded?.key === key && this.loaded.pid === this.host.pid && this.host.pid !== undefined) return this.loaded.info;
    onStatus?.({ state: "loading", modelPath });
    const stateCache = { directory: path.join(this.options.storageDir, "kv-states"), maxBytes: this.options.stateCacheBytes ?? 8 * 1024 ** 3 };
    const info = await this.host.request({ type: "loadModel", settings, stateCache }, { signal });
    this.loaded = { key, pid: this.host.pid, info };
    return info;
  }

  private async packFor(
    config: RepoQaConfig,
    model: ModelInfo,
    maxTokens: number,
    question: string | undefined,
    callbacks: Pick<AskCallbacks, "signal" | "onStatus">,
  ): Promise<PackResult> {
    const budget = config.pack.budgetTokens ?? model.maxContextSize - maxTokens - questionReserveTokens;
    if (budget <= 0) {
      throw new RepoQaError(
        `The answer reserve (${maxTokens} tokens) leaves no room for the repo in ${model.name}'s ${model.maxContextSize}-token context; lower longropeQa.maxAnswerTokens.`,
        "context-overflow",
      );
    }
    return this.runPacker({ ...config, pack: { ...config.pack, budgetTokens: budget, question: question ?? config.pack.question } }, callbacks, this.host);
  }

  private async runPacker(config: RepoQaConfig, callbacks: Pick<AskCallbacks, "signal" | "onStatus">, counter: EngineHost | undefined): Promise<PackResult> {
    const pack = this.options.pack ?? packWorkspace;
    return pack({
      ...config.pack,
      tokenCounter: counter,
      signal: callbacks.signal,
      onProgress: (p) => callbacks.onStatus?.({ state: "packing", filesSeen: p.filesSeen, tokensSoFar: p.tokensSoFar }),
    });
  }
}

function cancelledAnswer(): AskResult {
  return { cancelled: true, text: "", promptTokens: 0, reusedTokens: 0, generatedTokens: 0, ttftMs: 0 };
}

function meterOf(model: ModelInfo, packed: PackResult, contextSize: number | undefined): Extract<EngineStatus, { state: "ready" }>["meter"] {
  return {
    repoTokens: packed.totalTokens ?? 0,
    contextSize: contextSize ?? model.maxContextSize,
    modelName: model.name,
    ropeScaling: model.ropeScaling,
    filesIncluded: packed.included.length,
    filesExcluded: packed.excluded.length,
  };
}
