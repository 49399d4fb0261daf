/** Where the shared test models are (CI clones the repo next to shared/), and a two-at-a-time runner for probes. */
import * as path from "node:path";

export const repoRoot = path.resolve(__dirname, "../../..");
export const sharedModels = {
  stories: path.resolve(repoRoot, "../shared/models/stories260K.gguf"),
  tinyRandom: path.resolve(repoRoot, "../shared/models/llama-2-tiny-random.gguf"),
};

/** Runs child probes two at a time (one llama.cpp thread each): more would oversubscribe two cores. */
export async function inPairs<T>(jobs: (() => Promise<T>)[]): Promise<T[]> {
  const results: T[] = [];
  for (let i = 0; i < jobs.length; i += 2) results.push(...(await Promise.all(jobs.slice(i, i + 2).map((job) => job()))));
  return results;
}
