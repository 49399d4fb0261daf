/**
 * The paper's table in miniature: stories260K (trained on ≤ 512-token stories) extended from L_orig = 512 without
 * fine-tuning, perplexity vs length for none / PI / NTK / YaRN / LongRoPE (without and with n̂).
 *
 *   node --import tsx scripts/reproduce-longrope.ts [--work DIR] [--seed 7] [--threads 1] [--population 16]
 *     [--budgets 1024:90,2048:150,4096:480,8192:600] [--eval-samples 3] [--report-only]
 *   node --import tsx scripts/reproduce-longrope.ts --bar [--bar-budget 90]
 *
 * `--bar` is the fast check: at 4,096 (8×) only, a fresh search within the budget, then LongRoPE must be at most PI,
 * NTK and YaRN on the evaluation stories (exit code 1 otherwise). Its stories are cached under
 * ~/.cache/longrope-qa/corpus, so only the first run on a machine generates them (the bar took ~17 minutes when
 * every run generated its stories).
 *
 * Everything measured is kept in DIR (default: $TMPDIR/longrope-repro): searches resume from their checkpoints and
 * finished rows are not measured again. Writes docs/longrope-results.json and docs/longrope-ppl.png (through
 * scripts/longrope-plot.ts) and prints the markdown table.
 */
import { mkdir, readFile, writeFile } from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { defaultCacheDir } from "../src/longrope/commandSupport";
import { generatedSamples } from "../src/longrope/corpus";
import { readModelRopeInfo } from "../src/longrope/modelShape";
import { measurePerplexity, methodVariant, type EvalMethod } from "../src/longrope/perplexity";
import { PplWorker } from "../src/longrope/pplWorker";
import { candidateKey, nHatChoices } from "../src/longrope/search/candidate";
import type { CheckpointFile } from "../src/longrope/search/checkpoint";
import { searchLongropeFactors, type SearchedFactors } from "../src/longrope/search/longropeSearch";
import { renderPlot } from "./longrope-plot";
import { findTestModel } from "../src/engine/testModels";

const repoRoot = path.resolve(__dirname, "..");
const modelPath = findTestModel("stories260K", __dirname) ?? "stories260K.gguf (run scripts/fetch-models.ts)";
const originalContext = 512;
const lengths = [512, 1024, 2048, 4096, 8192];

