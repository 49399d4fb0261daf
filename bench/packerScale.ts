// The packer at repository scale: synthetic trees of ~1M and ~5M tokens made of real sources (text files copied out of
// this checkout's node_modules, in a fixed order), packed at budgets of 128k, 512k and unlimited, each cold (nothing
// cached) and then warm in a new process. Every pack runs in a process of its own (bench/support/packOnce.ts), so its
// peak memory is its own; the tokenizer is the model's, in the engine process (llama-2-tiny-random; --model smollm2).
// `node --import tsx bench/packerScale.ts [--json] [--model NAME] [--sizes 1,5]` (sizes in millions of tokens)
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { buildEngineWorker, resolveModel } from "./support/engineCounter";

const root = path.resolve(__dirname, "..");
const json = process.argv.includes("--json");
const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1]! : fallback;
};
const model = resolveModel(arg("--model", "llama-2-tiny-random"));
const sizes = arg("--sizes", "1,5").split(",").map(Number);
const BUDGETS: (number | undefined)[] = [128_000, 512_000, undefined];
/** Bytes per Llama-2 token of these files (measured: a 2.5 MB tree of them was 823k tokens). */
const CHARS_PER_TOKEN = 3.1;
const SOURCE = /\.(js|mjs|cjs|ts|mts|cts|md|json)$/;
const temp = mkdtempSync(path.join(os.tmpdir(), "packer-scale-"));

/** Source files of node_modules in a fixed order, as [absolute path, path inside the tree]. */
function sources(): [string, string][] {
  const out: [string, string][] = [];
  const modules = path.join(root, "node_modules");
  for (const entry of readdirSync(modules, { recursive: true, withFileTypes: true }).sort((a, b) => (pathOf(a) < pathOf(b) ? -1 : 1))) {
    if (!entry.isFile() || !SOURCE.test(entry.name) || entry.name.includes(".min.")) continue;
    const abs = pathOf(entry);
    out.push([abs, path.relative(modules, abs)]);
  }
  return out;
}

function pathOf(entry: { parentPath?: string; path?: string; name: string }): string {
  return path.join(entry.parentPath ?? entry.path ?? "", entry.name);
}

function makeTree(millionTokens: number, files: readonly [string, string][]): { dir: string; files: number; bytes: number } {
  const dir = path.join(temp, `tree-${millionTokens}M`);
  const target = millionTokens * 1e6 * CHARS_PER_TOKEN;
  let bytes = 0;
  let count = 0;
  for (const [abs, rel] of files) {
    if (bytes >= target) break;
    const size = statSync(abs).size;
    if (size > 512 * 1024) continue;
    mkdirSync(path.join(dir, path.dirname(rel)), { recursive: true });
    copyFileSync(abs, path.join(dir, rel));
    bytes += size;
    count++;
  }
  return { dir, files: count, bytes };
}

interface PackRun {
  readonly packMs: number;
  readonly files: number;
  readonly totalTokens: number;
  readonly work: { readonly textsTokenized: number; readonly filesScanned: number };
  readonly peakHeapMB: number;
  readonly maxRssMB: number;
}

function packOnce(dir: string, cacheDir: string, budgetTokens: number | undefined): PackRun {
  const job = JSON.stringify({ root: dir, model, cacheKey: `scale-${path.basename(model)}`, budgetTokens, defaultExcludes: false });
  const run = spawnSync(process.execPath, ["--import", "tsx", path.join(__dirname, "support/packOnce.ts"), job], {
    encoding: "utf8",
    env: { ...process.env, XDG_CACHE_HOME: cacheDir },
    maxBuffer: 16 << 20,
  });
  if (run.status !== 0) throw new Error(`packOnce failed: ${run.stderr}`);
  return JSON.parse(run.stdout) as PackRun;
}

function main(): void {
  buildEngineWorker();
  const all = sources();
  const rows: { tree: string; treeFiles: number; treeMB: number; budget: number | string; cold: PackRun; warm: PackRun }[] = [];
  try {
    for (const size of sizes) {
      const tree = makeTree(size, all);
      for (const budget of BUDGETS) {
        const cacheDir = mkdtempSync(path.join(temp, "xdg-"));
        const cold = packOnce(tree.dir, cacheDir, budget);
        const warm = packOnce(tree.dir, cacheDir, budget);
        rows.push({ tree: `${size}M`, treeFiles: tree.files, treeMB: +(tree.bytes / 2 ** 20).toFixed(1), budget: budget ?? "unlimited", cold, warm });
        rmSync(cacheDir, { recursive: true, force: true });
      }
    }
  } finally {
    rmSync(temp, { recursive: true, force: true });
  }
  if (json) {
    process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
    return;
  }
  process.stdout.write("| tree | budget | packed files | prompt tokens | cold ms | cold: texts tokenized / files scanned | cold peak heap / RSS MB | new process ms | new process RSS MB |\n");
  process.stdout.write("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n");
  for (const r of rows) {
    const { cold, warm } = r;
    process.stdout.write(
      `| ${r.tree} (${r.treeFiles} files, ${r.treeMB} MB) | ${r.budget} | ${cold.files} | ${cold.totalTokens} | ${cold.packMs} | ${cold.work.textsTokenized} / ${cold.work.filesScanned} | ${cold.peakHeapMB} / ${cold.maxRssMB} | ${warm.packMs} | ${warm.maxRssMB} |\n`,
    );
  }
}

main();
