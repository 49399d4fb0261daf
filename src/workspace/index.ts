/**
 * The packer: collect → read → redact → order → frame → count → fit → report, each stage a small module returning
 * plain data. A cancelled pack resolves (never rejects) with `cancelled: true` and an empty `text`.
 */
import { realpath, stat } from "node:fs/promises";
import * as path from "node:path";
import { RepoQaError, isAbortError } from "../util/errors";
import { fitBudget, type BudgetChoice } from "./budget";
import { collectRoot, type CollectResult } from "./collect";
import { DEFAULT_FORMAT, countLines, frameFile, renderFooter, renderHeader, renderTree } from "./format";
import { GlobRules } from "./globRules";
import { languageOf } from "./language";
import { orderForCache } from "./order";
import { createProgress } from "./progress";
import { readCandidates, type TextFile } from "./readFiles";
import { redactSecrets } from "./secrets";
import { clearSecretCache } from "./secretScanner";
import { clearTokenCaches, countTokensCached, estimateTokens } from "./tokens";
import type { ExcludedFile, IncludedFile, PackOptions, PackResult, WorkspaceRoot } from "./types";

export type * from "./types";
export { toPackJson, renderPackReport, type PackJson } from "./report";
export { DEFAULT_FORMAT, INSTRUCTION, LINE_NUMBER_EVERY, type PromptFormat } from "./format";

/** Forgets cached token counts and secret findings (benchmarks measuring a first pack). */
export function clearPackCaches(): void {
  clearTokenCaches();
  clearSecretCache();
}

const DEFAULT_MAX_FILE_BYTES = 1024 * 1024;

/** The stages that touch the disk or the secret scanner; tests replace one to simulate a race or a fault. */
export interface PackStages {
  readonly collectRoot: typeof collectRoot;
  readonly readCandidates: typeof readCandidates;
  readonly redactSecrets: typeof redactSecrets;
}

const defaultStages: PackStages = { collectRoot, readCandidates, redactSecrets };

export async function packWorkspace(given: PackOptions, overrides: Partial<PackStages> = {}): Promise<PackResult> {
  const options = { ...given, roots: given.roots.map((root) => ({ ...root, path: path.resolve(root.path) })) };
  const excluded: ExcludedFile[] = [];
  try {
    return await runPack(options, { ...defaultStages, ...overrides }, excluded);
  } catch (error) {
    if (error instanceof PackCancelled || (isAbortError(error) && options.signal?.aborted)) return cancelled(excluded);
    throw error;
  }
}

/** Thrown inside the pack when the signal aborts; packWorkspace turns it into a cancelled result. */
class PackCancelled extends Error {}

async function runPack(options: PackOptions, stages: PackStages, excluded: ExcludedFile[]): Promise<PackResult> {
  const { signal, tokenCounter } = options;
  const checkpoint = () => {
    if (signal?.aborted) throw new PackCancelled();
  };
  const progress = createProgress(options.onProgress);
  const collected: CollectResult = { candidates: [], excluded };
  const realRoots = await resolveRoots(options.roots);
  const globs = new GlobRules(options);
  const multiRoot = options.roots.length > 1;
  for (const [i, root] of options.roots.entries()) {
    const defaultExcludes = options.defaultExcludes ?? true;
    const ctx = { globs, defaultExcludes, realRoots, multiRoot, signal, onSeen: progress.seen };
    await stages.collectRoot(root, realRoots[i]!, ctx, collected);
    checkpoint();
  }
  const maxFileBytes = options.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;
  const read = await stages.readCandidates(collected.candidates, maxFileBytes, excluded, signal, progress.read);
  checkpoint();
  const redacted =
    options.redactSecrets === false
      ? read.map((file) => ({ file, redactions: 0 }))
      : await stages.redactSecrets(read, signal, progress.scanned);
  checkpoint();
  progress.flush();
  if (redacted.length === 0) throw emptyWorkspace(options.roots, excluded.length);

  const ordered = orderForCache(redacted, (r) => r.file);
  const format = { ...DEFAULT_FORMAT, ...options.format };
  const blocks = ordered.map(({ file }) => frameFile(file.path, file.text, format.lineNumberEvery));
  const count = async (texts: readonly string[], onBatch: (tokens: number) => void = () => undefined) => {
    const counts = await countTokensCached(tokenCounter!, texts, signal, onBatch);
    if (!counts) throw new PackCancelled();
    return counts;
  };
  const blockTokens = tokenCounter ? await count(blocks, progress.tokens) : undefined;

  let kept = ordered.map((_, i) => i);
  if (options.budgetTokens !== undefined) {
    const items = ordered.map(({ file }, i) => ({ ...file, tokens: blockTokens?.[i] ?? estimateTokens(blocks[i]!) }));
    const headerTokensOf = async (paths: readonly string[]) => {
      const header = renderHeader(renderTree(paths), format) + renderFooter(format);
      return tokenCounter ? (await count([header]))[0]! : estimateTokens(header);
    };
    const choice = await chooseWithinBudget(items, options.budgetTokens, headerTokensOf, options);
    kept = kept.filter((i) => choice.keep.has(ordered[i]!.file.path));
    const over = `over the budget of ${options.budgetTokens} tokens`;
    for (const [p, why] of choice.dropped) excluded.push({ path: p, reason: "budget", detail: `${why}; ${over}` });
    if (kept.length === 0) throw budgetTooSmall(options.budgetTokens, items.reduce((min, item) => Math.min(min, item.tokens), Infinity));
  }

  const header = renderHeader(renderTree(kept.map((i) => ordered[i]!.file.path)), format);
  const footer = renderFooter(format);
  const included = kept.map((i) => toIncluded(ordered[i]!.file, ordered[i]!.redactions, blockTokens?.[i]));
  const text = header + kept.map((i) => blocks[i]).join("") + footer;
  progress.done(included.length);
  if (!tokenCounter) return { text, included, excluded };
  const totalTokens = (await count([header + footer]))[0]! + kept.reduce((sum, i) => sum + blockTokens![i]!, 0);
  if (!options.measureFraming) return { text, included, excluded, totalTokens };
  const rawTokens = (await count(kept.map((i) => ordered[i]!.file.text))).reduce((a, b) => a + b, 0);
  return { text, included, excluded, totalTokens, framingTokens: totalTokens - rawTokens };
}

