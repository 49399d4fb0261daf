/**
 * Each read file's way into the prompt — secrets redacted, framed, its tokens counted exactly — done on demand, for
 * the files the budget may admit, in batches. Until then a file has an estimate from its length (./tokenEstimate).
 * The scanner and the tokenizer see only what the caches do not hold (findings by the file text's hash, counts by the
 * framed text's hash), so a pack with nothing edited needs neither.
 */
import { frameFile } from "./format";
import type { HashStore } from "./hashStore";
import { digest } from "./packCaches";
import type { TextFile } from "./readFiles";
import { redact, type RedactedFile } from "./secrets";
import type { SecretRange } from "./secretScanner";
import { TokenEstimator } from "./tokenEstimate";
import { PackCancelled, countThroughCache } from "./tokens";
import type { TokenCounter } from "./types";
import { elementAt } from "../util/elementAt";

/**
 * Characters per slice of prepare(). Slices bound what one scan and one tokenizer request hold: on the packer bench's
 * 6M-token tree the pack's peak heap fell from 125 to 101 MB; the overlap of scanning and counting was within the
 * noise of the shared 2-core machine (two runs each, load 13: 44.5 / 39.6 s in one slice, 49.0 / 38.2 s in slices).
 */
const PIPELINE_CHARS = 1_000_000;

export type RedactStage = (files: readonly TextFile[], signal?: AbortSignal, onUnit?: () => void) => Promise<RedactedFile[]>;

export interface PrepareOptions {
  /** See PromptFormat.lineNumberEvery. Default: LINE_NUMBER_EVERY. */
  readonly lineNumberEvery?: number;
  readonly counter?: TokenCounter;
  /** Count cache of `counter`'s tokenizer (absent: counts live for this pack only). */
  readonly counts?: HashStore;
  /** Secret findings cache; absent when secrets are not redacted. */
  readonly findings?: HashStore;
  /** Undefined: file text is packed as is. */
  readonly redactStage?: RedactStage;
  readonly signal?: AbortSignal;
  readonly onScanned?: () => void;
  readonly onTokens?: (tokensSoFar: number) => void;
}

export class PreparedFiles {
  readonly estimator: TokenEstimator;
  /** Texts sent to the tokenizer in this pack (the rest came from the cache or were never needed). */
  tokenized = 0;
  /** Files sent to the secret scanner in this pack. */
  scanned = 0;
  private readonly redactedFiles: (RedactedFile | undefined)[];
  private readonly blocks: (string | undefined)[];
  private readonly tokens: (number | undefined)[];
  private tokensSoFar = 0;

  constructor(
    readonly files: readonly TextFile[],
    private readonly options: PrepareOptions,
  ) {
    this.estimator = new TokenEstimator((options.counts?.meta.ratios as ConstructorParameters<typeof TokenEstimator>[0]) ?? {});
    this.redactedFiles = files.map((file) => (options.redactStage ? undefined : { file, redactions: 0 }));
    this.blocks = files.map(() => undefined);
    this.tokens = files.map(() => undefined);
  }

  exact(i: number): number | undefined {
    return this.tokens[i];
  }

  /** Tokens of file i's block, which must have been prepared. */
  counted(i: number): number {
    const tokens = this.tokens[i];
    if (tokens === undefined) throw new Error(`file ${this.file(i).path} was packed before it was counted`);
    return tokens;
  }

  /** Tokens of file i's block: exact once prepared, else estimated from its length. */
  estimate(i: number): number {
    const file = this.file(i);
    return this.tokens[i] ?? this.estimator.estimate(file.path, blockChars(file));
  }

  block(i: number): string {
    return this.blocks[i] ?? frameFile(this.file(i).path, this.redactedFile(i).file.text, this.options.lineNumberEvery);
  }

  /** File i's text as packed (secrets redacted); only after prepare(). */
  text(i: number): string {
    return this.redactedFile(i).file.text;
  }

  chars(i: number): number {
    return this.file(i).text.length;
  }

  /** File i with its secrets redacted and how many; only after prepare(). */
  redacted(i: number): RedactedFile {
    return this.redactedFile(i);
  }

