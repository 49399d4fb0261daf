/**
 * The paper's table on a real instruct model (default SmolLM2-135M-Instruct): its usable window unscaled (passkey and
 * perplexity by position up to the window), then none / PI / NTK / NTK + attention factor / YaRN / LongRoPE at each
 * extension length, every baseline sized for that length (s = length ÷ window). LongRoPE's factors are searched
 * progressively over the extension lengths on one set of documents (--search-docs) and evaluated on another
 * (--eval-docs); passkey prompts are the paper's, identical for every method (paired).
 *
 *   node --import tsx scripts/longrope-table.ts --work DIR [--native 1024,2048,4096,8192] [--lengths 16384]
 *     [--trials 2] [--ext-trials 1] [--search-budget 3600] [--threads 2] [--gpu cpu|auto] [--report-only] …
 *
 * Every cell is kept in DIR/cells.json as soon as it is measured (a killed run loses at most one cell; rerunning
 * skips what is there) and the search keeps its stages in DIR/search. Writes --out (results JSON) and --plot (PNG).
 * Cells run in priority order: the window unscaled, the search, perplexity at the extension lengths (one long forward
 * per method gives every bucket), n̂, then passkey at the extension lengths (the most informative methods first).
 */
import { mkdir, readFile, writeFile } from "node:fs/promises";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { findTestModel } from "../src/engine/testModels";
import { loadDocuments, type DocumentSpec } from "../src/longrope/documents";
import { readModelRopeInfo } from "../src/longrope/modelShape";
import { passkeyDepths } from "../src/longrope/passkey";
import { methodVariant, type EvalMethod } from "../src/longrope/perplexity";
import { PplWorker } from "../src/longrope/pplWorker";
import type { SearchedFactors } from "../src/longrope/search/longropeSearch";
import { progressiveSearch } from "../src/longrope/search/progressive";
import { passkeyTableCell, pplCell, type TableCell } from "../src/longrope/tableCells";
import { markdownTables } from "../src/longrope/tableReport";
import { writeTextAtomically } from "../src/util/atomicFile";
import { renderPlot } from "./longrope-plot";

const repoRoot = path.resolve(__dirname, "..");
const nm = (p: string) => path.join(repoRoot, "node_modules", p);
const list = (v: string | undefined, fallback: string) => (v ?? fallback).split(",").map((x) => x.trim()).filter(Boolean);
const numbers = (v: string | undefined, fallback: string) => list(v, fallback).map(Number);
const docs = (v: string | undefined, fallback: string): DocumentSpec[] =>
  list(v, fallback).map((d) => { const [file, offset] = d.split("@"); return { file: path.isAbsolute(file!) ? file! : nm(file!), offset: Number(offset ?? 0) }; });

