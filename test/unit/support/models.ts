/** Where the shared test models are (CI clones the repo next to shared/), and small helpers about child processes. */
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

/** Whether a process with this pid still runs (signal 0 checks without sending anything). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
