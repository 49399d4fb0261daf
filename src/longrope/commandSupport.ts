/** What `longrope eval` and `longrope search` share: sample options, the worker's lifetime, Ctrl-C, number flags. */
import { existsSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { RepoQaError } from "../util/errors";
import { wholeNumber } from "../util/args";
import { findTestModel, isTestModelName } from "../engine/testModels";
import { generatedSamples, textSamples, type SampleSet } from "./corpus";
import { PplWorker } from "./pplWorker";

/** parseArgs options both commands accept. */
export const sampleOptions = {
  model: { type: "string" },
  "original-context": { type: "string" },
  seed: { type: "string" },
  threads: { type: "string" },
  gpu: { type: "string" },
  text: { type: "string" },
  "cache-dir": { type: "string" },
  "search-samples": { type: "string" },
  json: { type: "boolean" },
} as const;

export const sampleUsage = "[--seed N (default 1)] [--threads N] [--gpu cpu|auto] [--text FILE|DIR] [--search-samples N] [--cache-dir DIR]";

export { wholeNumber };

/** `--model`: a GGUF file, or the name of a test model (`smollm2`, `stories260K`, …) found where fetch-models puts it. */
export function requireModel(value: string | undefined): string {
  if (!value) throw new RepoQaError("--model must name a GGUF file.", "bad-input");
  if (isTestModelName(value) && !existsSync(value)) {
    const found = findTestModel(value);
    if (!found) throw new RepoQaError(`The test model ${value} is not on this machine; run "node --import tsx scripts/fetch-models.ts".`, "model-not-found");
    return found;
  }
  return path.resolve(value);
}

export function defaultThreads(): number {
  return Math.max(1, Math.min(4, os.availableParallelism()));
}

export function defaultCacheDir(): string {
  return path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), ".cache"), "longrope-qa", "corpus");
}

export interface SampleRequest {
  readonly worker: PplWorker;
  /** The parsed sampleOptions (the commands' own options ride along unread). */
  readonly values: { readonly text?: string; readonly seed?: string; readonly "cache-dir"?: string };
  readonly modelPath: string;
  readonly sampleTokens: number;
  readonly searchCount: number;
  readonly evalCount: number;
  readonly threads: number;
  readonly signal: AbortSignal;
}

export function loadSamples(r: SampleRequest): Promise<SampleSet> {
  const progress = (message: string) => process.stderr.write(`${message}\n`);
  if (r.values.text) {
    return textSamples({ ...r, textPath: path.resolve(r.values.text) });
  }
  return generatedSamples({
    ...r,
    seed: wholeNumber(r.values.seed, "--seed", 1),
    cacheDir: r.values["cache-dir"] ? path.resolve(r.values["cache-dir"]) : defaultCacheDir(),
    onProgress: progress,
  });
}

/** Runs `body` with a worker and a signal that Ctrl-C aborts; the worker is always stopped. */
export async function withWorker<T>(gpu: unknown, body: (worker: PplWorker, signal: AbortSignal) => Promise<T>): Promise<T> {
  if (gpu !== undefined && gpu !== "cpu" && gpu !== "auto") throw new RepoQaError(`--gpu must be "cpu" or "auto".`, "bad-input");
  const worker = new PplWorker({ gpu: gpu ?? "cpu", log: process.env.LONGROPE_QA_DEBUG ? (l) => process.stderr.write(`${l}\n`) : undefined });
  const abort = new AbortController();
  const onSigint = () => abort.abort();
  process.once("SIGINT", onSigint);
  try {
    return await body(worker, abort.signal);
  } finally {
    process.off("SIGINT", onSigint);
    await worker.dispose();
  }
}