export type Row = { method: string; length: number; ppl: number; perSample: number[]; seconds: number };

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      work: { type: "string" }, seed: { type: "string" }, threads: { type: "string" }, budgets: { type: "string" },
      "eval-samples": { type: "string" }, "report-only": { type: "boolean" }, "search-only": { type: "boolean" }, population: { type: "string" },
      bar: { type: "boolean" }, "bar-budget": { type: "string" },
    },
  });
  if (values.bar) return bar(Number(values.seed ?? 7), Number(values["bar-budget"] ?? 90));
  const work = path.resolve(values.work ?? path.join(os.tmpdir(), "longrope-repro"));
  const seed = Number(values.seed ?? 7);
  const threads = Number(values.threads ?? 1);
  const evalCount = Number(values["eval-samples"] ?? 3);
  // The paper's sizes (64; 16 + 16 from the top 32) need ~1,300 evaluations; a smaller population lets a budget of
  // minutes reach the evolution iterations at all. Same ratios: top half are parents, a quarter each mutated/crossed.
  const population = Number(values.population ?? 16);
  const sizes = { populationSize: population, parents: population / 2, mutations: population / 4, crossovers: population / 4, iterations: 40 };
  // "length:seconds" or "length:seconds/seconds" (the second for the search with n̂). A resumed search counts the time
  // already spent in its checkpoint.
  const budgets = new Map((values.budgets ?? "1024:90,2048:150,4096:480,8192:600").split(",").map((p) => {
    const [length, spec] = p.split(":");
    const [plain, withNHat] = spec!.split("/").map(Number);
    return [Number(length), { "0": plain!, auto: withNHat ?? plain! }] as const;
  }));
  await mkdir(work, { recursive: true });
  const rowsFile = path.join(work, "rows.json");
  const rows = JSON.parse(await readFile(rowsFile, "utf8").catch(() => "[]")) as Row[];
  const searched: Record<string, SearchedFactors> = {};
  const log = (m: string) => process.stderr.write(`[${new Date().toISOString().slice(11, 19)}] ${m}\n`);

  // Two workers: the evaluation rows are measured two at a time, one core each.
  const workers = [new PplWorker(), new PplWorker()];
  try {
    const info = await readModelRopeInfo(modelPath);
    const samples = await generatedSamples({
      worker: workers[0]!, modelPath, seed, sampleTokens: Math.max(...lengths), searchCount: 1, evalCount,
      cacheDir: path.join(work, "stories"), threads, onProgress: log,
    });
    for (const target of lengths.filter((l) => l > originalContext)) {
      // n̂ = 0 first; the search with n̂ then starts from PI/NTK/YaRN plus that search's best λ with every n̂ choice,
      // and reuses its fitnesses (same samples), so that a budget of minutes still tries each n̂ once.
      for (const [i, mode] of (["0", "auto"] as const).entries()) {
        const out = path.join(work, `factors-${target}-nhat-${mode}.json`);
        const done = await readFile(out, "utf8").then((t) => JSON.parse(t) as SearchedFactors, () => undefined);
        if (done || values["report-only"] || !budgets.has(target)) {
          if (done) searched[`${target}:${mode}`] = done;
          continue;
        }
        const first = searched[`${target}:0`];
        const sweep = mode === "auto" && first ? nHatChoices.filter((n) => n > 0).map((nHat) => ({ factors: first.factors, nHat })) : undefined;
        const knownFitness = mode === "auto" ? await knownFrom(path.join(work, `checkpoint-${target}-nhat-0.json`)) : undefined;
        log(`search ${target} n̂=${mode}: budget ${budgets.get(target)![mode]} s`);
        const result = await searchLongropeFactors({
          worker: workers[i]!, modelPath, targetLength: target, originalContext, nHat: mode === "auto" ? "auto" : 0,
          samples: samples.search, samplesLabel: `1 generated sample (seed ${seed})`, seed, threads,
          budgetSeconds: budgets.get(target)![mode], sizes, extraInitial: sweep, knownFitness, checkpointPath: path.join(work, `checkpoint-${target}-nhat-${mode}.json`),
          onProgress: (p) => log(`search ${target} n̂=${mode} it ${p.iteration}: ${p.evaluations} evals, best ${p.best?.fitness.toFixed(3)} [${p.best?.factors.join(", ")}] n̂=${p.best?.nHat}`),
        });
        await writeFile(out, JSON.stringify(result, null, 2));
        searched[`${target}:${mode}`] = result;
      }
    }
    if (values["search-only"]) return;
    const jobs: { method: string; length: number; run: (w: PplWorker) => Promise<Row> }[] = [];
    for (const length of lengths) {
      const scale = Math.max(1, length / originalContext);
      const evalSamples = samples.eval.map((s) => s.slice(0, length));
      const add = (method: string, variant: ReturnType<typeof methodVariant>) => {
        if (rows.some((r) => r.method === method && r.length === length)) return;
        jobs.push({ method, length, run: async (w) => {
          const r = await measurePerplexity(w, modelPath, variant, evalSamples, { threads });
          log(`${length} ${method}: ppl ${r.ppl.toFixed(4)} (${r.seconds.toFixed(0)} s)`);
          return { method, length, ppl: r.ppl, perSample: [...r.perSample], seconds: r.seconds };
        } });
      };
      for (const method of ["none", "pi", "ntk", "yarn"] as EvalMethod[]) add(method, methodVariant(method, scale, info, originalContext));
      for (const mode of ["0", "auto"]) {
        const f = searched[`${length}:${mode}`];
        if (f) add(mode === "0" ? "longrope" : "longrope+n̂", methodVariant("longrope", scale, info, originalContext, f));
      }
    }
    if (!values["report-only"]) {
      let next = 0;
      await Promise.all(workers.map(async (w) => {
        while (next < jobs.length) {
          const job = jobs[next++]!;
          rows.push(await job.run(w));
          await writeFile(rowsFile, JSON.stringify(rows, null, 1));
        }
      }));
    }
  } finally {
    await Promise.all(workers.map((w) => w.dispose()));
  }
  const results = { model: "stories260K.gguf", originalContext, seed, evalSamples: evalCount, searchSizes: sizes, lengths, rows, searches: searched };
  await writeFile(path.join(repoRoot, "docs/longrope-results.json"), JSON.stringify(results, null, 1) + "\n");
  await renderPlot(results, path.join(repoRoot, "docs/longrope-ppl.png"));
  process.stdout.write(markdownTable(rows) + "\n");
}

