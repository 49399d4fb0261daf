/** Where the test models are (../shared/models, else the cache folder scripts/fetch-models.ts fills), and a helper that runs child probes two at a time. */
import * as path from "node:path";
import { findTestModel, testModelCandidates, type TestModelName } from "../../src/engine/testModels";

export const repoRoot = path.resolve(__dirname, "../..");

/** A test model's path: the first folder that has it, else where fetch-models would put it (the test then fails naming it). */
function modelPath(name: TestModelName): string {
  return findTestModel(name, __dirname) ?? testModelCandidates(name, __dirname).at(-1)!;
}

export const sharedModels = {
  stories: modelPath("stories260K"),
  tinyRandom: modelPath("llama-2-tiny-random"),
  smollm2: modelPath("smollm2"),
};

/**
 * Runs child probes two at a time (one llama.cpp thread each): more would oversubscribe two cores. The result is a
 * tuple as long as `jobs`, so `const [a, b] = await inPairs([...])` needs no check for a missing element.
 */
export async function inPairs<const Jobs extends readonly (() => Promise<unknown>)[]>(jobs: Jobs): Promise<{ -readonly [K in keyof Jobs]: Awaited<ReturnType<Jobs[K]>> }> {
  const results: unknown[] = [];
  for (let i = 0; i < jobs.length; i += 2) results.push(...(await Promise.all(jobs.slice(i, i + 2).map((job) => job()))));
  // One result per job, in order: the mapped tuple type says exactly what the loop built.
  return results as { -readonly [K in keyof Jobs]: Awaited<ReturnType<Jobs[K]>> };
}
