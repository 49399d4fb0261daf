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
  ask(config: RepoQaConfig, question: AskQuestion, callbacks?: AskCallbacks): Promise<AskResult>;
  /** Packs without asking (the context report, `longrope-qa pack`). Counts tokens when a model is configured. */
  pack(config: RepoQaConfig, callbacks?: Pick<AskCallbacks, "signal" | "onStatus">): Promise<PackResult>;
  /** Forgets the conversation turns but keeps the repo in the cache. */
  newChat(): void;
  readonly lastModel: ModelInfo | undefined;
  /** Pid of the engine worker process while one runs (tests check it is gone after shutdown). */
  readonly enginePid: number | undefined;
  /** Stops the worker process and waits for it to exit; `graceMs` lets it finish a state save first. */
  dispose(options?: { readonly graceMs?: number }): Promise<void>;
}
