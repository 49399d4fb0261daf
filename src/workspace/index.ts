/**
 * The packer: collect → read → rank → prepare what may fit (redact, frame, count) → fit → order → report, each stage a
 * small module returning plain data. A cancelled pack resolves (never rejects) with `cancelled: true` and an empty
 * `text`.
 */
import { realpath, stat } from "node:fs/promises";
import * as path from "node:path";
import { RepoQaError, isAbortError } from "../util/errors";
import { chooseWithinBudget } from "./budget";
import { collectRoot, type CollectResult } from "./collect";
import { DEFAULT_FORMAT, countLines, renderFooter, renderHeader, renderTree, type PromptFormat } from "./format";
import { GlobRules } from "./globRules";
import type { HashStore } from "./hashStore";
import { languageOf } from "./language";
import { orderForCache } from "./order";
import { countStore, findingsStore, forgetOpenStores, pruneCountStores } from "./packCaches";
import { PreparedFiles } from "./prepared";
import { createProgress } from "./progress";
import { rankFiles } from "./rank";
import { readCandidates, type TextFile } from "./readFiles";
import { rememberedRedaction } from "./rememberedRedaction";
import { redactSecrets, type RedactedFile } from "./secrets";
import { SECRET_RULES_VERSION, clearSecretCache } from "./secretScanner";
import { PackCancelled } from "./tokens";
import type { ExcludedFile, IncludedFile, PackOptions, PackResult, WorkspaceRoot } from "./types";
import { elementAt } from "../util/elementAt";
import { PromptPaths } from "./promptPaths";

export type * from "./types";
export { toPackJson, renderPackReport, type PackJson } from "./report";
export { DEFAULT_FORMAT, INSTRUCTION, LINE_NUMBER_EVERY, type PromptFormat } from "./format";

/** Forgets what this process remembers of earlier packs (benchmarks measuring a first pack; the cache files stay). */
export function clearPackCaches(): void {
  forgetOpenStores();
  clearSecretCache();
}

const DEFAULT_MAX_FILE_BYTES = 1024 * 1024;

/** The stages that touch the disk or the secret scanner; tests replace one to simulate a race or a fault. */
export interface PackStages {
  readonly collectRoot: typeof collectRoot;
  readonly readCandidates: typeof readCandidates;
  readonly redactSecrets: typeof redactSecrets;
}

export async function packWorkspace(given: PackOptions, overrides: Partial<PackStages> = {}): Promise<PackResult> {
  const options = { ...given, roots: given.roots.map((root) => ({ ...root, path: path.resolve(root.path) })) };
  const excluded: ExcludedFile[] = [];
  try {
    return await runPack(options, overrides, excluded);
  } catch (error) {
    if (error instanceof PackCancelled || (isAbortError(error) && options.signal?.aborted)) return cancelled(excluded);
    throw error;
  }
}

