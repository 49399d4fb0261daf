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
  /**
   * Per-pair λ written into a temporary GGUF copy (llama.cpp divides θ_i by λ_i): `rope_freqs.weight` for llama, the
   * tensor `factorSlot` names for models with long/short factors (phi3).
   */
  readonly ropeFreqs?: readonly number[];
  /** Which factor set of a long/short model `ropeFreqs` replaces; the other is kept. Default: "long". */
  readonly factorSlot?: "long" | "short";
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
  /**
   * Score every this many positions (default 1: all). A full probability vector costs ~25 ms per position for a
   * 49k-token vocabulary on this project's 2-core machine (measured: 1,024 positions 18 s of CPU without, 45 s with),
   * so long samples of large-vocabulary models score a regular subset, spread over the whole sample.
   */
  readonly scoreEvery?: number;
  /** When given, the result also has the mean NLL per bucket of this many positions. */
  readonly bucketTokens?: number;
  /**
   * llama.cpp's flash attention. Default: false (the exactness checks compare against runs without it). On this
   * project's CPU it cut a 4,096-token forward of SmolLM2 from 64 s to 51 s of CPU, more at longer contexts.
   */
  readonly flashAttention?: boolean;
  readonly threads: number;
  /** Default: 512. */
  readonly batchSize?: number;
}

/** One passkey prompt: its tokens after the shared prefix, and the answers whose log-likelihood is measured. */
export interface PasskeyTrial {
  readonly suffix: readonly number[];
  /** Token sequences of candidate answers (e.g. " 12345"), each scored as a continuation of the prompt. */
  readonly candidates: readonly (readonly number[])[];
}

export interface PasskeyRequest {
  readonly type: "passkey";
  readonly id: string;
  readonly modelPath: string;
  readonly variant: RopeVariant;
  readonly contextSize: number;
  /** Trials that share a prefix (task description and the filler before the key) evaluate it once. */
  readonly groups: readonly { readonly prefix: readonly number[]; readonly trials: readonly PasskeyTrial[] }[];
  /** Greedy tokens generated after each prompt. */
  readonly maxNewTokens: number;
  readonly threads: number;
  /** Default: false. */
  readonly flashAttention?: boolean;
}

export interface PasskeyTrialResult {
  readonly generated: number[];
  /** `generated` as text. */
  readonly answer: string;
  /** Sum of ln p over each candidate's tokens, in the order given. */
  readonly candidateLogLikelihoods: number[];
  readonly promptTokens: number;
}

export type PplRequest = GenerateStoriesRequest | TokenizeTextRequest | PerplexityRequest | PasskeyRequest | CancelRequest;

export const pplRequestTypes: readonly PplRequest["type"][] = ["generateStories", "tokenize", "perplexity", "passkey", "cancel"];
export const isPplRequest = requestGuard<PplRequest>(pplRequestTypes);

export interface PerplexityResult {
  /** Mean negative log-likelihood (nats) over every scored position of every sample. */
  readonly meanNll: number;
  readonly ppl: number;
  readonly scoredTokens: number;
  /** Per sample, its own perplexity. */
  readonly perSample: readonly number[];
  /** With `bucketTokens`: NLL summed per bucket of positions [k·bucketTokens, (k+1)·bucketTokens) over all samples. */
  readonly buckets?: readonly { readonly from: number; readonly sum: number; readonly count: number }[];
  readonly seconds: number;
}

export interface PplResults {
  generateStories: { readonly stories: number[][]; readonly bos: number };
  /** `addBos`: whether the model's tokenizer starts every text with `bos` (SmolLM2's does not). */
  tokenize: { readonly tokens: number[]; readonly bos: number; readonly addBos?: boolean };
  perplexity: PerplexityResult;
  passkey: { readonly groups: PasskeyTrialResult[][]; readonly seconds: number };
}

/** How far a request is: e.g. perplexity of sample 2 of 3 under "pi ×8". */
export interface PplProgress {
  readonly phase: "perplexity" | "generate" | "passkey";
  readonly done: number;
  readonly total: number;
  readonly unit: "samples" | "stories" | "trials";
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
