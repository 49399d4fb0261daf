/**
 * What the extension, the chat view and the CLI use of the engine: one service that packs the workspace, makes sure
 * a model is there (a local GGUF, or an OpenAI-compatible server), keeps the repo in the model's cache and answers
 * questions. No `vscode` import. Implemented by `RepoQa` in ./repoQa.ts.
 */
import type { AskResult, ChatTurn, GpuChoice, IngestResult, KvCacheType, ModelInfo } from "./protocol";
import type { PackOptions, PackResult } from "../workspace/types";

/** Tokens an answer may take unless the question says (longropeQa.maxAnswerTokens, --max-tokens). */
export const defaultMaxTokens = 1024;
/** Tokens kept free for the chat template, the question and earlier turns when the packer fits the repo. */
export const questionReserveTokens = 512;

/** What the packed repo must leave free of the context: the answer, the question and the template around them. */
export function contextReserve(maxTokens: number): number {
  return maxTokens + questionReserveTokens;
}

export type EngineStatus =
  | { readonly state: "idle" }
  | { readonly state: "downloading"; readonly done: number; readonly total: number }
  | { readonly state: "loading"; readonly modelPath: string }
  | { readonly state: "packing"; readonly filesSeen: number; readonly tokensSoFar: number }
  | {
      readonly state: "ingesting";
      readonly done: number;
      readonly total: number;
      readonly tokensPerSecond: number;
      readonly etaMs: number;
    }
  | { readonly state: "answering" }
  | { readonly state: "ready"; readonly meter: ContextMeter }
  | { readonly state: "error"; readonly message: string };

/** What the chat's context meter shows. */
export interface ContextMeter {
  readonly repoTokens: number;
  /** The context the engine allocated for this prompt: it grows as a conversation needs, up to `windowTokens`. */
  readonly contextSize: number;
  /** The model's context window (absent from meters saved before it was recorded: then `contextSize` stands in). */
  readonly windowTokens?: number;
  readonly modelName: string;
  /** File name of the model that answered (the GGUF's own name is often just its architecture, e.g. "llama"). */
  readonly modelFile?: string;
  /** E.g. "LongRoPE long factors (GGUF)", "none". */
  readonly ropeScaling: string;
  readonly filesIncluded: number;
  readonly filesExcluded: number;
  /** Memory estimate of the KV cache: bytes per token × context size. */
  readonly kvCacheBytes?: number;
  /** The server answering (host and port) when it is not the local engine. */
  readonly server?: string;
  /** Set when `repoTokens` is a bytes-per-token estimate (the server has no tokenizer endpoint, no local GGUF). */
  readonly tokensEstimated?: boolean;
}

/** Saved KV states of repo prefixes on disk (under the storage folder). */
export interface SavedStatesInfo {
  readonly directory: string;
  readonly count: number;
  readonly bytes: number;
}

export interface AskQuestion {
  readonly question: string;
  /** Earlier turns of the conversation shown in the chat, oldest first. */
  readonly history?: readonly ChatTurn[];
  /** Default: `defaultMaxTokens`. */
  readonly maxTokens?: number;
}

/** What shaped one answer: the files the model read, and what was changed so the conversation fits the window. */
export interface AnswerContext {
  /** Paths of the files in the prompt, in prompt order. */
  readonly filesRead: readonly string[];
  /** Files that would have been read had the repository fitted (read + left out for the token budget). */
  readonly filesTotal: number;
  /** Oldest earlier turns left out of the prompt so the question fits. */
  readonly droppedTurns: number;
  /** The answer reserve used, below the one asked for when the window was short. */
  readonly answerTokens: number;
  /** The model's window the conversation was fitted to (not the KV cache allocated for this one prompt). */
  readonly contextSize: number;
}

/** An answer with what shaped it (absent when it was cancelled before the model read anything). */
export type RepoAnswer = AskResult & { readonly context?: AnswerContext };

/** The token budget a pack was made with: context = budget + answer reserve + question reserve. */
export interface PackBudget {
  readonly contextSize: number;
  readonly budgetTokens: number;
  readonly answerTokens: number;
  readonly questionTokens: number;
  readonly modelFile: string;
}

export interface AskCallbacks {
  readonly signal?: AbortSignal;
  readonly onToken?: (text: string) => void;
  readonly onStatus?: (status: EngineStatus) => void;
}

