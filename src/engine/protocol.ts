/**
 * The engine worker's protocol: its requests, their results and its progress payload. The frames (ready, progress,
 * token, done, error, log), ids and cancellation are every worker's (../util/workerProtocol.ts).
 *
 * The packed repository travels once per change: a request names it by hash (`RepoRef`) and carries its text only
 * when the worker process does not have it yet (a new repo text, or a restarted worker).
 */
import { requestGuard, type CancelRequest, type ProgressFrameOf, type WorkerFrame } from "../util/workerProtocol";

export type GpuChoice = "auto" | "cpu" | "cuda" | "vulkan" | "metal";
export type KvCacheType = "f16" | "q8_0" | "q4_0";

/** What `loadModel` needs to load one model file; built from the config for each file the service loads. */
export interface LoadModelSettings {
  readonly modelPath: string;
  /** CPU threads; 0 means the number of physical cores. Always passed explicitly to node-llama-cpp. */
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
  /** Load only the tokenizer (counting tokens for a remote server); such a model cannot answer. */
  readonly vocabOnly?: boolean;
}

/** Field by field (not a JSON string, whose key order and undefined members vary with who built the object). */
export function sameLoad(a: LoadModelSettings, b: LoadModelSettings): boolean {
  return (
    a.modelPath === b.modelPath &&
    a.threads === b.threads &&
    (a.gpu ?? "auto") === (b.gpu ?? "auto") &&
    (a.gpuLayers ?? "auto") === (b.gpuLayers ?? "auto") &&
    a.flashAttention === b.flashAttention &&
    (a.kvCacheType ?? "f16") === (b.kvCacheType ?? "f16") &&
    a.maxContextSize === b.maxContextSize &&
    (a.vocabOnly ?? false) === (b.vocabOnly ?? false)
  );
}

/** Where the worker keeps saved KV states of repo prefixes (absent: nothing is saved). */
export interface StateCacheSettings {
  readonly directory: string;
  /** Total bytes of saved states; least recently used ones are evicted beyond it. */
  readonly maxBytes: number;
  /** The per-machine key (64 hex digits) every saved state is authenticated with (HMAC-SHA256). */
  readonly key: string;
}

export interface ChatTurn {
  readonly question: string;
  readonly answer: string;
}

// ---- requests: host → worker -------------------------------------------------------------------------------

export interface LoadModelRequest {
  readonly type: "loadModel";
  readonly id: string;
  readonly settings: LoadModelSettings;
  readonly stateCache?: StateCacheSettings;
}

/** Counts tokens of each text with the loaded model's tokenizer. */
export interface TokenizeRequest {
  readonly type: "tokenize";
  readonly id: string;
  readonly texts: readonly string[];
}

/** The packed repository (instruction, tree, files), which goes into the system message before everything else. */
export interface RepoRef {
  /** SHA-256 of the text (hex). */
  readonly hash: string;
  /** Sent only when the worker does not hold this hash yet. */
  readonly text?: string;
}

export interface AskRequest {
  readonly type: "ask";
  readonly id: string;
  readonly repo: RepoRef;
  readonly question: string;
  /** Earlier turns of this conversation, oldest first. */
  readonly history?: readonly ChatTurn[];
  readonly maxTokens: number;
  /** Default: 0 (greedy), so that answers are reproducible. */
  readonly temperature?: number;
}

/** Brings the repo prefix into the KV cache (from a saved state or by evaluating the tail that changed), no answer. */
export interface IngestRequest {
  readonly type: "ingest";
  readonly id: string;
  readonly repo: RepoRef;
  /** Answer reserve the context must leave room for. */
  readonly maxTokens: number;
}

export interface DownloadModelRequest {
  readonly type: "downloadModel";
  readonly id: string;
  /** A node-llama-cpp model URI (e.g. "hf:owner/repo:file.gguf") or an https URL. */
  readonly uri: string;
  readonly directory: string;
  /** Name of the file in `directory`; default: node-llama-cpp's name for the URI. */
  readonly fileName?: string;
}

export type EngineRequest =
  | LoadModelRequest
  | TokenizeRequest
  | AskRequest
  | IngestRequest
  | DownloadModelRequest
  | CancelRequest;

// ---- results carried by the `done` frame ---------------------------------------------------------------------

export interface ModelInfo {
  readonly modelPath: string;
  readonly name: string;
  readonly architecture: string;
  /** The context length the model was trained with (GGUF metadata). */
  readonly trainContextSize: number;
  /** The context size the engine will allocate at most. */
  readonly maxContextSize: number;
  /** "cuda" | "vulkan" | "metal" | false (CPU). */
  readonly gpu: string | false;
  /** RoPE scaling the model runs with, e.g. "longrope (factors from GGUF)" or "none". */
  readonly ropeScaling: string;
  /** KV-cache bytes per context token with the configured cache type (memory estimate = this × tokens). */
  readonly kvBytesPerToken: number;
  /** Host and port of the server that runs the model, when it is not the local engine (`modelPath` is then empty). */
  readonly server?: string;
}

export interface IngestResult {
  readonly cancelled: boolean;
  /** Tokens of the repo prefix now in the KV cache. */
  readonly prefixTokens: number;
  /** Tokens that were already in the cache (or came from a saved state) and were not evaluated. */
  readonly reusedTokens: number;
  readonly evaluatedTokens: number;
  readonly loadedFromState: boolean;
  readonly contextSize: number;
  /** Whole request, tokenization included. */
  readonly ms: number;
  /** Evaluating the prompt tokens only (the chunked loop). */
  readonly evaluateMs: number;
}

export interface AskResult {
  readonly cancelled: boolean;
  readonly text: string;
  readonly promptTokens: number;
  /** Prompt tokens that were already in the KV cache and not evaluated again. */
  readonly reusedTokens: number;
  readonly generatedTokens: number;
  /** Time from the request to the first generated token (ms). */
  readonly ttftMs: number;
  /** Whether the repo prefix came from a saved KV state on disk. */
  readonly loadedFromState?: boolean;
  readonly contextSize?: number;
  /** False when a server did not say how much of the prompt its cache held (`reusedTokens` is then 0). */
  readonly reuseReported?: boolean;
}

export interface EngineResults {
  readonly loadModel: ModelInfo;
  readonly tokenize: { readonly counts: readonly number[] };
  readonly ask: AskResult;
  readonly ingest: IngestResult;
  /** A cancelled download ends without a result (the host rejects with the AbortError). */
  readonly downloadModel: { readonly modelPath: string };
}

// ---- progress ------------------------------------------------------------------------------------------------

export type ProgressPhase = "download" | "load" | "ingest" | "tokenize";

export interface EngineProgress {
  readonly phase: ProgressPhase;
  readonly done: number;
  readonly total: number;
  readonly unit: "bytes" | "tokens" | "texts";
}

export type ProgressFrame = ProgressFrameOf<EngineProgress>;
export type EngineFrame = WorkerFrame<EngineProgress>;

export const isEngineRequest = requestGuard<EngineRequest>(["loadModel", "tokenize", "ask", "ingest", "downloadModel", "cancel"]);