async function runPack(options: PackOptions, overrides: Partial<PackStages>, excluded: ExcludedFile[]): Promise<PackResult> {
  const { signal, tokenCounter: counter } = options;
  const checkpoint = () => {
    if (signal?.aborted) throw new PackCancelled();
  };
  const progress = createProgress(options.onProgress);
  const collected: CollectResult = { candidates: [], excluded };
  const realRoots = await resolveRoots(options.roots);
  const globs = new GlobRules(options);
  const promptPaths = new PromptPaths(options.roots);
  for (const [i, root] of options.roots.entries()) {
    const defaultExcludes = options.defaultExcludes ?? true;
    const promptPath = (rel: string) => promptPaths.inRoot(i, rel);
    const ctx = { globs, defaultExcludes, realRoots, promptPath, signal, onSeen: progress.seen };
    await (overrides.collectRoot ?? collectRoot)(root, elementAt(realRoots, i), ctx, collected);
    checkpoint();
  }
  const maxFileBytes = options.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;
  const read = await (overrides.readCandidates ?? readCandidates)(collected.candidates, maxFileBytes, excluded, signal, progress.read);
  checkpoint();
  progress.flush();
  if (read.length === 0) throw emptyWorkspace(options.roots, excluded.length);

  const redact = options.redactSecrets !== false;
  const counts = counter?.cacheKey ? await countStore(counter.cacheKey) : undefined;
  const findings = redact && !overrides.redactSecrets ? await findingsStore(SECRET_RULES_VERSION) : undefined;
  const redactStage = redact ? (overrides.redactSecrets ?? rememberedRedaction(findings)) : undefined;
  const format = { ...DEFAULT_FORMAT, ...options.format };
  const prepared = new PreparedFiles(read, { lineNumberEvery: format.lineNumberEvery, counter, counts, findings, redactStage, signal, onScanned: progress.scanned, onTokens: progress.tokens });
  const ranked = rankFiles(read, { question: options.question, openFiles: options.openFiles, rootSegments: promptPaths.rootSegments });
  const everyFile = ranked.map((r) => r.index);
  if (options.budgetTokens === undefined || options.countEveryFile) await prepared.prepare(everyFile);

  let keep = everyFile;
  if (options.budgetTokens !== undefined) {
    const headerTokensOf = (indices: readonly number[]) => {
      const { before, after } = headerOf(read, indices, format);
      return prepared.countText(before + after);
    };
    const choice = await chooseWithinBudget(ranked, options.budgetTokens, prepared, headerTokensOf);
    keep = [...choice.keep];
    const over = `over the budget of ${options.budgetTokens} tokens`;
    for (const [i, why] of choice.dropped) excluded.push({ path: elementAt(read, i).path, reason: "budget", detail: `${why}; ${over}` });
    if (keep.length === 0) throw await budgetTooSmall(options.budgetTokens, prepared);
  }

  const ordered = orderForCache(keep, (i) => elementAt(read, i));
  const header = headerOf(read, ordered, format);
  const included = ordered.map((i) => toIncluded(elementAt(read, i), prepared.redacted(i), counter ? prepared.exact(i) : undefined));
  const text = header.before + ordered.map((i) => prepared.block(i)).join("") + header.after;
  progress.done(included.length);
  let result: PackResult = { text, included, excluded };
  if (counter) {
    const totalTokens = (await prepared.countText(header.before + header.after)) + ordered.reduce((sum, i) => sum + prepared.counted(i), 0);
    result = { ...result, totalTokens };
    if (options.measureFraming) {
      const rawTokens = (await prepared.countTexts(ordered.map((i) => prepared.text(i)))).reduce((a, b) => a + b, 0);
      result = { ...result, framingTokens: totalTokens - rawTokens };
    }
  }
  await remember(prepared, counts, findings);
  return { ...result, work: { textsTokenized: prepared.tokenized, filesScanned: prepared.scanned } };
}

/** The text around the files: the header (instruction and tree) and, with `instruction: "after"`, the footer. */
function headerOf(files: readonly TextFile[], indices: readonly number[], format: PromptFormat): { readonly before: string; readonly after: string } {
  return { before: renderHeader(renderTree(indices.map((i) => elementAt(files, i).path)), format), after: renderFooter(format) };
}

/** Saves what this pack learned for the next pack or process (never fails the pack: see HashStore.save). */
async function remember(prepared: PreparedFiles, ...stores: (HashStore | undefined)[]): Promise<void> {
  prepared.rememberRatios();
  for (const store of stores) await store?.save();
  if (prepared.tokenized > 0) await pruneCountStores().catch(() => undefined);
}

function toIncluded(file: TextFile, redacted: RedactedFile, tokens: number | undefined): IncludedFile {
  return {
    path: file.path,
    absolutePath: file.absolutePath,
    bytes: file.bytes,
    ...(tokens === undefined ? {} : { tokens }),
    redactions: redacted.redactions,
    ...(redacted.redactedRules ? { redactedRules: redacted.redactedRules } : {}),
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
    throw new RepoQaError("No workspace folder is open: open a folder to ask about it.", "empty-workspace");
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

/** The smallest file by estimate is counted, so that the sentence gives its real size. */
async function budgetTooSmall(budget: number, prepared: PreparedFiles): Promise<RepoQaError> {
  let smallest = 0;
  prepared.files.forEach((_, i) => {
    if (prepared.estimate(i) < prepared.estimate(smallest)) smallest = i;
  });
  await prepared.prepare([smallest]);
  const tokens = Math.min(prepared.counted(smallest), ...prepared.files.map((_, i) => prepared.exact(i) ?? Infinity));
  return new RepoQaError(
    `The token budget of ${budget} leaves no room for any file (the smallest needs ${tokens} tokens): ` +
      "give the repository more of the context (a model with a longer context, or a shorter answer), or exclude files.",
    "context-overflow",
  );
}