/** How the local engine runs a GGUF model (settings in config.ts, flags in cli.ts). */
export interface LocalEngineConfig {
  /** Empty: the default model, downloaded on first use. */
  readonly modelPath: string;
  /** CPU threads; 0 means the number of physical cores. */
  readonly threads: number;
  /** Default: "auto". */
  readonly gpu?: GpuChoice;
  /** Default: "auto". */
  readonly gpuLayers?: number | "auto";
  /** Default: false on CPU, true on a GPU backend. */
  readonly flashAttention?: boolean;
  /** Default: "f16". */
  readonly kvCacheType?: KvCacheType;
  /** Most tokens the engine may allocate. Default: the model's trained context (GGUF metadata). */
  readonly maxContextSize?: number;
}

/** An OpenAI-compatible server (vLLM, llama-server, llama-cpp-python, SGLang) answering instead of the local engine. */
export interface RemoteEngineConfig {
  /** Base URL of the server's OpenAI API, e.g. "http://127.0.0.1:8080/v1". */
  readonly endpoint: string;
  /** The model name to ask for. Default: the first model the server lists. */
  readonly model?: string;
  /** Sent as a bearer token; from SecretStorage (extension) or LONGROPE_QA_API_KEY (CLI), never from settings. */
  readonly apiKey?: string;
  /** How long the server may send nothing (before the first token, and between two). Default: 300 s. */
  readonly timeoutMs?: number;
}

/** Where the repo and the model come from; read from settings (extension) or flags (CLI) for each question. */
export interface RepoQaConfig {
  /** Packer options except signal/progress/token counter, which the service supplies. */
  readonly pack: Omit<PackOptions, "signal" | "onProgress" | "tokenCounter">;
  /** The local engine; with `remote` set, a non-empty `modelPath` only lends its tokenizer to count tokens. */
  readonly engine: LocalEngineConfig;
  /** Set: the questions go to this server, and the local engine loads no model. */
  readonly remote?: RemoteEngineConfig;
}

/** What `pack` returns: the packer's result and what the backend adds about its numbers. */
export interface ServicePackResult extends PackResult {
  /** Set when the token counts are an estimate: how they were estimated and how to count exactly. */
  readonly tokenEstimate?: string;
  /** The server that would answer, when it is not the local engine. */
  readonly server?: string;
  /** The budget the pack was made with (set when a model or server counted the tokens). */
  readonly budget?: PackBudget;
}

export interface RepoQaService {
  ask(config: RepoQaConfig, question: AskQuestion, callbacks?: AskCallbacks): Promise<RepoAnswer>;
  /**
   * Packs without asking (the context report, `longrope-qa pack`), with the budget a question with this answer
   * reserve would get. Counts tokens (and sets `budget`) when a model or a server is configured.
   */
  pack(config: RepoQaConfig, callbacks?: Pick<AskCallbacks, "signal" | "onStatus">, maxTokens?: number): Promise<ServicePackResult>;
  /**
   * Packs and brings the repo into the cache without asking (before the first question). `maxTokens` is the answer
   * reserve to leave room for; `question` ranks files when the repo is over budget. Undefined when cancelled.
   */
  prepare(
    config: RepoQaConfig,
    callbacks?: Pick<AskCallbacks, "signal" | "onStatus">,
    maxTokens?: number,
    question?: string,
  ): Promise<IngestResult | undefined>;
  /**
   * Called by a file watcher: after a quiet second, re-packs exactly as the last question did and brings the changed
   * tail into the cache. Resolves when that re-ingest is done; undefined when there was nothing to do (no question
   * yet), a later change superseded this one, or it failed (logged, and reported as an error status).
   */
  onWorkspaceChanged(onStatus?: (status: EngineStatus) => void): Promise<IngestResult | undefined>;
  /** What the saved KV states of the local engine take on disk. */
  savedStates(): Promise<SavedStatesInfo>;
  /** Deletes every saved KV state; the next question reads the repo again. */
  clearSavedStates(): Promise<void>;
  readonly lastModel: ModelInfo | undefined;
  /** Pid of the engine worker process while one runs (tests check it is gone after shutdown). */
  readonly enginePid: number | undefined;
  /** Stops the worker process and waits for it to exit; `graceMs` lets it finish a state save first. */
  dispose(options?: { readonly graceMs?: number }): Promise<void>;
}
