/**
 * The protocol between the LongRoPE tools (eval, search, corpus) and their node-llama-cpp child process: its
 * requests, their results and its progress payload. The frames, ids, error codes and cancellation are every worker's
 * (../util/workerProtocol.ts). A new request type: its interface, a member of `PplRequest`, its result in
 * `PplResults`, its name in `pplRequestTypes`, and a case in ./worker.ts.
 */
import { requestGuard, type CancelRequest, type WorkerFrame } from "../util/workerProtocol";


/** How the RoPE of the model is changed for one evaluation. */
export interface RopeVariant {
  /** For progress and errors only, e.g. "pi ×8". */
  readonly label: string;
  /** `loadModel({metadataOverrides})` as dotted keys; float keys must carry non-integer numbers (see `floatValue`). */
  readonly overrides?: Readonly<Record<string, number | string>>;
  /** Per-pair λ written into a temporary GGUF copy as `rope_freqs.weight` (llama.cpp divides θ_i by λ_i). */
  readonly ropeFreqs?: readonly number[];
  /**
   * LongRoPE n̂: the first `nHat` tokens are evaluated by the model without `ropeFreqs` (same overrides otherwise)
   * and their KV state is carried into the scaled model, which continues from there. Default: 0.
   */
  readonly nHat?: number;
}

export interface GenerateStoriesRequest {
  readonly type: "generateStories";
  readonly id: string;
  readonly modelPath: string;
  /** Story k is sampled with seed `firstSeed + k`. */
  readonly firstSeed: number;
  readonly count: number;
  /** A story stops at an end token or after this many tokens. */
  readonly maxTokens: number;
  readonly temperature: number;
  readonly threads: number;
}

export interface TokenizeTextRequest {
  readonly type: "tokenize";
  readonly id: string;
  readonly modelPath: string;
  readonly text: string;
}

export interface PerplexityRequest {
  readonly type: "perplexity";
  readonly id: string;
  readonly modelPath: string;
  readonly variant: RopeVariant;
  /** Token sequences, each evaluated from its first token in a context of exactly its length. */
  readonly samples: readonly (readonly number[])[];
  /** Score only the last this many positions of each sample (all when absent). */
  readonly scoreLast?: number;
  readonly threads: number;
  /** Default: 512. */
  readonly batchSize?: number;
}

export type PplRequest = GenerateStoriesRequest | TokenizeTextRequest | PerplexityRequest | CancelRequest;

export const pplRequestTypes: readonly PplRequest["type"][] = ["generateStories", "tokenize", "perplexity", "cancel"];
export const isPplRequest = requestGuard<PplRequest>(pplRequestTypes);

export interface PerplexityResult {
  /** Mean negative log-likelihood (nats) over every scored position of every sample. */
  readonly meanNll: number;
  readonly ppl: number;
  readonly scoredTokens: number;
  /** Per sample, its own perplexity. */
  readonly perSample: readonly number[];
  readonly seconds: number;
}

export interface PplResults {
  generateStories: { readonly stories: number[][]; readonly bos: number };
  tokenize: { readonly tokens: number[]; readonly bos: number };
  perplexity: PerplexityResult;
}

/** How far a request is: e.g. perplexity of sample 2 of 3 under "pi ×8". */
export interface PplProgress {
  readonly phase: "perplexity" | "generate";
  readonly done: number;
  readonly total: number;
  readonly unit: "samples" | "stories";
  /** What is being measured, e.g. the variant's label and the sample's length. */
  readonly label?: string;
}

export type PplFrame = WorkerFrame<PplProgress>;

/**
 * node-llama-cpp sends integer-valued JS numbers as INT overrides, which llama.cpp ignores for float keys; a float
 * key therefore gets a value that is not an integer but rounds to the same f32.
 */
export function floatValue(x: number): number {
  return Number.isInteger(x) ? x + Math.max(1e-9, Math.abs(x) * 1e-12) : x;
}
