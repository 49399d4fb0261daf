/**
 * The one protocol between the extension host (or the CLI) and the engine worker process, over the Node IPC
 * channel (never stdout: the native addon prints there).
 *
 * Shape (shared with the webview protocol): every request carries an `id`; the worker answers with zero or more
 * `progress` / `token` frames carrying that id and ends with exactly one `done` or `error` frame. A `cancel`
 * request naming the id aborts the work; a cancelled request still ends with `done` (with `cancelled: true`),
 * because a cancellation is an answer, not a failure.
 */

export type GpuChoice = "auto" | "cpu" | "cuda" | "vulkan" | "metal";
export type KvCacheType = "f16" | "q8_0" | "q4_0";

export interface EngineSettings {
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
  readonly settings: EngineSettings;
  readonly stateCache?: StateCacheSettings;
}

/** Counts tokens of each text with the loaded model's tokenizer. */
export interface TokenizeRequest {
  readonly type: "tokenize";
  readonly id: string;
  readonly texts: readonly string[];
}

export interface AskRequest {
  readonly type: "ask";
  readonly id: string;
  /** The packed repository (instruction, tree, files); goes into the system message, before everything else. */
  readonly repoContext: string;
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
  readonly repoContext: string;
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

export interface CancelRequest {
  readonly type: "cancel";
  readonly id: string;
  /** The id of the request to abort. */
  readonly targetId: string;
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
}

export interface EngineResults {
  readonly loadModel: ModelInfo;
  readonly tokenize: { readonly counts: readonly number[] };
  readonly ask: AskResult;
  readonly ingest: IngestResult;
  readonly downloadModel: { readonly modelPath: string };
  readonly cancel: Record<string, never>;
}

// ---- frames: worker → host -----------------------------------------------------------------------------------

export type ProgressPhase = "download" | "load" | "ingest" | "tokenize";

export interface ProgressFrame {
  readonly type: "progress";
  readonly id: string;
  readonly phase: ProgressPhase;
  readonly done: number;
  readonly total: number;
  readonly unit: "bytes" | "tokens" | "texts";
}

export interface TokenFrame {
  readonly type: "token";
  readonly id: string;
  readonly text: string;
}

export interface DoneFrame<K extends keyof EngineResults = keyof EngineResults> {
  readonly type: "done";
  readonly id: string;
  readonly result: EngineResults[K];
}

export type EngineErrorCode =
  | "model-not-found"
  | "model-invalid"
  | "model-not-loaded"
  | "offline"
  | "out-of-memory"
  | "context-overflow"
  | "worker-crashed"
  | "bad-request"
  | "internal";

export interface ErrorFrame {
  readonly type: "error";
  readonly id: string;
  readonly code: EngineErrorCode;
  /** One sentence for the user, naming the file or setting and what to do. */
  readonly message: string;
}

/** Diagnostics for the log channel; not tied to a request. */
export interface LogFrame {
  readonly type: "log";
  readonly level: "debug" | "info" | "warn" | "error";
  readonly message: string;
}

/** Sent once when the worker has started and can take requests. */
export interface ReadyFrame {
  readonly type: "ready";
  readonly pid: number;
}

export type EngineFrame = ProgressFrame | TokenFrame | DoneFrame | ErrorFrame | LogFrame | ReadyFrame;

const requestTypes = new Set<EngineRequest["type"]>(["loadModel", "tokenize", "ask", "ingest", "downloadModel", "cancel"]);

/** Narrow an untrusted IPC message to a request; anything else is ignored by the receiver. */
export function isEngineRequest(value: unknown): value is EngineRequest {
  if (typeof value !== "object" || value === null) return false;
  const v = value as { type?: unknown; id?: unknown };
  return typeof v.type === "string" && requestTypes.has(v.type as EngineRequest["type"]) && typeof v.id === "string";
}

const frameTypes = new Set<EngineFrame["type"]>(["progress", "token", "done", "error", "log", "ready"]);

export function isEngineFrame(value: unknown): value is EngineFrame {
  if (typeof value !== "object" || value === null) return false;
  return frameTypes.has((value as { type?: unknown }).type as EngineFrame["type"]);
}
