// Hostile model files and settings, through the real service and a real worker with stories260K: header values that
// llama.cpp asserts on are refused in the host naming the file; a header with a huge array is stepped over; a crash
// while loading names the file instead of "ask again"; the crash that reaches the limit says no restart follows;
// threads: 100000 is clamped to the cores.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { EngineHost } from "../../src/engine/engineHost";
import { checkModelPath } from "../../src/engine/modelSource";
import { RepoQa } from "../../src/engine/repoQa";
import { gguf, patchGguf, readGgufHeader, type GgufValue } from "../../src/longrope/gguf/index";
import { RepoQaError } from "../../src/util/errors";
import { sharedModels } from "../support/models";

const root = path.resolve(__dirname, "../..");
const workerPath = path.join(root, "dist/engineWorker.mjs");
const temp = mkdtempSync(path.join(os.tmpdir(), "hostile-models-"));
const workspace = path.join(temp, "repo");
const cleanups: (() => Promise<void>)[] = [];

before(() => {
  execFileSync(process.execPath, ["esbuild.mjs", "--only=engineWorker"], { cwd: root, stdio: "ignore" });
  mkdirSync(workspace, { recursive: true });
  writeFileSync(path.join(workspace, "story.txt"), "Once upon a time there was a little girl named Lily.\n");
});

after(async () => {
  for (const cleanup of cleanups) await cleanup();
  rmSync(temp, { recursive: true, force: true });
});

function newService(log: (message: string) => void = () => undefined): RepoQa {
  const qa = new RepoQa({ workerPath, storageDir: path.join(temp, "storage"), log: (_level, message) => log(message), saveStates: () => false });
  cleanups.push(() => qa.dispose());
  return qa;
}

async function patched(name: string, metadata: Record<string, GgufValue>): Promise<string> {
  const file = path.join(temp, `${name}.gguf`);
  await patchGguf(sharedModels.stories, file, { metadata });
  return file;
}

/** Rewrites the type field of the first tensor info (after the metadata) in place. */
async function withTensorType(name: string, type: number): Promise<string> {
  const file = path.join(temp, `${name}.gguf`);
  const bytes = readFileSync(sharedModels.stories);
  const header = await readGgufHeader(sharedModels.stories);
  let at = header.entries.at(-1)!.end;
  at += 8 + Number(bytes.readBigUInt64LE(at)); // name
  const dims = bytes.readUInt32LE(at);
  at += 4 + 8 * dims;
  bytes.writeUInt32LE(type, at);
  writeFileSync(file, bytes);
  return file;
}

/** stories260K with one more metadata entry, a u8 array of about `items` items, inserted right after the preamble. */
function withHugeArray(name: string, items: number): string {
  const file = path.join(temp, `${name}.gguf`);
  const source = readFileSync(sharedModels.stories);
  const key = Buffer.from("test.huge_array");
  const fixed = 8 + key.length + 4 + 4 + 8;
  const count = items + ((32 - ((fixed + items) % 32)) % 32); // keeps the data section aligned
  const entry = Buffer.alloc(fixed + count);
  entry.writeBigUInt64LE(BigInt(key.length), 0);
  key.copy(entry, 8);
  entry.writeUInt32LE(9, 8 + key.length); // array
  entry.writeUInt32LE(0, 12 + key.length); // of u8
  entry.writeBigUInt64LE(BigInt(count), 16 + key.length);
  const preamble = Buffer.from(source.subarray(0, 24));
  preamble.writeBigUInt64LE(preamble.readBigUInt64LE(16) + 1n, 16);
  writeFileSync(file, Buffer.concat([preamble, entry, source.subarray(24)]));
  return file;
}

const config = (modelPath: string, threads = 1) => ({ pack: { roots: [{ name: "repo", path: workspace }] }, engine: { modelPath, threads } });

