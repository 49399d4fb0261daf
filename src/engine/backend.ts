/**
 * What answers the questions, behind one interface: the local node-llama-cpp worker (./localBackend.ts) or an
 * OpenAI-compatible server (./remote/remoteBackend.ts). `RepoQa` orchestrates either the same way:
 *
 *   target()  → who counts tokens and how much context there is
 *   pack the workspace with that counter and a budget of context minus the answer reserve
 *   fit()     → the model that will answer a prompt of that size (the local one may switch to an extended copy)
 *   ingest() / ask() with the packed repo, which is the first, byte-identical part of every prompt (a KV-cache prefix
 *   locally, the server's prefix cache remotely)
 */
import { createHash } from "node:crypto";
import type { TokenCounter } from "../workspace/types";
import type { AskCallbacks, RepoQaConfig } from "./api";
import type { AskResult, ChatTurn, IngestResult, ModelInfo } from "./protocol";

/** The packed repository as the backends take it: its text, the text's SHA-256 (hex) and its tokens when counted. */
export interface PackedRepo {
  readonly text: string;
  readonly hash: string;
  readonly tokens?: number;
}

export function packedRepo(text: string, tokens?: number): PackedRepo {
  return { text, hash: createHash("sha256").update(text).digest("hex"), ...(tokens === undefined ? {} : { tokens }) };
}

/** Everything the packer needs from a backend. */
export interface PackTarget {
  /** The model as far as it is known before packing (name, context, RoPE scaling) for the meter. */
  readonly model: ModelInfo;
  /** Most tokens a prompt plus its answer may take (locally: the model's window, or its largest extended copy's). */
  readonly contextLimit: number;
  readonly tokenCounter: TokenCounter;
  /** Set when the token counts are a bytes-per-token estimate (no tokenizer at hand); reports label them so. */
  readonly estimate?: string;
  /** Where the context limit came from when it was not read from the model or server ("assumed", "learned …"). */
  readonly contextSource?: string;
}

export type BackendCallbacks = Pick<AskCallbacks, "signal" | "onStatus">;

export interface BackendTurn {
  readonly question: string;
  readonly history: readonly ChatTurn[];
  readonly maxTokens: number;
}

export interface EngineBackend {
  readonly kind: "local" | "remote";
  /** Readies packing: the model resolved and loaded, or the server reached and its model and context read. */
  target(config: RepoQaConfig, callbacks: BackendCallbacks): Promise<PackTarget>;
  /** The model that answers a prompt of `neededTokens` (prompt plus answer reserve). */
  fit(config: RepoQaConfig, neededTokens: number, callbacks: BackendCallbacks): Promise<ModelInfo>;
  /** Brings the repo into the cache without answering (after an edit, or before the first question). */
  ingest(repo: PackedRepo, maxTokens: number, callbacks: BackendCallbacks): Promise<IngestResult>;
  /** Streams an answer; a cancelled one resolves with `cancelled: true`, a broken one rejects keeping the partial text. */
  ask(repo: PackedRepo, turn: BackendTurn, callbacks: AskCallbacks): Promise<AskResult>;
  /** Pid of a local worker process while one runs. */
  readonly pid: number | undefined;
  dispose(options?: { readonly graceMs?: number }): Promise<void>;
}
