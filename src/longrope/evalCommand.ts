/**
 * `longrope eval`: perplexity per method and length on the evaluation samples. Each method extends the model by
 * s = length ÷ L_orig at each length (or by a fixed --scale); at s ≤ 1 every baseline is the plain model. `longrope`
 * uses --factors, or else searches factors for each length on the (disjoint) search samples within --search-budget.
 */
import { parseArgs } from "node:util";
import { RepoQaError } from "../util/errors";
import { defaultThreads, loadSamples, requireModel, sampleOptions, sampleUsage, wholeNumber, withWorker } from "./commandSupport";
import { readFactorsFile, type FactorsFile } from "./factorsFile";
import { readModelRopeInfo } from "./modelShape";
import { evalMethods, measurePerplexity, methodVariant, scoringStride, type EvalMethod, type LongropeFactors } from "./perplexity";
import { searchLongropeFactors } from "./search/longropeSearch";

export const evalUsage =
  `eval --model M --methods none,pi,ntk,ntk+attn,yarn,longrope --lengths 512,2048,4096 [--original-context L] [--scale S] [--factors F.json] [--n-hat auto|N] [--search-budget SECONDS (default 120)] [--samples N (default 3)] [--json] ${sampleUsage}`;

export interface EvalRow {
  readonly method: EvalMethod;
  readonly length: number;
  readonly ppl: number;
  readonly scale: number;
  readonly nHat?: number;
  readonly factors?: readonly number[];
  readonly seconds: number;
}

export async function runEvalCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      ...sampleOptions,
      methods: { type: "string" },
      lengths: { type: "string" },
      scale: { type: "string" },
      factors: { type: "string" },
      "n-hat": { type: "string" },
      "search-budget": { type: "string" },
      samples: { type: "string" },
    },
  });
  const modelPath = requireModel(values.model);
  const methods = (values.methods ?? evalMethods.join(",")).split(",").map((m) => m.trim()) as EvalMethod[];
  const unknown = methods.filter((m) => !evalMethods.includes(m));
  if (unknown.length > 0) throw new RepoQaError(`Unknown method(s) ${unknown.join(", ")}; --methods takes ${evalMethods.join(",")}.`, "bad-input");
  if (!values.lengths) throw new RepoQaError("--lengths must list token counts, e.g. 512,2048,4096.", "bad-input");
  const lengths = values.lengths.split(",").map((l) => wholeNumber(l.trim(), "--lengths"));
  const info = await readModelRopeInfo(modelPath);
  const originalContext = wholeNumber(values["original-context"], "--original-context", info.originalContext);
  const fixedScale = values.scale === undefined ? undefined : Number(values.scale);
  const file: FactorsFile | undefined = values.factors ? await readFactorsFile(values.factors) : undefined;
  const threads = wholeNumber(values.threads, "--threads", defaultThreads());
  const budget = Number(values["search-budget"] ?? 120);
  const nHat = values["n-hat"] === undefined ? 0 : values["n-hat"] === "auto" ? "auto" : wholeNumber(values["n-hat"], "--n-hat");
  const seed = wholeNumber(values.seed, "--seed", 1);
  const scoreEvery = await scoringStride(modelPath);
  const rows: EvalRow[] = [];
  const source = await withWorker(values.gpu, async (worker, signal) => {
    const samples = await loadSamples({
      worker, values, modelPath, sampleTokens: Math.max(...lengths), threads, signal,
      searchCount: methods.includes("longrope") && !file ? wholeNumber(values["search-samples"], "--search-samples", 1) : 0,
      evalCount: wholeNumber(values.samples, "--samples", 3),
    });
    for (const length of lengths) {
      const scale = fixedScale ?? Math.max(1, length / originalContext);
      const evalSamples = samples.eval.map((s) => s.slice(0, length));
      for (const method of methods) {
        let longrope: LongropeFactors | undefined;
        if (method === "longrope" && file) longrope = file;
        else if (method === "longrope" && scale > 1) {
          process.stderr.write(`searching LongRoPE factors for ${length} tokens (${budget} s)…\n`);
          longrope = await searchLongropeFactors({
            worker, modelPath, targetLength: length, originalContext, nHat, samples: samples.search, seed, threads, signal, scoreEvery,
            samplesLabel: `${samples.search.length} search sample(s)`, budgetSeconds: budget,
          });
        }
        const variant = methodVariant(longrope ? method : method === "longrope" ? "none" : method, scale, info, originalContext, longrope);
        const result = await measurePerplexity(worker, modelPath, variant, evalSamples, { threads, scoreEvery, signal });
        rows.push({ method, length, ppl: result.ppl, scale, nHat: longrope?.nHat, factors: longrope?.factors, seconds: result.seconds });
        process.stderr.write(`${String(length).padStart(6)}  ${variant.label.padEnd(24)} ppl ${result.ppl.toFixed(4)}  (${result.seconds.toFixed(1)} s)\n`);
      }
    }
    return samples.source;
  });
  if (values.json) {
    process.stdout.write(JSON.stringify({ results: rows, samples: source, scoredEvery: scoreEvery, originalContext }) + "\n");
  } else {
    process.stdout.write(formatTable(rows, lengths, methods));
  }
  return 0;
}

function formatTable(rows: readonly EvalRow[], lengths: readonly number[], methods: readonly EvalMethod[]): string {
  const header = ["method", ...lengths.map(String)];
  const lines = methods.map((m) => [m, ...lengths.map((l) => rows.find((r) => r.method === m && r.length === l)?.ppl.toFixed(3) ?? "")]);
  return [header, ...lines].map((cells) => cells.map((c, i) => (i === 0 ? c.padEnd(10) : c.padStart(10))).join("")).join("\n") + "\n";
}
