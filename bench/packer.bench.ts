// Packer benchmark: our packWorkspace against repomix (the pinned devDependency) on the same large real tree (the
// sources of 18 npm packages copied out of node_modules into a temp folder; thousands of files, ~6M tokens; not
// committed), same ignore rules (the tree's .gitignore; both tools' built-in patterns off; 1 MiB per-file limit), both
// counting tokens — ours with the model's own tokenizer in the engine process, as the product does (llama-2-tiny-random
// by default; --model smollm2), repomix with its o200k tokenizer in worker threads — and both scanning for secrets.
// One run of each row, alternating with repomix, in this process after a warm-up (module loading, JIT, page cache).
//   PK_cold_128k_ratio        ours, nothing cached, budget 128k tokens ÷ repomix's full pack         (goal ≤ 0.33)
//   PK_cold_unlimited_ratio   ours, nothing cached, no budget ÷ repomix's full pack                   (goal ≤ 1.0)
//   PK_warm_process_ratio     ours in a new process, nothing edited, no budget ÷ our cold unlimited  (goal ≤ 0.15)
//   PK_parallel_ratio         cold unlimited with counts split over two engine processes ÷ one engine
// `node --import tsx bench/packer.bench.ts [--json] [--model NAME|PATH]`
import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { clearPackCaches, packWorkspace } from "../src/workspace/index";
import type { PackResult } from "../src/workspace/types";
import { buildEngineWorker, resolveModel, startEngineCounter, startEnginePool, type EngineCounter } from "./support/engineCounter";
import { runRepomix, type RepomixRun } from "./support/repomix";

const root = path.resolve(__dirname, "..");
const json = process.argv.includes("--json");
const modelArg = process.argv.indexOf("--model");
const model = resolveModel(modelArg > 0 ? process.argv[modelArg + 1]! : "llama-2-tiny-random");
const MAX_FILE_BYTES = 1024 * 1024;
const BUDGET = 128_000;
const PACKAGES = ["lodash", "zod", "hono", "underscore", "ajv", "tar", "cheerio", "undici", "mocha", "htmlparser2", "parse5", "diff", "markdown-it", "minimatch", "ignore", "isbinaryfile", "commander", "yaml"];
const temp = mkdtempSync(path.join(os.tmpdir(), "packer-bench-"));

function buildTree(): string {
  const repo = path.join(temp, "repo");
  for (const name of PACKAGES) {
    const from = path.join(root, "node_modules", name);
    if (!existsSync(from)) continue;
    cpSync(from, path.join(repo, "packages", name), { recursive: true, filter: (src) => !src.slice(from.length).includes("node_modules") });
  }
  // Ignore rules both tools read the same way.
  writeFileSync(path.join(repo, ".gitignore"), "*.map\n*.tsbuildinfo\npackages/*/CHANGELOG.md\n");
  return repo;
}

/** A fresh, empty cache folder for the packer, and nothing remembered in this process: a first pack. */
function coldCache(): string {
  const dir = mkdtempSync(path.join(temp, "xdg-"));
  process.env.XDG_CACHE_HOME = dir;
  clearPackCaches();
  return dir;
}

async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const start = performance.now();
  const value = await fn();
  return { ms: performance.now() - start, value };
}

interface ChildPack {
  readonly packMs: number;
  readonly processMs: number;
  readonly work: { readonly textsTokenized: number; readonly filesScanned: number };
  readonly totalTokens: number;
  readonly engineStarted: boolean;
}

/** A pack in a process of its own on `cacheDir` (empty: a first pack; filled by an earlier pack: a second process). */
function packInNewProcess(repo: string, cacheDir: string, cacheKey: string, budgetTokens?: number): ChildPack {
  const job = JSON.stringify({ root: repo, model, cacheKey, budgetTokens, defaultExcludes: false });
  const run = spawnSync(process.execPath, ["--import", "tsx", path.join(__dirname, "support/packOnce.ts"), job], {
    encoding: "utf8",
    env: { ...process.env, XDG_CACHE_HOME: cacheDir },
  });
  if (run.status !== 0) throw new Error(`packOnce failed: ${run.stderr}`);
  return JSON.parse(run.stdout) as ChildPack;
}

