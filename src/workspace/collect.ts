/**
 * Stage 1: walk every root and list the candidate files, applying the ignore layers and globs
 * while walking so that an excluded directory (node_modules) is reported once and never entered. Symbolic links are
 * followed only to targets inside a root, and never to a directory that is already being walked (a loop).
 */
import type { Dirent } from "node:fs";
import { readdir, realpath, stat } from "node:fs/promises";
import * as path from "node:path";
import type { GlobRules } from "./globRules";
import { IGNORE_FILE_NAMES, IgnoreStack } from "./ignoreRules";
import type { ExcludedFile, WorkspaceRoot } from "./types";

export interface Candidate {
  /** Path as the model sees it (root name first in a multi-root workspace). */
  readonly path: string;
  readonly absolutePath: string;
}

export interface CollectResult {
  readonly candidates: Candidate[];
  readonly excluded: ExcludedFile[];
}

export interface CollectContext {
  readonly globs: GlobRules;
  readonly defaultExcludes: boolean;
  /** Real paths of every root: where symbolic links may point. */
  readonly realRoots: readonly string[];
  readonly multiRoot: boolean;
  readonly signal?: AbortSignal;
  readonly onSeen: () => void;
}

interface DirectoryWork {
  readonly absolutePath: string;
  /** Posix path from the root; "" for the root. */
  readonly relPath: string;
  readonly ignore: IgnoreStack;
  /** Real paths of this directory and its ancestors, to detect symbolic-link loops. */
  readonly realChain: readonly string[];
}

export async function collectRoot(root: WorkspaceRoot, realRoot: string, ctx: CollectContext, out: CollectResult) {
  const display = (rel: string) => (ctx.multiRoot ? `${root.name}/${rel}` : rel);
  const onSkipped = (rel: string, detail: string) => out.excluded.push({ path: display(rel), reason: "ignore-file-skipped", detail });
  const base = IgnoreStack.forRoot(root.path, ctx.defaultExcludes, onSkipped);
  const pending: DirectoryWork[] = [{ absolutePath: root.path, relPath: "", ignore: base, realChain: [realRoot] }];
  while (pending.length > 0) {
    if (ctx.signal?.aborted) return;
    const dir = pending.pop()!;
    let entries: Dirent[];
    try {
      entries = await readdir(dir.absolutePath, { withFileTypes: true });
    } catch (error) {
      out.excluded.push({ path: `${display(dir.relPath)}/`, reason: "unreadable", detail: errorDetail(error) });
      continue;
    }
    const ignoreFiles = entries.filter((e) => IGNORE_FILE_NAMES.includes(e.name)).map((e) => e.name);
    const ignore = await dir.ignore.child(dir.absolutePath, dir.relPath, ignoreFiles, onSkipped);
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const subdirectories: DirectoryWork[] = [];
    for (const entry of entries) {
      const rel = dir.relPath ? `${dir.relPath}/${entry.name}` : entry.name;
      const abs = path.join(dir.absolutePath, entry.name);
      let isDirectory = entry.isDirectory();
      let realDir: string | undefined;
      if (entry.isSymbolicLink()) {
        const link = await followLink(abs, ctx.realRoots);
        if ("reason" in link) {
          ctx.onSeen();
          out.excluded.push({ path: display(rel), ...link });
          continue;
        }
        isDirectory = link.isDirectory;
        realDir = link.realPath;
      } else if (isDirectory) {
        realDir = path.join(dir.realChain[dir.realChain.length - 1]!, entry.name);
      } else if (!entry.isFile()) {
        continue; // sockets, FIFOs, devices: not source files
      }
      const verdict = ignore.verdict(rel, isDirectory) ?? ctx.globs.verdict(spellings(rel, display), isDirectory);
      if (verdict) {
        ctx.onSeen();
        out.excluded.push({ path: isDirectory ? `${display(rel)}/` : display(rel), ...verdict });
      } else if (isDirectory) {
        if (dir.realChain.includes(realDir!)) {
          out.excluded.push({ path: `${display(rel)}/`, reason: "symlink-loop", detail: `links back to ${realDir}` });
        } else {
          subdirectories.push({ absolutePath: abs, relPath: rel, ignore, realChain: [...dir.realChain, realDir!] });
        }
      } else {
        ctx.onSeen();
        out.candidates.push({ path: display(rel), absolutePath: abs });
      }
    }
    // Walk subdirectories in name order: the stack pops the last pushed first.
    pending.push(...subdirectories.reverse());
  }
}

function spellings(rel: string, display: (rel: string) => string): string[] {
  const shown = display(rel);
  return shown === rel ? [rel] : [rel, shown];
}

type LinkTarget = { realPath: string; isDirectory: boolean } | Pick<ExcludedFile, "reason" | "detail">;

async function followLink(abs: string, realRoots: readonly string[]): Promise<LinkTarget> {
  let realPath: string;
  try {
    realPath = await realpath(abs);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ELOOP") return { reason: "symlink-loop", detail: "the link resolves to itself" };
    return { reason: "unreadable", detail: code === "ENOENT" ? "broken symbolic link" : errorDetail(error) };
  }
  const inside = realRoots.some((r) => realPath === r || realPath.startsWith(r.endsWith(path.sep) ? r : r + path.sep));
  if (!inside) return { reason: "symlink-outside", detail: `points to ${realPath}` };
  try {
    return { realPath, isDirectory: (await stat(realPath)).isDirectory() };
  } catch (error) {
    return { reason: "unreadable", detail: errorDetail(error) };
  }
}

export function errorDetail(error: unknown): string {
  const e = error as NodeJS.ErrnoException;
  if (e?.code === "ENOENT") return "deleted during the scan";
  if (e?.code === "EACCES" || e?.code === "EPERM") return "permission denied";
  return e?.message ?? String(error);
}
