/**
 * Where a citation from a model answer points. Model output is untrusted: a cited path opens only when it names a
 * file inside one of the workspace roots (after resolving `..` and symlinks); anything else stays plain text.
 */
import * as fs from "node:fs/promises";
import { PromptPaths, isInsideRoot } from "../workspace/promptPaths";
import type { WorkspaceRoot } from "../workspace/types";

async function realFile(candidate: string): Promise<string | undefined> {
  try {
    const real = await fs.realpath(candidate);
    return (await fs.stat(real)).isFile() ? real : undefined;
  } catch {
    return undefined;
  }
}

/** The absolute path of the workspace file a citation names, or undefined when it is not one. */
export async function resolveCitation(roots: readonly WorkspaceRoot[], citedPath: string): Promise<string | undefined> {
  const cited = citedPath.trim().replace(/\\/g, "/").replace(/^\.\//, "");
  if (!cited || cited.includes("\0") || cited.length > 4096) return undefined;
  const realRoots = (await Promise.all(roots.map((r) => fs.realpath(r.path).catch(() => undefined)))).filter(
    (r): r is string => r !== undefined,
  );
  for (const candidate of new PromptPaths(roots).candidates(cited)) {
    const real = await realFile(candidate);
    if (real && realRoots.some((root) => isInsideRoot(root, real))) return real;
  }
  return undefined;
}
