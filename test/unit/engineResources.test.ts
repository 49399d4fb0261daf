// Resources: the KV memory estimate (bytes per token × tokens) and the "what fits" suggestion; KV-cache types and a
// forced GPU backend with a real worker; the saved-state store's size cap and its cleanup of temporary files.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { EngineHost } from "../../src/engine/engineHost";
import { kvBytesPerToken, planFit, type AttentionShape } from "../../src/engine/memoryPlan";
import { estimateMemory } from "../../src/engine/memoryEstimate";
import { StateStore } from "../../src/engine/worker/stateStore";

const root = path.resolve(__dirname, "../..");
const workerPath = path.join(root, "dist/engineWorker.mjs");
const stories = path.resolve(root, "../shared/models/stories260K.gguf");
const temp = mkdtempSync(path.join(os.tmpdir(), "engine-resources-"));
const repoContext = "Once upon a time there was a little girl named Lily. She liked to play in the park with her dog.";
let host: EngineHost;

/** Phi-4-mini: 32 layers, 8 KV heads of dimension 128. */
const phi4mini: AttentionShape = { layers: 32, headCountKv: 8, keyLength: 128, valueLength: 128 };

before(() => {
  execFileSync(process.execPath, ["esbuild.mjs", "--only=engineWorker"], { cwd: root, stdio: "ignore" });
  host = new EngineHost(workerPath, () => undefined);
});

after(async () => {
  await host.dispose();
  rmSync(temp, { recursive: true, force: true });
});

test("KV bytes per token follow the attention shape and cache type", () => {
  assert.equal(kvBytesPerToken(phi4mini, "f16"), 131072, "128 KiB per token in f16");
  assert.equal(kvBytesPerToken(phi4mini, "q8_0"), 69632);
  assert.equal(kvBytesPerToken(phi4mini, "q4_0"), 36864);
});

test("when a context does not fit, the plan names what does", () => {
  const gib = 1024 ** 3;
  const fits = planFit({ shape: phi4mini, type: "f16", contextTokens: 32768, availableBytes: 8 * gib });
  assert.deepEqual(fits, { fits: true, neededBytes: 4 * gib, suggestion: "" });
  const tooBig = planFit({ shape: phi4mini, type: "f16", contextTokens: 131072, availableBytes: 12 * gib });
  assert.equal(tooBig.fits, false);
  assert.equal(tooBig.neededBytes, 16 * gib);
  assert.equal(tooBig.suggestion, "q8_0 KV cache or a 96k context");
  const onlyQ4 = planFit({ shape: phi4mini, type: "f16", contextTokens: 131072, availableBytes: 5 * gib });
  assert.equal(onlyQ4.suggestion, "q4_0 KV cache or a 40k context");
});

test("the estimate before loading reads the GGUF header: bytes per token × tokens, and what fits", async () => {
  const estimate = await estimateMemory(stories, 2048, "f16", 64 * 1024 ** 2);
  assert.equal(estimate.kvBytesPerToken, 640);
  assert.equal(estimate.kvBytes, 640 * 2048);
  assert.ok(estimate.fits);
  const tight = await estimateMemory(stories, 2048, "f16", estimate.modelBytes + 640 * 1024);
  assert.equal(tight.fits, false);
  assert.equal(tight.suggestion, "a 1k context", "no quantized cache: its head dimension 8 does not fit a block of 32");
});

test("the loaded model reports its KV bytes per token; a cache type the model cannot use is one sentence", async () => {
  const f16 = await host.request({ type: "loadModel", settings: { modelPath: stories, threads: 1 } });
  // stories260K: 5 layers × 4 KV heads × (8 + 8) dimensions × 2 bytes.
  assert.equal(f16.kvBytesPerToken, 640);
  const answer = await host.request({ type: "ask", repoContext, question: "Who is Lily?", maxTokens: 12 });
  assert.equal(answer.generatedTokens, 12);
  const q8 = await host.request({ type: "loadModel", settings: { modelPath: stories, threads: 1, kvCacheType: "q8_0", flashAttention: true } });
  assert.equal(q8.kvBytesPerToken, 340, "K and V in q8_0 (34 bytes per 32 values)");
  await assert.rejects(
    host.request({ type: "ask", repoContext, question: "Who is Lily?", maxTokens: 12 }),
    { code: "bad-input", message: "llama cannot use a q8_0 KV cache (its attention head dimension 8 is not a multiple of the q8_0 block size 32); set longropeQa.kvCacheType to f16." },
  );
});

test("a forced GPU backend that this machine lacks is one sentence naming the setting, or it really runs there", async () => {
  try {
    const info = await host.request({ type: "loadModel", settings: { modelPath: stories, threads: 1, gpu: "cuda" } });
    assert.equal(info.gpu, "cuda");
  } catch (error) {
    assert.match(String((error as Error).message), /^The GPU backend "cuda" cannot start on this machine \(.*\); set longropeQa\.gpu to "auto" or "cpu"\.$/);
  }
});

test("the state store keeps under its cap by evicting the least recently used, and removes temporary files", async () => {
  const dir = path.join(temp, "states");
  await fs.mkdir(dir, { recursive: true });
  writeFileSync(path.join(dir, `${"f".repeat(64)}.kv.tmp-left-by-a-kill`), "partial");
  const store = await StateStore.open(dir, 2500, Buffer.alloc(32, 1));
  assert.deepEqual(readdirSync(dir), [], "temporary files from an interrupted save are gone");
  const key = (c: string) => c.repeat(64);
  const family = "family";
  const write = (bytes: number) => async (temp: string) => fs.writeFile(temp, Buffer.alloc(bytes, 7));
  await store.save(key("a"), family, Uint32Array.of(1, 2, 3, 4), write(1000));
  await store.save(key("b"), family, Uint32Array.of(1, 2, 3, 9), write(1000));
  await store.save(key("e"), "other model", Uint32Array.of(1, 2, 3, 4, 5), write(10));
  const best = await store.findBest(family, Uint32Array.of(1, 2, 3, 4, 5), 2);
  assert.equal(best?.file, store.kvPath(key("a")), "the longest shared prefix of the same family wins");
  assert.equal(best.common, 4);
  assert.equal(await store.findBest(family, Uint32Array.of(7, 8), 1), undefined);
  await store.save(key("c"), family, Uint32Array.of(5), write(1000));
  assert.deepEqual((await store.list()).map((m) => m.key).sort(), [key("a"), key("c"), key("e")], "b was the least recently used");
  await assert.rejects(store.save(key("d"), family, Uint32Array.of(1), async () => { throw new Error("killed"); }), /killed/);
  assert.equal(existsSync(store.kvPath(key("d"))), false);
  assert.deepEqual(readdirSync(dir).filter((n) => n.includes(".tmp-") || n.endsWith(".partial")), []);
});
