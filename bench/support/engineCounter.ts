/**
 * The packer's token counter as the product runs it: the engine worker process (dist/engineWorker.mjs, built here)
 * with a model loaded, asked over IPC — what `longrope-qa pack --model …` and the extension use.
 */
import { execFileSync } from "node:child_process";
import { statSync } from "node:fs";
import path from "node:path";
import { EngineHost } from "../../src/engine/engineHost";
import { findTestModel, isTestModelName } from "../../src/engine/testModels";
import type { TokenCounter } from "../../src/workspace/types";

const root = path.resolve(__dirname, "../..");

export interface EngineCounter {
  readonly counter: TokenCounter;
  readonly modelName: string;
  dispose(): Promise<void>;
}

export function buildEngineWorker(): void {
  execFileSync(process.execPath, ["esbuild.mjs", "--only=engineWorker"], { cwd: root, stdio: "ignore" });
}

/**
 * A test model's name (llama-2-tiny-random, smollm2, …) or a GGUF path, as an absolute path. Resolve before pointing
 * XDG_CACHE_HOME elsewhere: the cache folder is one of the places test models are found.
 */
export function resolveModel(model: string): string {
  const modelPath = isTestModelName(model) ? findTestModel(model, __dirname) : path.resolve(model);
  if (!modelPath) throw new Error(`Test model ${model} is not here: run node --import tsx scripts/fetch-models.ts`);
  return modelPath;
}

/** `model`: see resolveModel. */
export async function startEngineCounter(model: string): Promise<EngineCounter> {
  const modelPath = resolveModel(model);
  const host = new EngineHost(path.join(root, "dist/engineWorker.mjs"), () => undefined);
  await host.request({ type: "loadModel", settings: { modelPath, threads: 1, maxContextSize: 4096 } });
  const s = statSync(modelPath);
  return {
    counter: { cacheKey: `${modelPath}:${s.size}:${s.mtimeMs}`, countTokens: (texts, signal) => host.countTokens(texts, signal) },
    modelName: path.basename(modelPath),
    dispose: () => host.dispose(),
  };
}

/**
 * `engines` engine processes, each counting a share of every request (split by characters): tokenizing in parallel
 * on as many cores, to measure whether it pays on this machine.
 */
export async function startEnginePool(model: string, engines: number): Promise<EngineCounter> {
  const all = await Promise.all(Array.from({ length: engines }, () => startEngineCounter(model)));
  if (all.length === 1) return all[0]!;
  return {
    modelName: all[0]!.modelName,
    counter: {
      cacheKey: all[0]!.counter.cacheKey,
      async countTokens(texts, signal) {
        const shares = splitByChars(texts, all.length);
        const counted = await Promise.all(shares.map((share, k) => all[k]!.counter.countTokens(share.map((j) => texts[j]!), signal)));
        const out = new Array<number>(texts.length);
        shares.forEach((share, k) => share.forEach((j, m) => (out[j] = counted[k]![m]!)));
        return out;
      },
    },
    dispose: async () => void (await Promise.all(all.map((e) => e.dispose()))),
  };
}

function splitByChars(texts: readonly string[], parts: number): number[][] {
  const total = texts.reduce((n, t) => n + t.length, 0);
  const shares: number[][] = Array.from({ length: parts }, () => []);
  let acc = 0;
  texts.forEach((t, j) => {
    shares[Math.min(parts - 1, Math.floor((acc * parts) / Math.max(total, 1)))]!.push(j);
    acc += t.length;
  });
  return shares;
}