  /**
   * Redacts, frames and counts files `indices` (those already done are skipped), in slices of PIPELINE_CHARS: while
   * the tokenizer (in the engine process) counts one slice, this process scans the next one for secrets.
   */
  async prepare(indices: readonly number[]): Promise<void> {
    const todo = indices.filter((i) => this.tokens[i] === undefined);
    let counting: Promise<void> | undefined;
    for (const slice of slices(todo, (i) => this.file(i).text.length, PIPELINE_CHARS)) {
      await this.redactAll(slice.filter((i) => !this.redactedFiles[i]));
      const next = this.countSlice(slice);
      next.catch(() => undefined); // awaited below; this only keeps an early failure from counting as unhandled
      if (counting) await counting;
      counting = next;
    }
    await counting;
  }

  private async countSlice(slice: readonly number[]): Promise<void> {
    const blocks = slice.map((i) => (this.blocks[i] ??= frameFile(this.file(i).path, this.redactedFile(i).file.text, this.options.lineNumberEvery)));
    const counts = await this.count(blocks, true);
    slice.forEach((i, j) => this.record(i, elementAt(counts, j)));
  }

  /** Exact tokens of texts that are not files (the header), through the same cache. */
  async countTexts(texts: readonly string[]): Promise<number[]> {
    return this.count(texts, false);
  }

  async countText(text: string): Promise<number> {
    return elementAt(await this.count([text], false), 0);
  }

  /** Ratios learned in this pack, for the next one (kept with the counts; only when something new was counted). */
  rememberRatios(): void {
    if (this.tokenized > 0) this.options.counts?.setMeta({ ...this.options.counts.meta, ratios: this.estimator.snapshot() });
  }

  private file(i: number): TextFile {
    return elementAt(this.files, i);
  }

  private redactedFile(i: number): RedactedFile {
    const r = this.redactedFiles[i];
    if (!r) throw new Error(`file ${this.file(i).path} was framed before its secrets were redacted`);
    return r;
  }

  private record(i: number, tokens: number): void {
    this.tokens[i] = tokens;
    this.tokensSoFar += tokens;
    const file = this.file(i);
    if (this.options.counter) this.estimator.learn(file.path, blockChars(file), tokens);
  }

  private async redactAll(indices: readonly number[]): Promise<void> {
    const { redactStage, findings, signal } = this.options;
    if (indices.length === 0 || !redactStage) return;
    const pending: number[] = [];
    for (const i of indices) {
      const known = findings?.get(digest(this.file(i).text));
      if (known) this.redactedFiles[i] = applyFindings(this.file(i), known);
      else pending.push(i);
    }
    if (pending.length === 0) return;
    this.scanned += pending.length;
    const results = await redactStage(pending.map((i) => this.file(i)), signal, this.options.onScanned);
    if (results.length < pending.length || signal?.aborted) throw new PackCancelled();
    pending.forEach((i, j) => (this.redactedFiles[i] = elementAt(results, j)));
  }

  /** Exact counts through the cache; estimates (block length) when there is no tokenizer. */
  private async count(texts: readonly string[], report: boolean): Promise<number[]> {
    const { counter, counts, signal } = this.options;
    if (!counter) return texts.map((t) => this.estimator.estimate("", t.length));
    const onBatch = report ? (n: number) => this.options.onTokens?.(this.tokensSoFar + n) : undefined;
    const result = await countThroughCache(counter, counts, texts, signal, onBatch);
    this.tokenized += result.tokenized;
    return result.counts;
  }
}

/** Consecutive runs of `items` of about `limit` characters each. */
function slices(items: readonly number[], chars: (i: number) => number, limit: number): number[][] {
  const out: number[][] = [];
  let current: number[] = [];
  let size = 0;
  for (const i of items) {
    current.push(i);
    size += chars(i);
    if (size >= limit) {
      out.push(current);
      current = [];
      size = 0;
    }
  }
  if (current.length > 0) out.push(current);
  return out;
}

/** The block's length without framing it: text, the tags (~30 characters), a marker every 5th line (~70 characters). */
function blockChars(file: TextFile): number {
  return file.text.length + file.path.length + 30 + Math.ceil(file.text.length / 70);
}

export function encodeFindings(ranges: readonly SecretRange[]): Buffer {
  return ranges.length === 0 ? Buffer.alloc(0) : Buffer.from(JSON.stringify(ranges.map((r) => [r.start, r.end, r.rule])), "utf8");
}

function applyFindings(file: TextFile, stored: Buffer): RedactedFile {
  if (stored.length === 0) return { file, redactions: 0 };
  const ranges = (JSON.parse(stored.toString("utf8")) as [number, number, string][]).map(([start, end, rule]) => ({ start, end, rule }));
  return redact(file, ranges);
}
