// Packer benchmark: our packWorkspace side by side with repomix on the same large real tree (the sources of a dozen
// npm packages copied out of node_modules into a temp folder; thousands of files; not committed), same ignore rules
// (the tree's .gitignore; both tools' built-in patterns off; 1 MiB per-file limit), both in this process, warm,
// alternating, medians. Each tool does its whole job: walk, read, secret check, format, count tokens (ours: the
// Llama-2 tokenizer of llama-2-tiny-random; repomix: its tiktoken o200k counter). Our caches (token counts, secret
// findings) are cleared before every timed run; the warm rows show a re-pack with nothing edited.
//   PK_wall_ratio            our wall time ÷ repomix's                                   (goal ≤ 0.33)
//   PK_framing_overhead      framing tokens ÷ prompt tokens on the bench tree (Llama-2)  (goal < 0.08)
// `node --import tsx bench/packer.bench.ts [--json] [--runs N]`
import { cpSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { clearPackCaches, packWorkspace } from "../src/workspace/index";
import type { PackResult } from "../src/workspace/types";
import { loadLlamaTokenizer } from "../test/fixtures/llamaTokenizer";

const root = path.resolve(__dirname, "..");
const json = process.argv.includes("--json");
const runsArg = process.argv.indexOf("--runs");
const runs = runsArg > 0 ? Number(process.argv[runsArg + 1]) : 3;
const MAX_FILE_BYTES = 1024 * 1024;
const PACKAGES = ["lodash", "zod", "hono", "underscore", "ajv", "tar", "cheerio", "undici", "mocha", "htmlparser2", "parse5", "diff", "markdown-it", "minimatch", "ignore", "isbinaryfile", "commander", "yaml"];

interface RepomixRun {
  readonly files: Set<string>;
  readonly suspicious: Set<string>;
  readonly skipped: Map<string, string>;
}

function buildTree(): string {
  const temp = mkdtempSync(path.join(os.tmpdir(), "packer-bench-"));
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

function countFiles(dir: string): number {
  return readdirSync(dir, { withFileTypes: true, recursive: true }).filter((e) => e.isFile()).length;
}

/** `cacheKey` undefined: no token counting. */
async function runOurs(repo: string, cacheKey: string | undefined, measureFraming = false, redactSecrets = true): Promise<PackResult> {
  const tokenizer = await tokenizerOnce;
  const counter = cacheKey === undefined ? undefined : { cacheKey, countTokens: tokenizer.countTokens };
  const roots = [{ name: "repo", path: repo }];
  return packWorkspace({ roots, defaultExcludes: false, maxFileBytes: MAX_FILE_BYTES, tokenCounter: counter, measureFraming, redactSecrets });
}

/** repomix's own pipeline (its `pack`), configured as its CLI would be; `countTokens: false` stubs only its metrics. */
async function runRepomix(repo: string, outDir: string, countTokens: boolean): Promise<RepomixRun> {
  const repomix = await import("repomix");
  const configFile = path.join(outDir, "repomix.config.json");
  writeFileSync(configFile, JSON.stringify({ input: { maxFileSize: MAX_FILE_BYTES } }));
  const cliOptions = { output: path.join(outDir, "repomix-output.xml"), quiet: true, defaultPatterns: false, gitignore: true, securityCheck: true, outputShowLineNumbers: true };
  const fileConfig = await repomix.loadFileConfig(repo, configFile, { skipLocalConfig: true });
  const config = repomix.mergeConfigs(repo, fileConfig, repomix.buildCliConfig(cliOptions));
  const noMetrics = {
    createMetricsTaskRunner: () => ({ taskRunner: { run: async () => 0, cleanup: async () => undefined }, warmupPromise: Promise.resolve([]) }),
    calculateMetrics: async () => ({ totalFiles: 0, totalCharacters: 0, totalTokens: 0, fileCharCounts: {}, fileTokenCounts: {}, gitDiffTokenCount: 0, gitLogTokenCount: 0 }),
  };
  const packResult = await repomix.pack([repo], config, () => undefined, countTokens ? {} : (noMetrics as never));
  return {
    files: new Set(packResult.processedFiles.map((f) => f.path.split(path.sep).join("/"))),
    suspicious: new Set(packResult.suspiciousFilesResults.map((s) => path.relative(repo, path.resolve(repo, s.filePath)).split(path.sep).join("/"))),
    skipped: new Map(packResult.skippedFiles.map((s) => [s.path.split(path.sep).join("/"), s.reason])),
  };
}

async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const start = performance.now();
  const value = await fn();
  return { ms: performance.now() - start, value };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const tokenizerOnce = loadLlamaTokenizer();

async function main(): Promise<void> {
  const repo = buildTree();
  const outDir = mkdtempSync(path.join(os.tmpdir(), "packer-bench-out-"));
  try {
    const treeFiles = countFiles(repo);
    // Warm-up: module loading, JIT, the OS page cache for both.
    await runOurs(repo, "warmup");
    await runRepomix(repo, outDir, true);
    const times = { ours: [] as number[], oursNoSecrets: [] as number[], repomix: [] as number[], oursCounted: [] as number[], repomixCounted: [] as number[] };
    let oursResult: PackResult | undefined;
    let repomixResult: RepomixRun | undefined;
    // Ours is measured cold: token counts and secret findings cached by earlier runs are forgotten first.
    for (let i = 0; i < runs; i++) {
      clearPackCaches();
      const a = await timed(() => runOurs(repo, undefined));
      times.ours.push(a.ms);
      oursResult = a.value;
      times.oursNoSecrets.push((await timed(() => runOurs(repo, undefined, false, false))).ms);
      const b = await timed(() => runRepomix(repo, outDir, false));
      times.repomix.push(b.ms);
      repomixResult = b.value;
      clearPackCaches();
      times.oursCounted.push((await timed(() => runOurs(repo, `cold-${i}`))).ms);
      times.repomixCounted.push((await timed(() => runRepomix(repo, outDir, true))).ms);
    }
    // Warm: a re-pack with nothing edited (what every follow-up question does).
    const warm = await timed(() => runOurs(repo, `cold-${runs - 1}`));
    const framing = await runOurs(repo, "framing", true);
    const report = compare(oursResult!, repomixResult!);
    const ratio = (a: number[], b: number[]) => Number((median(a) / median(b)).toFixed(3));
    const result = {
      PK_tree_files: treeFiles,
      PK_ours_ms: Math.round(median(times.ours)),
      PK_ours_without_secret_scan_ms: Math.round(median(times.oursNoSecrets)),
      PK_repomix_ms: Math.round(median(times.repomix)),
      PK_wall_ratio: ratio(times.ours, times.repomix),
      PK_ours_counted_ms: Math.round(median(times.oursCounted)),
      PK_repomix_counted_ms: Math.round(median(times.repomixCounted)),
      PK_wall_ratio_counted_cold: ratio(times.oursCounted, times.repomixCounted),
      PK_ours_counted_warm_ms: Math.round(warm.ms),
      PK_wall_ratio_counted_warm: Number((warm.ms / median(times.repomixCounted)).toFixed(3)),
      PK_files_ours: oursResult!.included.length,
      PK_files_repomix: repomixResult!.files.size,
      PK_only_ours: report.onlyOurs,
      PK_only_repomix: report.onlyRepomix,
      PK_prompt_tokens: framing.totalTokens,
      PK_framing_tokens: framing.framingTokens,
      PK_framing_overhead: Number((framing.framingTokens! / framing.totalTokens!).toFixed(4)),
    };
    if (json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    else printTable(result, report.explanations, runs);
  } finally {
    rmSync(path.dirname(repo), { recursive: true, force: true });
    rmSync(outDir, { recursive: true, force: true });
    await (await tokenizerOnce).dispose();
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

function printTable(r: Record<string, unknown>, explanations: string[], n: number): void {
  const rows: [string, unknown, string][] = [
    ["tree files", r.PK_tree_files, `${PACKAGES.length} npm packages' sources`],
    ["ours: walk, read, redact, frame (ms)", r.PK_ours_ms, `median of ${n}`],
    ["ours without the secret scan (ms)", r.PK_ours_without_secret_scan_ms, "what secretlint costs us"],
    ["repomix: same, token metrics stubbed (ms)", r.PK_repomix_ms, `median of ${n}`],
    ["wall ratio ours/repomix", r.PK_wall_ratio, "goal ≤ 0.33"],
    ["ours + Llama-2 token counts, cold (ms)", r.PK_ours_counted_ms, "every file tokenized"],
    ["repomix + its tiktoken metrics (ms)", r.PK_repomix_counted_ms, "repomix's default"],
    ["ratio, both counting tokens, ours cold", r.PK_wall_ratio_counted_cold, ""],
    ["ours + token counts, warm cache (ms)", r.PK_ours_counted_warm_ms, "re-pack, nothing edited"],
    ["ratio, both counting tokens, ours warm", r.PK_wall_ratio_counted_warm, ""],
    ["files packed: ours / repomix", `${r.PK_files_ours} / ${r.PK_files_repomix}`, ""],
    ["prompt tokens (Llama-2)", r.PK_prompt_tokens, ""],
    ["framing overhead", r.PK_framing_overhead, "goal < 0.08"],
  ];
  process.stdout.write("| metric | value | note |\n| --- | ---: | --- |\n");
  for (const [k, v, note] of rows) process.stdout.write(`| ${k} | ${v} | ${note} |\n`);
  process.stdout.write(`\nIncluded-file differences:\n${explanations.length ? explanations.join("\n") : "none"}\n`);
}

void main().catch((error) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exitCode = 1;
});
