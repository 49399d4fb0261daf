/**
 * How a workspace file is named in the prompt, and back. One root: the path relative to it, with `/` separators.
 * Several roots: the root's label first (`api/src/main.ts`). A label is the root's name made unique and made one path
 * segment: two roots named `app` are `app` and `app-2`, and a `/` in a name becomes `-`, so that every prompt path
 * leads back to one file. The packer names files with it (collect.ts), the editor names the file a question is about
 * (config.ts), and a path cited in an answer is turned back into candidate files (chat/citations.ts).
 */
import * as path from "node:path";
import type { WorkspaceRoot } from "./types";

export interface LabelledRoot extends WorkspaceRoot {
  /** The first segment of this root's prompt paths in a multi-root workspace. */
  readonly label: string;
}

export class PromptPaths {
  readonly roots: readonly LabelledRoot[];

  constructor(roots: readonly WorkspaceRoot[]) {
    const taken = new Set<string>();
    const allNames = new Set(roots.map((root) => oneSegment(root.name)));
    this.roots = roots.map((root) => {
      const name = oneSegment(root.name);
      let label = name;
      // A suffix another root already has as its own name is skipped: `app`, `app`, `app-2` → app, app-3, app-2.
      for (let n = 2; taken.has(label) || (label !== name && allNames.has(label)); n++) label = `${name}-${n}`;
      taken.add(label);
      return { ...root, label };
    });
  }

  /** Path segments before the root-relative part: 1 in a multi-root workspace (the label), else 0. */
  get rootSegments(): number {
    return this.roots.length > 1 ? 1 : 0;
  }

  /** The prompt path of `rel` (posix, relative to root number `rootIndex`). */
  inRoot(rootIndex: number, rel: string): string {
    const root = this.roots[rootIndex];
    if (root === undefined) throw new RangeError(`no workspace root number ${rootIndex}`);
    return this.roots.length > 1 ? `${root.label}/${rel}` : rel;
  }

  /** The prompt path of an absolute file path; undefined outside every root. The first root holding it names it. */
  ofFile(file: string): string | undefined {
    for (const [i, root] of this.roots.entries()) {
      if (isInsideRoot(root.path, file)) return this.inRoot(i, path.relative(root.path, file).split(path.sep).join("/"));
    }
    return undefined;
  }

  /**
   * Absolute paths a cited path may mean, most likely first: the file under the root its label names, then the path
   * under each root (a model may drop the label). Nothing here is checked: `..` may lead out of every root, so the
   * caller resolves links and keeps only a candidate that `isInsideRoot` accepts.
   */
  candidates(cited: string): string[] {
    if (path.isAbsolute(cited)) return [cited];
    const [first, ...rest] = cited.split("/");
    const named = this.roots.length > 1 && rest.length > 0 ? this.roots.find((r) => r.label === first) : undefined;
    const out = named ? [path.join(named.path, ...rest)] : [];
    return out.concat(this.roots.map((r) => path.join(r.path, cited)));
  }
}

function oneSegment(name: string): string {
  return name.replace(/[\\/]/g, "-") || "root";
}

/** Whether `file` is strictly inside `root` (both absolute). `..hidden.ts` is inside; only `..` and `../…` leave. */
export function isInsideRoot(root: string, file: string): boolean {
  const rel = path.relative(root, file);
  return rel !== "" && rel !== ".." && !rel.startsWith(`..${path.sep}`) && !path.isAbsolute(rel);
}