/** The miniature's claim at 8×, quickly: a fresh LongRoPE search must end at or below PI, NTK and YaRN. */
async function bar(seed: number, budgetSeconds: number): Promise<void> {
  const started = performance.now();
  const log = (m: string) => process.stderr.write(`[${((performance.now() - started) / 1000).toFixed(0)} s] ${m}\n`);
  const length = 4096;
  const worker = new PplWorker();
  try {
    const info = await readModelRopeInfo(modelPath);
    const samples = await generatedSamples({
      worker, modelPath, seed, sampleTokens: length, searchCount: 1, evalCount: 3, cacheDir: defaultCacheDir(), threads: 1, onProgress: log,
    });
    log("samples ready");
    const found = await searchLongropeFactors({
      worker, modelPath, targetLength: length, originalContext, nHat: 0, samples: samples.search, samplesLabel: `bar seed ${seed}`, seed,
      // Population 4 (the four starting vectors): a 90-second budget then reaches the evolution, not only the start.
      threads: 1, budgetSeconds, sizes: { populationSize: 4, parents: 2, mutations: 2, crossovers: 2, iterations: 40 },
    });
    log(`search: ${found.search.evaluations} evaluations, λ = [${found.factors.join(", ")}]`);
    const evalSamples = samples.eval.map((s) => s.slice(0, length));
    const ppl: Record<string, number> = {};
    for (const method of ["pi", "ntk", "yarn", "longrope"] as EvalMethod[]) {
      ppl[method] = (await measurePerplexity(worker, modelPath, methodVariant(method, length / originalContext, info, originalContext, found), evalSamples, { threads: 1 })).ppl;
      log(`${method}: ${ppl[method].toFixed(3)}`);
    }
    const holds = ["pi", "ntk", "yarn"].every((m) => ppl.longrope! <= ppl[m]!);
    process.stdout.write(`${holds ? "holds" : "FAILS"}: LongRoPE ${ppl.longrope!.toFixed(3)} vs PI ${ppl.pi!.toFixed(3)}, NTK ${ppl.ntk!.toFixed(3)}, YaRN ${ppl.yarn!.toFixed(3)} at ${length} in ${((performance.now() - started) / 1000).toFixed(0)} s\n`);
    if (!holds) process.exitCode = 1;
  } finally {
    await worker.dispose();
  }
}

async function knownFrom(checkpointFile: string): Promise<Map<string, number>> {
  const file = JSON.parse(await readFile(checkpointFile, "utf8").catch(() => '{"evaluations":[]}')) as CheckpointFile;
  return new Map(file.evaluations.map((e) => [candidateKey(e), e.fitness ?? Infinity]));
}

function markdownTable(rows: readonly Row[]): string {
  const methods = ["none", "pi", "ntk", "yarn", "longrope", "longrope+n̂"];
  const head = `| method | ${lengths.join(" | ")} |\n|---|${lengths.map(() => "---:").join("|")}|`;
  const body = methods.map((m) => `| ${m} | ${lengths.map((l) => rows.find((r) => r.method === m && r.length === l)?.ppl.toFixed(2) ?? "—").join(" | ")} |`);
  return [head, ...body].join("\n");
}

main().catch((e) => {
  process.stderr.write(`${e instanceof Error ? e.stack : String(e)}\n`);
  process.exit(1);
});
