/**
 * Git-style ignore rules layered per directory: built-in defaults at the bottom, then `.git/info/exclude`, then each
 * directory's `.gitignore` and `.longropeignore` from the root down. The deepest matching rule wins, so a negation
 * (`!dist/`) in any of them re-includes what a layer above it excluded, as in git.
 */
import { readFile } from "node:fs/promises";
import * as path from "node:path";
import ignore, { type Ignore } from "ignore";
import type { SkipReason } from "./types";

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
    private readonly layers: readonly IgnoreLayer[],
    private readonly inherited: ReadonlySet<IgnoreLayer> = new Set(),
  ) {}

  static empty(): IgnoreStack {
    return new IgnoreStack([]);
  }

  with(base: string, source: string, reason: SkipReason, patterns: readonly string[]): IgnoreStack {
    if (patterns.length === 0) return this;
    const rules = ignore({ allowRelativePaths: true }).add(patterns as string[]);
    return new IgnoreStack([...this.layers, { base, source, reason, rules }], this.inherited);
  }

  /** Stacks the ignore files `present` in `dirAbs` (posix `dirRel` from the root), in IGNORE_FILE_NAMES order. */
  async child(dirAbs: string, dirRel: string, present: readonly string[]): Promise<IgnoreStack> {
    let stack: IgnoreStack = this;
    if (dirRel !== "") {
      const inherited = new Set(this.inherited);
      for (const layer of this.layers) {
        const inLayer = layer.base ? relativeTo(layer.base, dirRel) : dirRel;
        if (inLayer !== undefined && layer.rules.test(`${inLayer}/`).ignored) inherited.add(layer);
      }
      if (inherited.size > this.inherited.size) stack = new IgnoreStack(this.layers, inherited);
    }
    for (const name of IGNORE_FILE_NAMES) {
      if (!present.includes(name)) continue;
      const patterns = await readPatterns(path.join(dirAbs, name));
      const source = dirRel ? `${dirRel}/${name}` : name;
      stack = stack.with(dirRel, source, "gitignore", patterns);
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

export async function readPatterns(file: string): Promise<string[]> {
  try {
    const text = await readFile(file, "utf8");
    return text.split(/\r?\n/).filter((line) => line.trim() !== "" && !line.startsWith("#"));
  } catch {
    return [];
  }
}