async function main(): Promise<void> {
  const { values: v } = parseArgs({
    options: {
      work: { type: "string" }, model: { type: "string" }, window: { type: "string" }, native: { type: "string" },
      lengths: { type: "string" }, methods: { type: "string" }, trials: { type: "string" }, "ext-trials": { type: "string" },
      "eval-docs": { type: "string" }, "search-docs": { type: "string" }, "search-budget": { type: "string" },
      population: { type: "string" }, "score-every": { type: "string" }, "search-score-every": { type: "string" },
      "n-hat": { type: "string" }, threads: { type: "string" }, gpu: { type: "string" }, seed: { type: "string" },
      out: { type: "string" }, plot: { type: "string" }, "report-only": { type: "boolean" }, "skip-passkey": { type: "boolean" },
      "no-flash-attention": { type: "boolean" },
    },
  });
  const work = path.resolve(v.work ?? "/tmp/longrope-table");
  const modelPath = path.resolve(v.model ?? findTestModel("smollm2", __dirname) ?? "SmolLM2-135M-Instruct.Q4_1.gguf (run scripts/fetch-models.ts)");
  const info = await readModelRopeInfo(modelPath);
  const window = Number(v.window ?? info.contextLength);
  const native = numbers(v.native, "1024,2048,4096,8192").filter((l) => l <= window);
  const lengths = numbers(v.lengths, "16384");
  const methods = list(v.methods, "none,pi,ntk,ntk+attn,yarn,longrope") as EvalMethod[];
  const threads = Number(v.threads ?? 2);
  const seed = Number(v.seed ?? 1);
  const settings = {
    model: path.basename(modelPath), window, native, lengths, methods, threads, seed, gpu: v.gpu ?? "cpu",
    trialsPerDepth: Number(v.trials ?? 2), extTrialsPerDepth: Number(v["ext-trials"] ?? 1), depths: passkeyDepths,
    evalDocs: docs(v["eval-docs"], "typescript/lib/typescript.js@0,typescript/lib/typescript.js@4000000"),
    searchDocs: docs(v["search-docs"], "playwright-core/lib/coreBundle.js@0"),
    searchBudgetSeconds: Number(v["search-budget"] ?? 3600), population: Number(v.population ?? 8),
    scoreEvery: Number(v["score-every"] ?? 8), searchScoreEvery: Number(v["search-score-every"] ?? 16), bucketTokens: 1024,
    nHat: numbers(v["n-hat"], "16,64"),
    flashAttention: !v["no-flash-attention"],
  };
  await mkdir(work, { recursive: true });
  const cellsFile = path.join(work, "cells.json");
  const cells = JSON.parse(await readFile(cellsFile, "utf8").catch(() => "[]")) as TableCell[];
  const has = (kind: string, method: string, length: number) => cells.some((c) => c.kind === kind && c.method === method && c.length === length);
  const log = (m: string) => process.stderr.write(`[${new Date().toISOString().slice(11, 19)}] ${m}\n`);
  const keep = async (cell: TableCell) => {
    cells.push(cell);
    await writeTextAtomically(cellsFile, JSON.stringify(cells, null, 1));
    log(`${cell.kind} ${cell.method} @ ${cell.length}: ${cell.kind === "ppl" ? `ppl ${cell.ppl.toFixed(3)}` : `passkey ${cell.accuracy * 100}%, key first ${cell.rankedFirst * 100}%`} (${cell.seconds.toFixed(0)} s, CPU ${cell.cpuSeconds ?? "?"} s)`);
  };
  let searches: Record<string, SearchedFactors> = {};
  const worker = new PplWorker({ gpu: v.gpu === "auto" ? "auto" : "cpu" });
  const abort = new AbortController();
  process.once("SIGINT", () => abort.abort());
  const o = { threads, signal: abort.signal, flashAttention: settings.flashAttention };
  try {
    if (!v["report-only"]) {
      log(`plan: ${describePlan(settings)}`);
      const maxLength = Math.max(window, ...lengths);
      const evalDocs = await loadDocuments(worker, modelPath, settings.evalDocs, maxLength, abort.signal);
      // 1. The window unscaled: one forward at the window gives every shorter length's perplexity by bucket; then
      //    passkey at each native length.
      if (!has("ppl", "none", window)) {
        await keep(await pplCell(worker, modelPath, { label: "none" }, evalDocs, { method: "none", length: window, scale: 1, scoreEvery: settings.scoreEvery, bucketTokens: 1024 }, o));
      }
      for (const length of v["skip-passkey"] ? [] : native) {
        if (has("passkey", "none", length)) continue;
        await keep(await passkeyTableCell(worker, modelPath, { label: "none" }, { length, seed, trialsPerDepth: settings.trialsPerDepth }, { method: "none", scale: 1 }, o));
      }
      // 2. LongRoPE's factors, progressively over the extension lengths (stage k starts from stage k−1 rescaled).
      if (methods.includes("longrope") && lengths.length > 0) {
        const searchDocs = await loadDocuments(worker, modelPath, settings.searchDocs, Math.max(...lengths), abort.signal);
        const result = await progressiveSearch({
          worker, modelPath, stages: lengths, originalContext: window, nHat: 0, samples: searchDocs.map((d) => d.tokens), seed, threads,
          samplesLabel: searchDocs.map((d) => d.label).join("; "), workDir: path.join(work, "search"), signal: abort.signal,
          budgetSeconds: settings.searchBudgetSeconds, scoreEvery: settings.searchScoreEvery, flashAttention: settings.flashAttention,
          sizes: { populationSize: settings.population, parents: settings.population / 2, mutations: settings.population / 4, crossovers: settings.population / 4, iterations: 40 },
          onStage: log,
          onProgress: (p) => log(`search it ${p.iteration}: ${p.evaluations} evaluated, best ${p.best?.fitness.toFixed(4)}`),
        });
        searches = Object.fromEntries(result.stages.map((s) => [String(s.targetLength), s]));
      }
      // 3. Perplexity of every method at every extension length.
      for (const length of lengths) {
        for (const method of methods) {
          if (has("ppl", method, length) || (method === "longrope" && !searches[length])) continue;
          await keep(await pplCell(worker, modelPath, variant(method, length, searches), evalDocs, { method, length, scale: length / window, scoreEvery: settings.scoreEvery, bucketTokens: 1024 }, o));
        }
      }
      // 4. n̂ at the first extension length (the KV-state method: first n̂ tokens by the un-scaled model).
      const first = searches[lengths[0]!];
      for (const nHat of first ? settings.nHat : []) {
        const method = `longrope n̂=${nHat}`;
        if (has("ppl", method, lengths[0]!)) continue;
        const variantN = methodVariant("longrope", lengths[0]! / window, info, window, { ...first!, nHat });
        await keep(await pplCell(worker, modelPath, variantN, evalDocs, { method, length: lengths[0]!, scale: lengths[0]! / window, scoreEvery: settings.scoreEvery, bucketTokens: 1024 }, o));
      }
      // 5. Passkey at each extension length: LongRoPE first, then the baselines from the lowest perplexity up, the
      //    plain model last, so that a run stopped early has the most informative cells.
      for (const length of v["skip-passkey"] ? [] : lengths) {
        const pplOf = (m: string) => (cells.find((c) => c.kind === "ppl" && c.method === m && c.length === length) as { ppl?: number } | undefined)?.ppl ?? Infinity;
        const order = [...methods].sort((a, b) => rank(a) - rank(b) || pplOf(a) - pplOf(b));
        for (const method of order) {
          if (has("passkey", method, length) || (method === "longrope" && !searches[length])) continue;
          const plan = { length, seed, trialsPerDepth: settings.extTrialsPerDepth };
          await keep(await passkeyTableCell(worker, modelPath, variant(method, length, searches), plan, { method, scale: length / window }, o));
        }
      }
    } else {
      searches = await readSearches(path.join(work, "search"), lengths);
    }
  } finally {
    await worker.dispose();
  }
  if (Object.keys(searches).length === 0) searches = await readSearches(path.join(work, "search"), lengths);
  const results = { kind: "longrope-qa.table", settings, cells, searches, createdAt: new Date().toISOString() };
  const out = path.resolve(v.out ?? path.join(repoRoot, "docs/longrope-smollm2.json"));
  await writeFile(out, JSON.stringify(results, null, 1) + "\n");
  const report = markdownTables(results);
  process.stdout.write(report.markdown + "\n");
  if (report.plot.lengths.length > 1) await renderPlot({ ...report.plot, title: `${settings.model}, no fine-tuning: perplexity by position (window ${window})`, xLabel: "position (tokens, log scale), 1k buckets" },
    path.resolve(v.plot ?? out.replace(/\.json$/, ".png")));

  function variant(method: EvalMethod, length: number, found: Record<string, SearchedFactors>) {
    return methodVariant(method, Math.max(1, length / window), info, window, found[length]);
  }
}

