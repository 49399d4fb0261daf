/**
 * Where a citation from a model answer points. Model output is untrusted: a cited path opens only when it names a
 * file inside one of the workspace roots (after resolving `..` and symlinks); anything else stays plain text.
 */
import * as fs from "node:fs/promises";
import * as path from "node:path";
import type { WorkspaceRoot } from "../workspace/types";

async function realFile(candidate: string): Promise<string | undefined> {
  try {
    const real = await fs.realpath(candidate);
    return (await fs.stat(real)).isFile() ? real : undefined;
  } catch {
    return undefined;
  }
}

function isInside(root: string, file: string): boolean {
  const rel = path.relative(root, file);
  // `..hidden.ts` is inside; only `..` itself or `../…` leaves the root.
  return rel !== "" && rel !== ".." && !rel.startsWith(`..${path.sep}`) && !path.isAbsolute(rel);
}

/** Candidate absolute paths for a cited path, in the order the packer would have named them. */
function candidates(roots: readonly WorkspaceRoot[], cited: string): string[] {
  if (path.isAbsolute(cited)) return [cited];
  const [first, ...rest] = cited.split("/");
  const named = roots.length > 1 ? roots.find((r) => r.name === first) : undefined;
  const out = named && rest.length > 0 ? [path.join(named.path, ...rest)] : [];
  return out.concat(roots.map((r) => path.join(r.path, cited)));
}

/** The absolute path of the workspace file a citation names, or undefined when it is not one. */
export async function resolveCitation(roots: readonly WorkspaceRoot[], citedPath: string): Promise<string | undefined> {
  const cited = citedPath.trim().replace(/\\/g, "/").replace(/^\.\//, "");
  if (!cited || cited.includes("\0") || cited.length > 4096) return undefined;
  const realRoots = (await Promise.all(roots.map((r) => fs.realpath(r.path).catch(() => undefined)))).filter(
    (r): r is string => r !== undefined,
  );
  for (const candidate of candidates(roots, cited)) {
    const real = await realFile(candidate);
    if (real && realRoots.some((root) => isInside(root, real))) return real;
  }
  return undefined;
}
