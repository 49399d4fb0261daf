/**
 * Haystacks of real source code: small files from packages already in node_modules (pinned by package-lock.json, so
 * a seed always gives the same files), written to a temp workspace with modification times that put each needle file
 * at its depth in the packer's order (least recently modified first), then packed by our packer.
 */
import { mkdirSync, readdirSync, readFileSync, statSync, utimesSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import type { Needle } from "./needles";

/** Folders of plain (not minified) JavaScript in this project's node_modules. */
const SOURCE_FOLDERS = [
  "mocha/lib",
  "repomix/lib",
  "node-llama-cpp/dist/utils",
  "node-llama-cpp/dist/chatWrappers",
  "@vscode/vsce/out",
  "commander/lib",
  "yargs/build/lib",
  "highlight.js/lib/languages",
  "@secretlint/core/module",
];
/** Small files, so a 2k-token haystack still has several files between which a needle can sit. */
const MIN_BYTES = 300;
const MAX_BYTES = 2200;

export interface SourceFile {
  /** Path in the haystack workspace (build-output folder names dropped: the packer leaves `dist/` out). */
  readonly path: string;
  readonly text: string;
}

export interface PlacedNeedle extends Needle {
  readonly path: string;
  /** The depth asked for (0 = right after the tree, 1 = after the last file). */
  readonly depth: number;
  /** Index in `files` the needle goes before (files.length: after the last). */
  readonly slot: number;
}

export interface Haystack {
  /** In prompt order. */
  readonly files: readonly SourceFile[];
  readonly needles: readonly PlacedNeedle[];
}

export function loadSourcePool(root: string): SourceFile[] {
  const pool: SourceFile[] = [];
  for (const folder of SOURCE_FOLDERS) {
    const base = path.join(root, "node_modules", folder);
    let entries: string[];
    try {
      entries = readdirSync(base, { recursive: true }) as string[];
    } catch {
      continue; // a package that moved in a later lock file; the pool check below says when too few remain
    }
    for (const relative of entries.sort()) {
      if (!/\.(c|m)?js$/.test(relative) || relative.endsWith(".min.js")) continue;
      const file = path.join(base, relative);
      const bytes = statSync(file).size;
      if (bytes < MIN_BYTES || bytes > MAX_BYTES) continue;
      const text = readFileSync(file, "utf8");
      const lines = text.split("\n");
      if (lines.some((line) => line.length > 300) || text.includes("sourceMappingURL=data:")) continue;
      const clean = path.posix.join(folder, relative.split(path.sep).join("/")).split("/").filter((s) => !["dist", "build", "out"].includes(s));
      pool.push({ path: clean.join("/"), text });
    }
  }
  if (pool.length < 200) throw new Error(`Only ${pool.length} source files found under node_modules; run npm ci first.`);
  return pool;
}

export function shuffled<T>(items: readonly T[], random: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/**
 * Files until their tokens reach `fileTokens`, and each needle placed at the file boundary nearest its depth (by
 * tokens). `tokensOf` is the model's tokenizer on a file's text.
 */
export function buildHaystack(
  pool: readonly SourceFile[],
  random: () => number,
  fileTokens: number,
  needles: readonly Needle[],
  depths: readonly number[],
  tokensOf: (text: string) => number,
): Haystack {
  const files: SourceFile[] = [];
  const ends: number[] = [];
  let total = 0;
  for (const file of shuffled(pool, random)) {
    const tokens = tokensOf(file.text);
    if (total + tokens > fileTokens) {
      if (fileTokens - total < 150) break;
      continue;
    }
    files.push(file);
    total += tokens;
    ends.push(total);
  }
  const starts = [0, ...ends];
  const placed = needles.map((needle, i) => {
    const depth = depths[i]!;
    let slot = 0;
    for (let s = 0; s < starts.length; s++) if (Math.abs(starts[s]! - depth * total) < Math.abs(starts[slot]! - depth * total)) slot = s;
    const folder = path.posix.dirname(files[Math.min(slot, files.length - 1)]!.path);
    return { ...needle, path: `${folder}/${needle.fileName}`, depth, slot };
  });
  return { files, needles: placed };
}

/** Writes the haystack (with the given needles) into `dir`; file times put every file at its place in the order. */
export function writeHaystack(dir: string, haystack: Haystack, needles: readonly PlacedNeedle[]): void {
  const base = Date.UTC(2024, 0, 1) / 1000;
  const write = (relative: string, text: string, time: number) => {
    const file = path.join(dir, relative);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, text);
    utimesSync(file, time, time);
  };
  haystack.files.forEach((file, i) => write(file.path, file.text, base + 60 * i));
  // Before the file at `slot`; two needles in one slot keep their depth order.
  needles.forEach((needle) => write(needle.path, needle.text, base + 60 * needle.slot - 30 + needle.depth));
}
