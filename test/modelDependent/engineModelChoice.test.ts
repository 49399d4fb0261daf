// The engine runs a LongRoPE-extended copy of the configured model only when the packed repo exceeds the model's own
// window, and says which factors it runs; a repo that fits keeps the unstretched model.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { RepoQa } from "../../src/engine/repoQa";
import type { ContextMeter, EngineStatus, RepoQaConfig } from "../../src/engine/api";
import { extendModel, extendedModelPath } from "../../src/longrope/extend";

const root = path.resolve(__dirname, "../..");
const temp = mkdtempSync(path.join(os.tmpdir(), "engine-choice-"));
const model = path.join(temp, "models", "stories260K.gguf");
const extended = extendedModelPath(model, 8192);
let qa: RepoQa;

function workspace(name: string, files: number): RepoQaConfig {
  const dir = path.join(temp, name);
  mkdirSync(dir, { recursive: true });
  for (let i = 0; i < files; i++) {
    writeFileSync(path.join(dir, `story${i}.txt`), `Lily number ${i} went to the park and played with a red ball.\n`.repeat(8));
  }
  return { pack: { roots: [{ name, path: dir }] }, engine: { modelPath: model, threads: 1 } };
}

async function readyMeter(config: RepoQaConfig): Promise<ContextMeter> {
  let meter: ContextMeter | undefined;
  const onStatus = (s: EngineStatus) => void (s.state === "ready" && (meter = s.meter));
  await qa.ask(config, { question: "Who went to the park?", maxTokens: 8, history: [] }, { onStatus });
  assert.ok(meter, "a ready status with the context meter");
  return meter;
}

before(async () => {
  execFileSync(process.execPath, ["esbuild.mjs", "--only=engineWorker"], { cwd: root, stdio: "ignore" });
  mkdirSync(path.dirname(model));
  copyFileSync(path.resolve(root, "../shared/models/stories260K.gguf"), model);
  await extendModel({
    modelPath: model,
    outPath: extended,
    longFactors: [4, 4, 4, 4],
    targetContext: 8192,
    originalContext: 2048,
    method: "pi",
    source: "test factors",
  });
  qa = new RepoQa({ workerPath: path.join(root, "dist/engineWorker.mjs"), storageDir: path.join(temp, "storage"), log: () => undefined });
});

after(async () => {
  await qa.dispose();
  rmSync(temp, { recursive: true, force: true });
});

test("a repo within the model's window runs on the model itself", async () => {
  const meter = await readyMeter(workspace("small", 2));
  assert.equal(qa.lastModel?.modelPath, model);
  assert.ok(meter.contextSize <= 2048);
  assert.equal(meter.windowTokens, 2048, "the meter measures against the model's window, whatever was allocated");
  assert.equal(meter.ropeScaling, "none");
  assert.equal(meter.kvCacheBytes, 640 * meter.contextSize);
});

test("a repo beyond the window runs on the extended copy, and the meter names its factors", async () => {
  const meter = await readyMeter(workspace("large", 12));
  assert.equal(qa.lastModel?.modelPath, extended);
  assert.ok(meter.repoTokens > 2048, `repo of ${meter.repoTokens} tokens`);
  assert.ok(meter.contextSize > 2048 && meter.contextSize <= 8192);
  assert.match(meter.ropeScaling, /^PI ×4 factors, test factors$/);
});
