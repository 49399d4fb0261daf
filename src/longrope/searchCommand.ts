/**
 * `longrope search`: LongRoPE's evolutionary search for one target length, or progressively over --stages (each seeded
 * from the previous stage's best, rescaled), optionally readjusting a phi3 model's short factors; writes the factors JSON.
 */
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { RepoQaError } from "../util/errors";
import { defaultThreads, loadSamples, requireModel, sampleOptions, sampleUsage, wholeNumber, withWorker } from "./commandSupport";
import { readModelRopeInfo } from "./modelShape";
import { scoringStride } from "./perplexity";
import { nHatChoices } from "./search/candidate";
import { progressiveSearch } from "./search/progressive";
import { DEFAULT_SEARCH_SAMPLES } from "./search/longropeSearch";

export const searchUsage =
  `search --model M --target-length N --out F.json [--scale S] [--original-context L] [--stages N1,N2,… (progressive, ending at N)] [--readjust-short] [--n-hat auto|N (default 0)] [--budget SECONDS (per stage)] [--checkpoint DIR] [--population 64] [--iterations 40] [--search-samples N (default ${DEFAULT_SEARCH_SAMPLES})] ${sampleUsage}`;

export async function runSearchCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      ...sampleOptions,
      scale: { type: "string" },
      "target-length": { type: "string" },
      "n-hat": { type: "string" },
      budget: { type: "string" },
      checkpoint: { type: "string" },
      stages: { type: "string" },
      "readjust-short": { type: "boolean" },
      population: { type: "string" },
      iterations: { type: "string" },
      out: { type: "string" },
    },
  });
  const modelPath = requireModel(values.model);
  if (!values.out) throw new RepoQaError("--out must name the factors JSON file to write.", "bad-input");
  const info = await readModelRopeInfo(modelPath);
  const targetLength = wholeNumber(values["target-length"], "--target-length");
  const originalContext = values["original-context"] !== undefined
    ? wholeNumber(values["original-context"], "--original-context")
    : values.scale !== undefined ? Math.round(targetLength / Number(values.scale)) : info.originalContext;
  if (values.scale !== undefined && Math.abs(Number(values.scale) - targetLength / originalContext) > 1e-6) {
    throw new RepoQaError(`--scale ${values.scale} does not match --target-length ${targetLength} ÷ --original-context ${originalContext}; give two of the three.`, "bad-input");
  }
  const nHat = values["n-hat"] === undefined ? 0 : values["n-hat"] === "auto" ? "auto" : wholeNumber(values["n-hat"], "--n-hat");
  if (nHat !== "auto" && !nHatChoices.includes(nHat)) {
    throw new RepoQaError(`--n-hat must be "auto" or one of ${nHatChoices.join(", ")}.`, "bad-input");
  }
  const threads = wholeNumber(values.threads, "--threads", defaultThreads());
  const population = wholeNumber(values.population, "--population", 64);
  const sizes = {
    populationSize: population,
    parents: Math.max(2, Math.round(population / 2)),
    mutations: Math.max(1, Math.round(population / 4)),
    crossovers: Math.max(1, Math.round(population / 4)),
    iterations: wholeNumber(values.iterations, "--iterations", 40),
  };
  const searchCount = wholeNumber(values["search-samples"], "--search-samples", DEFAULT_SEARCH_SAMPLES);
  const stages = values.stages ? values.stages.split(",").map((t) => wholeNumber(t.trim(), "--stages")) : [targetLength];
  if (stages.at(-1) !== targetLength || stages.some((t, i) => t <= (stages[i - 1] ?? originalContext))) {
    throw new RepoQaError(`--stages must increase from above the original context (${originalContext}) and end at --target-length ${targetLength}.`, "bad-input");
  }
  const seed = wholeNumber(values.seed, "--seed", 1);
  // Without --checkpoint the stages live in a temporary folder, removed at the end.
  const workDir = path.resolve(values.checkpoint ?? await mkdtemp(path.join(os.tmpdir(), "longrope-search-")));
  await mkdir(workDir, { recursive: true });
  const result = await withWorker(values.gpu, async (worker, signal) => {
    const samples = await loadSamples({ worker, values, modelPath, sampleTokens: targetLength, searchCount, evalCount: 0, threads, signal });
    return progressiveSearch({
      worker, modelPath, stages, originalContext, nHat, samples: samples.search, seed, threads, signal, workDir,
      readjustShort: values["readjust-short"],
      samplesLabel: `${samples.search.length} sample(s) of ${samples.source}`,
      budgetSeconds: values.budget === undefined ? undefined : Number(values.budget),
      scoreEvery: await scoringStride(modelPath),
      sizes,
      onStage: (message) => process.stderr.write(`${message}\n`),
      onProgress: (p) => process.stderr.write(
        `iteration ${p.iteration}/${p.iterations}: ${p.evaluations} evaluated, best ppl ${p.best?.fitness.toFixed(4)} ` +
        `λ=[${p.best?.factors.map((f) => f.toFixed(3)).join(", ")}] n̂=${p.best?.nHat} (${(p.elapsedMs / 1000).toFixed(0)} s)\n`),
    });
  }).finally(() => (values.checkpoint === undefined ? rm(workDir, { recursive: true, force: true }) : undefined));
  const last = result.stages.at(-1);
  if (!last) throw new Error("the progressive search returned no stage although --stages has at least one");
  const factors = {
    ...last,
    ...(result.short ? { shortFactors: result.short.factors, shortPpl: result.short.ppl } : {}),
    stages: result.stages.map((s) => ({ targetLength: s.targetLength, ppl: s.ppl, factors: s.factors, evaluations: s.search.evaluations })),
  };
  await writeFile(values.out, JSON.stringify(factors, null, 2) + "\n");
  process.stderr.write(`best ppl ${factors.ppl.toFixed(4)} after ${factors.search.evaluations} evaluations (${factors.search.stoppedBy}); wrote ${values.out}${values.checkpoint ? `; stages kept in ${workDir}` : ""}\n`);
  if (values.json) process.stdout.write(JSON.stringify(factors) + "\n");
  return factors.search.stoppedBy === "cancelled" ? 130 : 0;
}