async function main(): Promise<void> {
  buildEngineWorker();
  const repo = buildTree();
  const engine: EngineCounter = await startEngineCounter(model);
  const ours = (budgetTokens?: number) =>
    packWorkspace({ roots: [{ name: "repo", path: repo }], defaultExcludes: false, maxFileBytes: MAX_FILE_BYTES, tokenCounter: engine.counter, ...(budgetTokens ? { budgetTokens } : {}) });
  try {
    const treeFiles = readdirSync(repo, { withFileTypes: true, recursive: true }).filter((e) => e.isFile()).length;
    coldCache();
    await ours(BUDGET);
    await runRepomix(repo, temp, MAX_FILE_BYTES);
    const repomixFirst = await timed(() => runRepomix(repo, temp, MAX_FILE_BYTES));
    coldCache();
    const cold128 = await timed(() => ours(BUDGET));
    const unlimitedCache = coldCache();
    const coldAll = await timed(() => ours());
    // Tokenizing in parallel: every count request split between two engine processes.
    const pool = await startEnginePool(model, 2);
    coldCache();
    const coldAllParallel = await timed(() =>
      packWorkspace({ roots: [{ name: "repo", path: repo }], defaultExcludes: false, maxFileBytes: MAX_FILE_BYTES, tokenCounter: pool.counter }),
    );
    await pool.dispose();
    const repomixSecond = await timed(() => runRepomix(repo, temp, MAX_FILE_BYTES));
    const warmAll = packInNewProcess(repo, unlimitedCache, engine.counter.cacheKey!);
    const newProcessCache = mkdtempSync(path.join(temp, "xdg-"));
    const cold128Process = packInNewProcess(repo, newProcessCache, engine.counter.cacheKey!, BUDGET);
    const warm128 = packInNewProcess(repo, newProcessCache, engine.counter.cacheKey!, BUDGET);
    const repomixMs = (repomixFirst.ms + repomixSecond.ms) / 2;
    const diff = compare(coldAll.value, repomixSecond.value);
    const ratio = (a: number, b: number) => Number((a / b).toFixed(3));
    const result = {
      PK_model: engine.modelName,
      PK_tree_files: treeFiles,
      PK_files_ours: coldAll.value.included.length,
      PK_files_repomix: repomixSecond.value.files.size,
      PK_prompt_tokens: coldAll.value.totalTokens,
      PK_repomix_ms: [Math.round(repomixFirst.ms), Math.round(repomixSecond.ms)],
      PK_cold_128k_ms: Math.round(cold128.ms),
      PK_cold_128k_files: cold128.value.included.length,
      PK_cold_128k_work: cold128.value.work,
      PK_cold_128k_ratio: ratio(cold128.ms, repomixMs),
      PK_cold_unlimited_ms: Math.round(coldAll.ms),
      PK_cold_unlimited_ratio: ratio(coldAll.ms, repomixMs),
      PK_warm_process_ms: warmAll.packMs,
      PK_warm_process_wall_ms: warmAll.processMs,
      PK_warm_process_work: warmAll.work,
      PK_warm_process_ratio: ratio(warmAll.packMs, coldAll.ms),
      PK_cold_unlimited_2_engines_ms: Math.round(coldAllParallel.ms),
      PK_parallel_ratio: ratio(coldAllParallel.ms, coldAll.ms),
      PK_cold_process_128k_ms: cold128Process.packMs,
      PK_warm_process_128k_ms: warm128.packMs,
      PK_warm_process_128k_ratio: ratio(warm128.packMs, cold128Process.packMs),
      PK_warm_process_same_tokens: warmAll.totalTokens === coldAll.value.totalTokens,
      PK_only_ours: diff.onlyOurs,
      PK_only_repomix: diff.onlyRepomix,
    };
    if (json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    else printTable(result, diff.explanations);
  } finally {
    await engine.dispose();
    rmSync(temp, { recursive: true, force: true });
  }
}

/** Files each tool packs that the other does not, grouped by the reason the other left them out. */
function compare(ours: PackResult, repomix: RepomixRun) {
  const oursSet = new Set(ours.included.map((f) => f.path));
  const ourReason = new Map(ours.excluded.map((e) => [e.path, e.reason]));
  const onlyOurs: Record<string, number> = {};
  const onlyRepomix: Record<string, number> = {};
  for (const p of oursSet) {
    if (repomix.files.has(p)) continue;
    const why = repomix.suspicious.has(p) ? "repomix drops files with secrets (we redact and keep)" : `repomix skipped: ${repomix.skipped.get(p) ?? "not listed"}`;
    onlyOurs[why] = (onlyOurs[why] ?? 0) + 1;
  }
  for (const p of repomix.files) {
    if (oursSet.has(p)) continue;
    const why = `we excluded: ${ourReason.get(p) ?? "not listed"}`;
    onlyRepomix[why] = (onlyRepomix[why] ?? 0) + 1;
  }
  const explanations = [
    ...Object.entries(onlyOurs).map(([why, n]) => `only ours      ${String(n).padStart(5)}  ${why}`),
    ...Object.entries(onlyRepomix).map(([why, n]) => `only repomix   ${String(n).padStart(5)}  ${why}`),
  ];
  return { onlyOurs, onlyRepomix, explanations };
}

type Work = ChildPack["work"] | undefined;

/** The part of main's result the table shows. */
interface TableInput {
  readonly PK_model: string;
  readonly PK_tree_files: number;
  readonly PK_files_ours: number;
  readonly PK_files_repomix: number;
  readonly PK_prompt_tokens: number | undefined;
  readonly PK_repomix_ms: readonly number[];
  readonly PK_cold_128k_ms: number;
  readonly PK_cold_128k_files: number;
  readonly PK_cold_128k_work: Work;
  readonly PK_cold_128k_ratio: number;
  readonly PK_cold_unlimited_ms: number;
  readonly PK_cold_unlimited_ratio: number;
  readonly PK_warm_process_ms: number;
  readonly PK_warm_process_wall_ms: number;
  readonly PK_warm_process_work: Work;
  readonly PK_warm_process_ratio: number;
  readonly PK_cold_unlimited_2_engines_ms: number;
  readonly PK_parallel_ratio: number;
  readonly PK_cold_process_128k_ms: number;
  readonly PK_warm_process_128k_ms: number;
  readonly PK_warm_process_128k_ratio: number;
}

function printTable(r: TableInput, explanations: string[]): void {
  const work = (w: Work) => (w ? `${w.textsTokenized} texts tokenized, ${w.filesScanned} files scanned` : "no work counts");
  const rows: [string, number | string, number | string, string][] = [
    ["repomix, full pack with token counts (ms)", r.PK_repomix_ms.join(" / "), "", "before / after ours; their mean is the baseline"],
    ["ours cold, budget 128k (ms)", r.PK_cold_128k_ms, r.PK_cold_128k_ratio, `goal ≤ 0.33 of repomix; ${r.PK_cold_128k_files} files, ${work(r.PK_cold_128k_work)}`],
    ["ours cold, no budget (ms)", r.PK_cold_unlimited_ms, r.PK_cold_unlimited_ratio, "goal ≤ 1.0 of repomix"],
    ["ours, new process, nothing edited, no budget (ms)", r.PK_warm_process_ms, r.PK_warm_process_ratio, `goal ≤ 0.15 of our cold; ${work(r.PK_warm_process_work)}; process ${r.PK_warm_process_wall_ms} ms with Node's start`],
    ["ours cold, no budget, counting on 2 engine processes (ms)", r.PK_cold_unlimited_2_engines_ms, r.PK_parallel_ratio, "of one engine: parallel tokenizing"],
    ["ours cold, budget 128k, in a new process (ms)", r.PK_cold_process_128k_ms, "", "a first pack in a fresh process (cold JIT)"],
    ["ours, new process, nothing edited, budget 128k (ms)", r.PK_warm_process_128k_ms, r.PK_warm_process_128k_ratio, "of the row above"],
  ];
  process.stdout.write(`Tree: ${r.PK_tree_files} files; packed: ours ${r.PK_files_ours}, repomix ${r.PK_files_repomix}; ${r.PK_prompt_tokens} prompt tokens (${r.PK_model}).\n\n`);
  process.stdout.write("| row | ms | ratio | note |\n| --- | ---: | ---: | --- |\n");
  for (const [k, v, ratio, note] of rows) process.stdout.write(`| ${k} | ${v} | ${ratio} | ${note} |\n`);
  process.stdout.write(`\nIncluded-file differences:\n${explanations.length ? explanations.join("\n") : "none"}\n`);
}

void main().catch((error) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exitCode = 1;
});
