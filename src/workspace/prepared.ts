/**
 * Each read file's way into the prompt — secrets redacted, framed, its tokens counted exactly — done on demand, for
 * the files the budget may admit, in batches. Until then a file has an estimate from its length (./tokenEstimate).
 * What the caches already know (findings by the file's hash, counts by the framed text's hash) is applied up front
 * for every file, so a pack with nothing edited needs neither the scanner nor the tokenizer.
 */
import { frameFile } from "./format";
import type { HashStore } from "./hashStore";
import { digest } from "./packCaches";
import type { TextFile } from "./readFiles";
import { redact, type RedactedFile } from "./secrets";
import type { SecretRange } from "./secretScanner";
import { TokenEstimator } from "./tokenEstimate";
import { PackCancelled, countThroughCache, readCount } from "./tokens";
import type { TokenCounter } from "./types";

export type RedactStage = (files: readonly TextFile[], signal?: AbortSignal, onUnit?: () => void) => Promise<RedactedFile[]>;

export interface PrepareOptions {
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
  private readonly redacted: (RedactedFile | undefined)[];
  private readonly blocks: (string | undefined)[];
  private readonly tokens: (number | undefined)[];
  private tokensSoFar = 0;

  constructor(
    readonly files: readonly TextFile[],
    private readonly options: PrepareOptions,
  ) {
    this.estimator = new TokenEstimator((options.counts?.meta.ratios as ConstructorParameters<typeof TokenEstimator>[0]) ?? {});
    this.redacted = files.map((file) => (options.redactStage ? undefined : { file, redactions: 0 }));
    this.blocks = files.map(() => undefined);
    this.tokens = files.map(() => undefined);
    this.applyCaches();
  }

  exact(i: number): number | undefined {
    return this.tokens[i];
  }

  /** Tokens of file i's block: exact once prepared, else estimated from its length. */
  estimate(i: number): number {
    const file = this.files[i]!;
    return this.tokens[i] ?? this.estimator.estimate(file.path, blockChars(file));
  }

  block(i: number): string {
    return this.blocks[i] ?? frameFile(this.files[i]!.path, this.redactedFile(i).file.text);
  }

  /** File i's text as packed (secrets redacted); only after prepare(). */
  text(i: number): string {
    return this.redactedFile(i).file.text;
  }

  chars(i: number): number {
    return this.files[i]!.text.length;
  }

  redactions(i: number): number {
    return this.redacted[i]?.redactions ?? 0;
  }

  /** Redacts, frames and counts files `indices` (those already done are skipped). */
  async prepare(indices: readonly number[]): Promise<void> {
    await this.redactAll(indices.filter((i) => !this.redacted[i]));
    const todo = indices.filter((i) => this.tokens[i] === undefined);
    const blocks = todo.map((i) => (this.blocks[i] ??= frameFile(this.files[i]!.path, this.redactedFile(i).file.text)));
    const counts = await this.count(blocks, true);
    todo.forEach((i, j) => this.record(i, counts[j]!));
  }

  /** Exact tokens of texts that are not files (the header), through the same cache. */
  async countTexts(texts: readonly string[]): Promise<number[]> {
    return this.count(texts, false);
  }

  /** Ratios learned in this pack, for the next one (kept with the counts). */
  rememberRatios(): void {
    this.options.counts?.setMeta({ ...this.options.counts.meta, ratios: this.estimator.snapshot() });
  }

  private redactedFile(i: number): RedactedFile {
    const r = this.redacted[i];
    if (!r) throw new Error(`file ${this.files[i]!.path} was framed before its secrets were redacted`);
    return r;
  }

  private record(i: number, tokens: number): void {
    this.tokens[i] = tokens;
    this.tokensSoFar += tokens;
    const file = this.files[i]!;
    if (this.options.counter) this.estimator.learn(file.path, blockChars(file), tokens);
  }

  /** Up front: findings and counts the caches hold (a warm pack is decided here, without scanner or tokenizer). */
  private applyCaches(): void {
    const { findings, counts } = this.options;
    if (!counts) return;
    this.files.forEach((file, i) => {
      if (!this.redacted[i] && findings) {
        const known = findings.get(digest(file.text));
        if (known) this.redacted[i] = applyFindings(file, known);
      }
      if (!this.redacted[i] || !counts) return;
      const block = frameFile(file.path, this.redacted[i]!.file.text);
      const count = readCount(counts.get(digest(block)));
      if (count >= 0) {
        this.blocks[i] = block;
        this.record(i, count);
      }
    });
    if (this.tokensSoFar > 0) this.options.onTokens?.(this.tokensSoFar);
  }

  private async redactAll(indices: readonly number[]): Promise<void> {
    const { redactStage, findings, signal } = this.options;
    if (indices.length === 0 || !redactStage) return;
    const pending: number[] = [];
    for (const i of indices) {
      const known = findings?.get(digest(this.files[i]!.text));
      if (known) this.redacted[i] = applyFindings(this.files[i]!, known);
      else pending.push(i);
    }
    if (pending.length === 0) return;
    this.scanned += pending.length;
    const results = await redactStage(pending.map((i) => this.files[i]!), signal, this.options.onScanned);
    if (results.length < pending.length || signal?.aborted) throw new PackCancelled();
    pending.forEach((i, j) => (this.redacted[i] = results[j]!));
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
