import type { PromptFormat } from "./format";

/** Plain data passed between the packer's stages (collect → filter → order → pack → report). No `vscode` here. */

export type SkipReason =
  | "gitignore"
  | "exclude-glob"
  | "not-included"
  | "binary"
  | "too-large"
  | "unreadable"
  | "symlink-outside"
  | "symlink-loop"
  | "budget"
  | "default-exclude"
  /** `.env` and the like: may hold credentials; re-included by a negation in `.gitignore` / `.longropeignore`. */
  | "secret-file"
  /** A name framing cannot carry (a quote, `<`, a newline, a bidi control…): see src/workspace/framing.ts. */
  | "unsafe-name"
  /** An ignore file that was not read (a FIFO, a device, a link, too large); its patterns were not applied. */
  | "ignore-file-skipped";

export interface WorkspaceRoot {
  /** Shown as the first path segment in a multi-root workspace; omitted from paths when there is one root. */
  readonly name: string;
  /** Absolute path of the folder. */
  readonly path: string;
}

export interface IncludedFile {
  /** Path as the model sees it and cites it: posix separators, relative to the root (prefixed by the root's name in a multi-root workspace). */
  readonly path: string;
  readonly absolutePath: string;
  readonly bytes: number;
  /** Tokens of this file's framed text; present when a token counter was given. */
  readonly tokens?: number;
  readonly redactions: number;
  /** Redactions by rule (`StripeKey`, `PasswordAssignment`, …); absent when there are none. */
  readonly redactedRules?: Readonly<Record<string, number>>;
  readonly mtimeMs: number;
  readonly language: string;
  /** Lines of the file as packed. */
  readonly lines?: number;
  /** True when the bytes were not valid UTF-8 and invalid sequences became U+FFFD. */
  readonly invalidUtf8?: boolean;
}

export interface ExcludedFile {
  readonly path: string;
  readonly reason: SkipReason;
  /** Optional human detail, e.g. the matching pattern or the error message. */
  readonly detail?: string;
}

export interface PackProgress {
  readonly filesSeen: number;
  /** Files read as text so far (final once the pack is done). */
  readonly filesIncluded: number;
  readonly tokensSoFar: number;
  /** The stage running: walking the folders, reading files, scanning for secrets, counting tokens. */
  readonly phase?: "scan" | "read" | "secrets" | "tokens";
}

/** Counts tokens with the model's own tokenizer (implemented by the engine host through the worker). */
export interface TokenCounter {
  /**
   * Identifies the tokenizer (e.g. the model file's path and size). Counts are cached across packs and processes (on
   * disk, in the project's cache folder), by content hash, only under a cache key; without one every pack tokenizes
   * what it needs again.
   */
  readonly cacheKey?: string;
  countTokens(texts: readonly string[], signal?: AbortSignal): Promise<readonly number[]>;
}

export interface PackOptions {
  readonly roots: readonly WorkspaceRoot[];
  /** minimatch globs; empty means everything. */
  readonly include?: readonly string[];
  /** minimatch globs, on top of .gitignore and the built-in excludes. */
  readonly exclude?: readonly string[];
  /** Default: 1 MiB. */
  readonly maxFileBytes?: number;
  /** When given, every included file carries `tokens` and the result carries `totalTokens`. */
  readonly tokenCounter?: TokenCounter;
  /** Tokens the repo context may use; files are dropped (reason "budget") beyond it. Default: no limit. */
  readonly budgetTokens?: number;
  /**
   * Count every file exactly before choosing, even those the budget leaves out (their report rows then give exact
   * counts). Default: false — only files that may fit are counted; the others show an estimate. The choice is the same.
   */
  readonly countEveryFile?: boolean;
  /** Used to keep the files a question names, and to rank the rest by relevance when over budget. */
  readonly question?: string;
  /** Workspace-relative paths of open editors (and always-included files or folders), kept first when over budget. */
  readonly openFiles?: readonly string[];
  /** VS Code's `files.exclude` (glob → enabled). */
  readonly filesExclude?: Readonly<Record<string, boolean>>;
  /** Built-in excludes (lock files, build output, node_modules, minified, source maps, vendored). Default: true. */
  readonly defaultExcludes?: boolean;
  /** Also count the raw file texts to report `framingTokens` (tokenizes the files twice on a first pack). Default: false. */
  readonly measureFraming?: boolean;
  /** Line numbering and instruction placement; default DEFAULT_FORMAT (the answer-quality eval compares the others). */
  readonly format?: Partial<PromptFormat>;
  /** Default: true. When false, file text is packed as is (tests, benchmarks). */
  readonly redactSecrets?: boolean;
  /** A cancelled pack resolves with `cancelled: true` and an empty `text` (never a partial prompt). */
  readonly signal?: AbortSignal;
  readonly onProgress?: (progress: PackProgress) => void;
}

export interface PackResult {
  /** The repository context exactly as the model reads it: instruction, tree, then every file with line numbers. */
  readonly text: string;
  readonly included: readonly IncludedFile[];
  readonly excluded: readonly ExcludedFile[];
  /** Tokens of `text` (sum of its parts' counts); present when a token counter was given. */
  readonly totalTokens?: number;
  /** Set when `signal` aborted the pack: `text` and `included` are then empty; `excluded` holds what was seen. */
  readonly cancelled?: true;
  /** Tokens of the instruction, tree and file headers/line numbers: what the framing costs on top of the file text. */
  readonly framingTokens?: number;
  /** What this pack computed itself; everything else came from the caches of earlier packs (any process). */
  readonly work?: PackWork;
}

export interface PackWork {
  /** Texts (file blocks, the header) sent to the tokenizer. */
  readonly textsTokenized: number;
  /** Files sent to the secret scanner. */
  readonly filesScanned: number;
}
