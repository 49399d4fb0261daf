/** The include / exclude settings and VS Code's `files.exclude`, as minimatch globs on root-relative paths. */
import { Minimatch } from "minimatch";
import type { PackOptions, SkipReason } from "./types";

export interface GlobVerdict {
  readonly reason: SkipReason;
  readonly detail: string;
}

interface CompiledGlob {
  readonly source: string;
  readonly matcher: Minimatch;
}

export class GlobRules {
  private readonly include: readonly CompiledGlob[];
  private readonly exclude: readonly CompiledGlob[];

  constructor(options: Pick<PackOptions, "include" | "exclude" | "filesExclude">) {
    this.include = compile(options.include ?? [], "longropeQa.include");
    const filesExclude = Object.entries(options.filesExclude ?? {}).filter(([, on]) => on).map(([glob]) => glob);
    this.exclude = [...compile(options.exclude ?? [], "longropeQa.exclude"), ...compile(filesExclude, "files.exclude")];
  }

  /**
   * Why a path is left out, or undefined. `paths` are the spellings to try: the root-relative path and, in a
   * multi-root workspace, the path prefixed by the root's name. Directories are never tested against `include`.
   */
  verdict(paths: readonly string[], isDirectory: boolean): GlobVerdict | undefined {
    for (const glob of this.exclude) {
      if (paths.some((p) => glob.matcher.match(p))) return { reason: "exclude-glob", detail: glob.source };
    }
    if (isDirectory || this.include.length === 0) return undefined;
    if (this.include.some((glob) => paths.some((p) => glob.matcher.match(p)))) return undefined;
    return { reason: "not-included", detail: "longropeQa.include" };
  }
}

function compile(globs: readonly string[], setting: string): CompiledGlob[] {
  return globs
    .filter((g) => g.trim() !== "")
    .map((glob) => ({ source: `${setting}: ${glob}`, matcher: new Minimatch(stripDotSlash(glob), { dot: true, matchBase: true }) }));
}

function stripDotSlash(glob: string): string {
  return glob.startsWith("./") ? glob.slice(2) : glob;
}