function rank(method: string): number {
  return method === "longrope" ? 0 : method === "none" ? 2 : 1;
}

async function readSearches(dir: string, lengths: readonly number[]): Promise<Record<string, SearchedFactors>> {
  const out: Record<string, SearchedFactors> = {};
  for (const l of lengths) {
    const text = await readFile(path.join(dir, `factors-${l}.json`), "utf8").catch(() => undefined);
    if (text) out[l] = JSON.parse(text) as SearchedFactors;
  }
  return out;
}

/** Tokens each phase feeds the model, and an estimate of its CPU time from this machine's cost per token. */
function describePlan(s: { window: number; native: number[]; lengths: number[]; methods: string[]; trialsPerDepth: number; extTrialsPerDepth: number; evalDocs: unknown[] }): string {
  // Measured here (SmolLM2-135M Q4_1, one thread): 11 ms per token plus 3 ms per 1,000 tokens of preceding context.
  const forward = (l: number) => (0.011 * l + (0.003 * l * l) / 2000);
  const ppl = s.evalDocs.length * (forward(s.window) + s.lengths.reduce((a, l) => a + s.methods.length * forward(l), 0));
  const passkey = 5 * (s.native.reduce((a, l) => a + s.trialsPerDepth * forward(l), 0) + s.lengths.reduce((a, l) => a + s.methods.length * s.extTrialsPerDepth * forward(l), 0));
  return `perplexity ≈ ${Math.round(ppl)} s, passkey ≈ ${Math.round(passkey)} s of one core (search: its budget)`;
}

main().catch((e) => {
  process.stderr.write(`${e instanceof Error ? e.stack : String(e)}\n`);
  process.exit(1);
});
