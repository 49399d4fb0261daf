/**
 * The include / exclude settings and VS Code's `files.exclude`, as minimatch globs on root-relative paths.
 *
 * A workspace can set these, so they are bounded: one brace-heavy pattern (`{a,…,j}` five times, 100,000 expansions,
 * minimatch's own cap) took 2.7 s to compile and 12 ms per path to match; 40 of them froze the extension host. Each
 * pattern is checked before compiling (length, brace expansions, `**` count), compiled once per settings value (every
 * question re-packs), and matching has a time budget per pack. A pattern past a bound is refused with a sentence
 * naming it: skipping it instead would pack files the user meant to exclude.
 */
import { minimatch, Minimatch } from "minimatch";
import { RepoQaError } from "../util/errors";
import type { PackOptions, SkipReason } from "./types";

export interface GlobVerdict {
  readonly reason: SkipReason;
  readonly detail: string;
}

interface CompiledGlob {
  readonly source: string;
  readonly matcher: Minimatch;
}

export const GLOB_LIMITS = {
  maxLength: 1024,
  /** Brace expansions of one pattern; each becomes a regular expression tested against every path. */
  maxExpansions: 256,
  /** Brace expansions of all patterns of one setting. */
  maxTotalExpansions: 4096,
  maxGlobstars: 16,
  /** Matching time per pack, all patterns together; ~1 ms is typical for 3,000 paths and 40 plain patterns. */
  matchBudgetMs: 5000,
} as const;

export interface GlobRulesOptions {
  /** Default: GLOB_LIMITS.matchBudgetMs. */
  readonly matchBudgetMs?: number;
}

export class GlobRules {
  private readonly include: readonly CompiledGlob[];
  private readonly exclude: readonly CompiledGlob[];
  private readonly budgetMs: number;
  private readonly spentMs = new Map<CompiledGlob, number>();
  private totalMs = 0;

  constructor(options: Pick<PackOptions, "include" | "exclude" | "filesExclude">, limits: GlobRulesOptions = {}) {
    this.include = compileCached(options.include ?? [], "longropeQa.include");
    const filesExclude = Object.entries(options.filesExclude ?? {}).filter(([, on]) => on).map(([glob]) => glob);
    this.exclude = [...compileCached(options.exclude ?? [], "longropeQa.exclude"), ...compileCached(filesExclude, "files.exclude")];
    this.budgetMs = limits.matchBudgetMs ?? GLOB_LIMITS.matchBudgetMs;
  }

  /**
   * Why a path is left out, or undefined. `paths` are the spellings to try: the root-relative path and, in a
   * multi-root workspace, the path prefixed by the root's name. Directories are never tested against `include`.
   */
  verdict(paths: readonly string[], isDirectory: boolean): GlobVerdict | undefined {
    for (const glob of this.exclude) {
      if (this.matches(glob, paths)) return { reason: "exclude-glob", detail: glob.source };
    }
    if (isDirectory || this.include.length === 0) return undefined;
    if (this.include.some((glob) => this.matches(glob, paths))) return undefined;
    return { reason: "not-included", detail: "longropeQa.include" };
  }

  private matches(glob: CompiledGlob, paths: readonly string[]): boolean {
    const started = performance.now();
    const matched = paths.some((p) => glob.matcher.match(p));
    const spent = performance.now() - started;
    this.spentMs.set(glob, (this.spentMs.get(glob) ?? 0) + spent);
    this.totalMs += spent;
    if (this.totalMs > this.budgetMs) throw this.overBudget();
    return matched;
  }

  private overBudget(): RepoQaError {
    const [slowest] = [...this.spentMs.entries()].sort((a, b) => b[1] - a[1])[0]!;
    return new RepoQaError(
      `Matching the workspace against ${quoteSource(slowest.source)} took over ${this.budgetMs / 1000} s; simplify that pattern.`,
      "bad-input",
    );
  }
}

const compiledCache = new Map<string, readonly CompiledGlob[]>();
const MAX_CACHED = 16;

function compileCached(globs: readonly string[], setting: string): readonly CompiledGlob[] {
  const key = `${setting}\u0000${globs.join("\u0000")}`;
  const cached = compiledCache.get(key);
  if (cached) return cached;
  const compiled = compile(globs, setting);
  if (compiledCache.size >= MAX_CACHED) compiledCache.delete(compiledCache.keys().next().value!);
  compiledCache.set(key, compiled);
  return compiled;
}

function compile(globs: readonly string[], setting: string): CompiledGlob[] {
  let expansions = 0;
  const compiled = globs
    .filter((g) => g.trim() !== "")
    .map((glob) => {
      const source = `${setting}: ${glob}`;
      const pattern = stripDotSlash(glob);
      const refuse = (why: string) => new RepoQaError(`The pattern ${quoteSource(source)} ${why}; simplify it.`, "bad-input");
      if (pattern.length > GLOB_LIMITS.maxLength) throw refuse(`is longer than ${GLOB_LIMITS.maxLength} characters`);
      const expanded = minimatch.braceExpand(pattern, { braceExpandMax: GLOB_LIMITS.maxExpansions + 1 }).length;
      if (expanded > GLOB_LIMITS.maxExpansions) throw refuse(`expands to more than ${GLOB_LIMITS.maxExpansions} patterns`);
      if ((pattern.match(/\*\*/g)?.length ?? 0) > GLOB_LIMITS.maxGlobstars) throw refuse(`has more than ${GLOB_LIMITS.maxGlobstars} "**"`);
      expansions += expanded;
      try {
        return { source, matcher: new Minimatch(pattern, { dot: true, matchBase: true, braceExpandMax: GLOB_LIMITS.maxExpansions }) };
      } catch (error) {
        throw refuse(`cannot be used (${(error as Error).message})`);
      }
    });
  if (expansions > GLOB_LIMITS.maxTotalExpansions) {
    throw new RepoQaError(
      `The patterns in ${setting} expand to ${expansions} patterns together (at most ${GLOB_LIMITS.maxTotalExpansions}); use fewer braces.`,
      "bad-input",
    );
  }
  return compiled;
}

function quoteSource(source: string): string {
  const at = source.indexOf(": ");
  const shown = source.slice(at + 2);
  return `"${shown.length > 80 ? `${shown.slice(0, 77)}…` : shown}" in ${source.slice(0, at)}`;
}

function stripDotSlash(glob: string): string {
  return glob.startsWith("./") ? glob.slice(2) : glob;
}
