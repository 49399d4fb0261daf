/**
 * Progressive extension (LongRoPE §3.3): search at s₁, then at s₂ > s₁ starting from s₁'s best rescaled to s₂ by the
 * paper's rule (plus the usual PI/NTK/YaRN vectors), and so on; each stage keeps its checkpoint and its result file in
 * `workDir`, so a rerun resumes a stage or skips a finished one. For models with long/short factor sets (phi3), an
 * optional last stage readjusts the short factors at the original window, under the final attention factor, so that
 * short prompts keep their quality in the extended copy.
 */
import { mkdir, readFile, writeFile } from "node:fs/promises";
import * as path from "node:path";
import { elementAt } from "../../util/elementAt";
import { attentionScale, rescaleFactors } from "../factors";
import { readModelRopeInfo } from "../modelShape";
import { searchLongropeFactors, type LongropeSearchOptions, type SearchedFactors } from "./longropeSearch";

export interface ProgressiveSearchOptions extends Omit<LongropeSearchOptions, "targetLength" | "extraInitial" | "checkpointPath" | "slot" | "attnFactor"> {
  /** Increasing target lengths; the last is the target. */
  readonly stages: readonly number[];
  /** Checkpoints (`checkpoint-<length>.json`) and results (`factors-<length>.json`) of every stage. */
  readonly workDir: string;
  /** Readjust the short factors at the original window after the last stage (models with long/short sets only). */
  readonly readjustShort?: boolean;
  /** Per stage (the short readjustment included). */
  readonly budgetSeconds?: number;
  readonly onStage?: (message: string) => void;
}

export interface ProgressiveResult {
  readonly stages: readonly SearchedFactors[];
  readonly short?: SearchedFactors;
}

export async function progressiveSearch(o: ProgressiveSearchOptions): Promise<ProgressiveResult> {
  if (o.stages.length === 0 || o.stages.some((t, i) => i > 0 && t <= elementAt(o.stages, i - 1))) {
    throw new RangeError(`progressive stages must increase, got ${o.stages.join(", ")}`);
  }
  await mkdir(o.workDir, { recursive: true });
  const info = await readModelRopeInfo(o.modelPath);
  const originalContext = o.originalContext ?? info.originalContext;
  const stages: SearchedFactors[] = [];
  for (const target of o.stages) {
    const previous = stages.at(-1);
    const extraInitial = previous
      ? [{ factors: rescaleFactors(previous.factors, previous.scale, target / originalContext), nHat: previous.nHat ?? 0 }]
      : [];
    const searched = await stage(o, `factors-${target}.json`, `search ${target} (×${+(target / originalContext).toFixed(2)})`, () => searchLongropeFactors({
      ...o, originalContext, targetLength: target, extraInitial, checkpointPath: path.join(o.workDir, `checkpoint-${target}.json`),
    }));
    stages.push(searched);
    if (searched.search.stoppedBy === "cancelled") return { stages };
  }
  if (!o.readjustShort) return { stages };
  if (!info.shortFactors && info.architecture !== "phi3") {
    throw new RangeError(`${path.basename(o.modelPath)} has no short factor set to readjust (llama applies rope_freqs at every length)`);
  }
  // o.stages is not empty (checked above) and every stage was pushed.
  const last = elementAt(stages, stages.length - 1);
  const short = await stage(o, `factors-short-${originalContext}.json`, `short factors at ${originalContext}`, () => searchLongropeFactors({
    ...o, originalContext, targetLength: originalContext, slot: "short", nHat: 0,
    attnFactor: attentionScale(last.scale, originalContext),
    checkpointPath: path.join(o.workDir, `checkpoint-short-${originalContext}.json`),
  }));
  return { stages, short };
}

async function stage(o: ProgressiveSearchOptions, file: string, label: string, run: () => Promise<SearchedFactors>): Promise<SearchedFactors> {
  const out = path.join(o.workDir, file);
  const done = await readFile(out, "utf8").then((t) => JSON.parse(t) as SearchedFactors, () => undefined);
  if (done && done.search.stoppedBy !== "cancelled") {
    o.onStage?.(`${label}: done before (ppl ${done.ppl.toFixed(4)})`);
    return done;
  }
  o.onStage?.(`${label}: searching`);
  const result = await run();
  if (result.search.stoppedBy !== "cancelled") await writeFile(out, JSON.stringify(result, null, 2) + "\n");
  return result;
}
