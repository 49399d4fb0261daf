/**
 * What the extension, the chat view and the CLI use of the engine: one service that packs the workspace, makes sure
 * a model is there, keeps the repo in the model's KV cache and answers questions. No `vscode` import.
 * Implemented by `RepoQa` in ./repoQa.ts.
 */
import type { AskResult, ChatTurn, EngineSettings, ModelInfo } from "./protocol";
import type { PackOptions, PackResult } from "../workspace/types";

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
  readonly contextSize: number;
  readonly modelName: string;
  /** File name of the model that answered (the GGUF's own name is often just its architecture, e.g. "llama"). */
  readonly modelFile?: string;
  /** E.g. "LongRoPE long factors (GGUF)", "none". */
  readonly ropeScaling: string;
  readonly filesIncluded: number;
  readonly filesExcluded: number;
  /** Memory estimate of the KV cache: bytes per token × context size. */
  readonly kvCacheBytes?: number;
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
  /** Default: 1024. */
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

/** Where the repo and the model come from; read from settings (extension) or flags (CLI) for each question. */
export interface RepoQaConfig {
  /** Packer options except signal/progress/token counter, which the service supplies. */
  readonly pack: Omit<PackOptions, "signal" | "onProgress" | "tokenCounter">;
  /** Empty modelPath: the default model, downloaded on first use. */
  readonly engine: EngineSettings;
}

export interface RepoQaService {
  ask(config: RepoQaConfig, question: AskQuestion, callbacks?: AskCallbacks): Promise<RepoAnswer>;
  /**
   * Packs without asking (the context report, `longrope-qa pack`), with the budget a question with this answer
   * reserve would get. Counts tokens (and sets `budget`) when a model is configured.
   */
  pack(config: RepoQaConfig, callbacks?: Pick<AskCallbacks, "signal" | "onStatus">, maxTokens?: number): Promise<PackResult & { readonly budget?: PackBudget }>;
  readonly lastModel: ModelInfo | undefined;
  /** Pid of the engine worker process while one runs (tests check it is gone after shutdown). */
  readonly enginePid: number | undefined;
  /** Stops the worker process and waits for it to exit; `graceMs` lets it finish a state save first. */
  dispose(options?: { readonly graceMs?: number }): Promise<void>;
}