test("header values llama.cpp asserts on are refused before a worker starts, naming the file", async () => {
  const cases: [string, string, RegExp][] = [
    ["blocks", await patched("blocks", { "llama.block_count": gguf.u32(10000) }), /declares 10000 layers \(llama\.block_count\) but holds tensors for 5/],
    ["heads", await patched("heads", { "llama.attention.head_count": gguf.u32(0) }), /declares 0 attention heads/],
    ["context", await patched("context", { "llama.context_length": gguf.u32(0) }), /declares a context length of 0 \(llama\.context_length\)/],
    ["type", await withTensorType("type", 999), /has type 999, which no ggml version defines/],
  ];
  const qa = newService();
  for (const [name, file, why] of cases) {
    await assert.rejects(qa.ask(config(file), { question: "Who is Lily?", maxTokens: 4 }), (error: unknown) => {
      assert.ok(error instanceof RepoQaError, name);
      assert.equal(error.code, "model-invalid", name);
      assert.ok(error.message.startsWith(`${file} is not a usable model: `), error.message);
      assert.match(error.message, why);
      assert.doesNotMatch(error.message, /ask again/);
      return true;
    });
  }
  assert.equal(qa.enginePid, undefined, "no worker was started for any of them");
});

test("a header with a 64 MB array is stepped over in the host, not built", async () => {
  const file = withHugeArray("huge", 64 * 1024 * 1024);
  const before = process.memoryUsage();
  const started = performance.now();
  assert.equal(await checkModelPath(file), file, "the file is otherwise a fine model");
  const ms = performance.now() - started;
  const grown = process.memoryUsage().heapUsed - before.heapUsed;
  const header = await readGgufHeader(file, { maxArrayItems: 65_536 });
  assert.deepEqual(header.metadata.get("test.huge_array")?.value, []);
  assert.ok(grown < 64 * 1024 * 1024, `the JS heap grew by ${grown} bytes (${ms.toFixed(0)} ms)`);
});

test("a crash while a model loads names the file and does not say ask again", async () => {
  const host = new EngineHost(workerPath, () => undefined);
  cleanups.push(() => host.dispose());
  await assert.rejects(host.request({ type: "tokenize", texts: ["x"] }), /No model is loaded/);
  const loading = host.request({ type: "loadModel", settings: { modelPath: sharedModels.stories, threads: 1 } });
  process.kill(host.pid!, "SIGABRT"); // what a llama.cpp assertion does
  await assert.rejects(loading, (error: unknown) => {
    assert.ok(error instanceof RepoQaError);
    assert.equal(error.code, "model-invalid");
    assert.equal(error.message, `The engine process was killed by SIGABRT while loading ${sharedModels.stories}: llama.cpp rejected this model file. Set longropeQa.modelPath (or --model) to another GGUF file.`);
    return true;
  });
});

test("the crash that reaches the limit says no restart follows, not ask again", async () => {
  const host = new EngineHost(workerPath, () => undefined);
  cleanups.push(() => host.dispose());
  const messages: string[] = [];
  for (let i = 0; i < 5; i++) {
    await assert.rejects(host.request({ type: "tokenize", texts: ["x"] }), /No model is loaded/);
    const crashed = host.request({ type: "tokenize", texts: ["x"] }).catch((e: Error) => messages.push(e.message));
    process.kill(host.pid!, "SIGKILL");
    await crashed;
  }
  assert.match(messages[3]!, /ask again to restart it\.$/);
  assert.match(messages[4]!, /^The engine process was killed by SIGKILL, its 5th stop in 3 minutes, so it is not restarted; check the log/);
  assert.doesNotMatch(messages[4]!, /ask again/);
});

test("threads: 100000 is clamped to the machine's cores, and the answer comes", async () => {
  const logs: string[] = [];
  const qa = newService((m) => logs.push(m));
  const answer = await qa.ask(config(sharedModels.stories, 100_000), { question: "Who is Lily?", maxTokens: 4, history: [] });
  assert.equal(answer.generatedTokens, 4);
  const threads = Number(/, (\d+) threads\)/.exec(logs.find((l) => l.includes(" threads)")) ?? "")?.[1]);
  assert.ok(threads >= 1 && threads <= os.availableParallelism(), `${threads} threads`);
});