/**
 * The files to keep within `budget` tokens, header included. The header listing every file bounds the header of any
 * subset, so that share of the budget always fits; a kept subset has a smaller tree, so the largest files budget whose
 * choice still fits with its own header is searched between that bound and the instruction alone (a few rounds of
 * bisection).
 */
async function chooseWithinBudget(
  items: readonly (TextFile & { readonly tokens: number })[],
  budget: number,
  headerTokensOf: (paths: readonly string[]) => Promise<number>,
  options: Pick<PackOptions, "question" | "openFiles">,
): Promise<BudgetChoice> {
  const fit = (filesBudget: number) => fitBudget(items, filesBudget, options.question, options.openFiles);
  const totalOf = async (c: BudgetChoice) => {
    const keptItems = items.filter((i) => c.keep.has(i.path));
    return (await headerTokensOf(keptItems.map((i) => i.path))) + keptItems.reduce((n, i) => n + i.tokens, 0);
  };
  let low = budget - (await headerTokensOf(items.map((i) => i.path)));
  let high = budget - (await headerTokensOf([]));
  let choice = fit(low);
  for (let round = 0; round < 8 && high - low > 1; round++) {
    const middle = Math.floor((low + high) / 2);
    const candidate = fit(middle);
    if ((await totalOf(candidate)) <= budget) {
      low = middle;
      choice = candidate;
    } else high = middle;
  }
  return choice;
}

function toIncluded(file: TextFile, redactions: number, tokens: number | undefined): IncludedFile {
  return {
    path: file.path,
    absolutePath: file.absolutePath,
    bytes: file.bytes,
    ...(tokens === undefined ? {} : { tokens }),
    redactions,
    mtimeMs: file.mtimeMs,
    language: languageOf(file.path),
    lines: countLines(file.text),
    ...(file.invalidUtf8 ? { invalidUtf8: true } : {}),
  };
}

function cancelled(excluded: ExcludedFile[]): PackResult {
  return { text: "", included: [], excluded, cancelled: true };
}

async function resolveRoots(roots: readonly WorkspaceRoot[]): Promise<string[]> {
  if (roots.length === 0) {
    throw new RepoQaError("No workspace folder is open: open a folder (or pass --workspace DIR) to ask about it.", "empty-workspace");
  }
  return Promise.all(
    roots.map(async (root) => {
      const isDirectory = await stat(root.path).then((s) => s.isDirectory(), () => false);
      if (!isDirectory) {
        const message = `The workspace folder ${root.path} does not exist or is not a folder: pass an existing folder.`;
        throw new RepoQaError(message, "bad-input");
      }
      return realpath(root.path);
    }),
  );
}

function emptyWorkspace(roots: readonly WorkspaceRoot[], excludedCount: number): RepoQaError {
  const where = roots.map((r) => r.path).join(", ");
  const why =
    excludedCount > 0
      ? `all ${excludedCount} entries were excluded (see the context report); check .gitignore, .longropeignore ` +
        "and the longropeQa.include / longropeQa.exclude settings"
      : "the folder has no files; add source files or open another folder";
  return new RepoQaError(`There is nothing to read in ${where}: ${why}.`, "empty-workspace");
}

function budgetTooSmall(budget: number, smallest: number): RepoQaError {
  return new RepoQaError(
    `The token budget of ${budget} leaves no room for any file (the smallest needs ${smallest} tokens): ` +
      "raise --budget or use a model with a longer context.",
    "context-overflow",
  );
}
