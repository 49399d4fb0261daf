/**
 * Git-style ignore rules layered per directory: built-in defaults at the bottom, then `.git/info/exclude`, then each
 * directory's `.gitignore` and `.longropeignore` from the root down. The deepest matching rule wins, so a negation
 * (`!dist/`) in any of them re-includes what a layer above it excluded, as in git. Patterns match case-sensitively
 * unless the repository's `core.ignorecase` (default: the platform's) says otherwise; the unit test
 * workspace.gitOracle.test.ts holds these decisions equal to `git ls-files` on generated trees and this repository.
 * Ignore files are read through the guarded reader: a FIFO, a device, a symbolic link or a file over
 * IGNORE_FILE_MAX_BYTES is skipped (reported as `ignore-file-skipped`), never read by name.
 */
import * as path from "node:path";
import ignore, { type Ignore } from "ignore";
import { DEFAULT_EXCLUDES, SECRET_FILE_EXCLUDES } from "./defaultExcludes";
import { platformIgnoreCase, readGitRepository } from "./gitConfig";
import { isGuardedSkip, readGuarded } from "./guardedRead";
import type { SkipReason } from "./types";

/**
 * The largest ignore file read. The biggest .gitignore files in the wild are tens of KB; each pattern is a regex
 * tested against every path below its folder, so a hostile 10 MB file would cost minutes per pack.
 */
export const IGNORE_FILE_MAX_BYTES = 256 * 1024;

/** Called for an ignore file that was not read: its posix path from the root and why. */
export type OnIgnoreFileSkipped = (relPath: string, detail: string) => void;

interface IgnoreLayer {
  /** Posix path of the directory the rules belong to, relative to the root ("" for the root). */
  readonly base: string;
  readonly source: string;
  readonly reason: SkipReason;
  readonly rules: Ignore;
}

/** Read in each folder, in this order (a later file's negation overrides an earlier file's pattern). */
export const IGNORE_FILE_NAMES: readonly string[] = [".gitignore", ".longropeignore"];

export interface IgnoreVerdict {
  readonly reason: SkipReason;
  readonly detail: string;
}

/**
 * The ignore layers that apply inside one directory; `child()` adds that directory's own files. The `ignore`
 * package reports a path as ignored when a parent directory is; the walker only enters a directory that the layers
 * together kept (a later layer re-included it), so a layer that ignores the directory itself (`inherited`) has no
 * say about its contents.
 */
export class IgnoreStack {
  private constructor(
    private readonly ignoreCase: boolean,
    private readonly layers: readonly IgnoreLayer[],
    private readonly inherited: ReadonlySet<IgnoreLayer> = new Set(),
  ) {}

  static empty(ignoreCase = platformIgnoreCase()): IgnoreStack {
    return new IgnoreStack(ignoreCase, []);
  }

  /**
   * The bottom layers for a workspace root: the built-in and secret-file excludes (unless `defaultExcludes` is
   * false), then the repository's `info/exclude`, with the repository's case sensitivity.
   */
  static forRoot(root: string, defaultExcludes: boolean, onSkipped?: OnIgnoreFileSkipped): IgnoreStack {
    const repository = readGitRepository(root);
    let stack = IgnoreStack.empty(repository?.ignoreCase ?? platformIgnoreCase());
    if (defaultExcludes) {
      stack = stack
        .with("", "built-in excludes", "default-exclude", DEFAULT_EXCLUDES)
        .with("", "built-in secret-file excludes", "secret-file", SECRET_FILE_EXCLUDES);
    }
    if (repository === undefined) return stack;
    const infoExclude = path.join(repository.commonDir, "info", "exclude");
    const patterns = readPatterns(infoExclude, { followLinks: true });
    if ("skipped" in patterns) onSkipped?.(".git/info/exclude", patterns.skipped);
    else stack = stack.with("", ".git/info/exclude", "gitignore", patterns.patterns);
    return stack;
  }

  with(base: string, source: string, reason: SkipReason, patterns: readonly string[]): IgnoreStack {
    if (patterns.length === 0) return this;
    const rules = ignore({ allowRelativePaths: true, ignorecase: this.ignoreCase }).add(patterns as string[]);
    return new IgnoreStack(this.ignoreCase, [...this.layers, { base, source, reason, rules }], this.inherited);
  }

  /** Stacks the ignore files `present` in `dirAbs` (posix `dirRel` from the root), in IGNORE_FILE_NAMES order. */
  async child(dirAbs: string, dirRel: string, present: readonly string[], onSkipped?: OnIgnoreFileSkipped): Promise<IgnoreStack> {
    let stack: IgnoreStack = this;
    if (dirRel !== "") {
      const inherited = new Set(this.inherited);
      for (const layer of this.layers) {
        const inLayer = layer.base ? relativeTo(layer.base, dirRel) : dirRel;
        if (inLayer !== undefined && layer.rules.test(`${inLayer}/`).ignored) inherited.add(layer);
      }
      if (inherited.size > this.inherited.size) stack = new IgnoreStack(this.ignoreCase, this.layers, inherited);
    }
    for (const name of IGNORE_FILE_NAMES) {
      if (!present.includes(name)) continue;
      const source = dirRel ? `${dirRel}/${name}` : name;
      // In the work tree git reads ignore files with O_NOFOLLOW (since 2.32): a link is not followed.
      const patterns = readPatterns(path.join(dirAbs, name), { followLinks: false });
      if ("skipped" in patterns) onSkipped?.(source, patterns.skipped);
      else stack = stack.with(dirRel, source, "gitignore", patterns.patterns);
    }
    return stack;
  }

  /** Why `relPath` (posix, from the root) is ignored, or undefined when it is kept. */
  verdict(relPath: string, isDirectory: boolean): IgnoreVerdict | undefined {
    let decided: IgnoreVerdict | undefined;
    for (const layer of this.layers) {
      const inLayer = layer.base ? relativeTo(layer.base, relPath) : relPath;
      if (inLayer === undefined || this.inherited.has(layer)) continue;
      const result = layer.rules.test(isDirectory ? `${inLayer}/` : inLayer);
      if (result.ignored) {
        decided = { reason: layer.reason, detail: `${layer.source}: ${result.rule?.pattern ?? ""}` };
      } else if (result.unignored) decided = undefined;
    }
    return decided;
  }
}

function relativeTo(base: string, relPath: string): string | undefined {
  return relPath.startsWith(`${base}/`) ? relPath.slice(base.length + 1) : undefined;
}

/** The patterns of one ignore file, as git reads them (BOM, CRLF and `#` comments), or why it was not read. */
export function readPatterns(file: string, options: { readonly followLinks: boolean }): { patterns: string[] } | { skipped: string } {
  const read = readGuarded(file, { maxBytes: IGNORE_FILE_MAX_BYTES, noFollow: !options.followLinks });
  if (isGuardedSkip(read)) {
    if (read.skip === "unreadable" && read.detail === "deleted during the scan") return { patterns: [] };
    return { skipped: `${read.detail}; its patterns were not applied` };
  }
  let text = read.buffer.toString("utf8");
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  return { patterns: text.split(/\r?\n/).filter((line) => line.trim() !== "" && !line.startsWith("#")) };
}
