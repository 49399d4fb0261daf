// The engine worker in a real child process with a real model: streaming, cancel, crash and restart, clear errors.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createServer } from "node:http";
import { readFileSync } from "node:fs";
import { mkdtempSync, rmSync, copyFileSync, openSync, ftruncateSync, closeSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { EngineHost } from "../../src/engine/engineHost";
import { packedRepo } from "../../src/engine/backend";
import { checkModelPath, resolveModelPath } from "../../src/engine/modelSource";
import { RepoQaError } from "../../src/util/errors";
import { gguf, patchGguf } from "../../src/longrope/gguf/index";

const root = path.resolve(__dirname, "../..");
const workerPath = path.join(root, "dist/engineWorker.mjs");
const stories = path.resolve(root, "../shared/models/stories260K.gguf");
const settings = { modelPath: stories, threads: 1 };
const repoContext = "Once upon a time there was a little girl named Lily. She liked to play in the park with her dog.";
const repo = packedRepo(repoContext);
const temp = mkdtempSync(path.join(os.tmpdir(), "engine-test-"));
const logs: string[] = [];
let host: EngineHost;

before(() => {
  execFileSync(process.execPath, ["esbuild.mjs", "--only=engineWorker"], { cwd: root, stdio: "ignore" });
  host = new EngineHost(workerPath, (level, message) => logs.push(`${level}: ${message}`));
});

after(async () => {
  await host.dispose();
  rmSync(temp, { recursive: true, force: true });
});

async function rejection(promise: Promise<unknown>): Promise<RepoQaError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof RepoQaError, `expected a RepoQaError, got ${String(error)}`);
    return error;
  }
  assert.fail("expected the request to fail");
}

test("the repo text travels once: later requests name it by hash, and an unknown hash is refused, not guessed", async () => {
  await host.request({ type: "loadModel", settings });
  const other = packedRepo(`${repoContext} Her dog was called Max.`);
  const unknown = await rejection(host.request({ type: "ask", repo: { hash: other.hash }, question: "Who is Max?", maxTokens: 4 }));
  assert.match(unknown.message, /lost the packed repository/);
  const first = await host.request({ type: "ask", repo: other, question: "Who is Max?", maxTokens: 4 });
  const byHash = await host.request({ type: "ask", repo: { hash: other.hash }, question: "Who is Max?", maxTokens: 4 });
  assert.equal(byHash.text, first.text, "the same repo, named by hash, gives the same greedy answer");
  assert.ok(byHash.reusedTokens >= byHash.promptTokens - 1, `and finds it in the KV cache (${byHash.reusedTokens} of ${byHash.promptTokens})`);
});

test("streams an answer token by token, with the spaces SentencePiece puts in front of words", async () => {
  const info = await host.request({ type: "loadModel", settings });
  assert.equal(info.trainContextSize, 2048);
  assert.ok(info.kvBytesPerToken > 0);
  const chunks: string[] = [];
  const result = await host.request(
    { type: "ask", repo, question: "What did Lily like?", maxTokens: 24 },
    { onToken: (text) => chunks.push(text) },
  );
  assert.ok(chunks.length >= 5, `expected several token frames, got ${chunks.length}`);
  assert.equal(chunks.join(""), result.text);
  assert.match(result.text, /\w \w/, "words are separated by spaces");
  assert.equal(result.generatedTokens, 24);
  assert.equal(result.cancelled, false);
  assert.ok(result.promptTokens > 20 && result.ttftMs > 0);
});

test("cancel stops generation within 0.5 s and is an answer, not an error", async () => {
  const controller = new AbortController();
  let abortedAt = 0;
  const result = await host.request(
    { type: "ask", repo, question: "Tell me a long story.", maxTokens: 1500 },
    {
      signal: controller.signal,
      onToken: () => {
        if (abortedAt === 0) setTimeout(() => ((abortedAt = performance.now()), controller.abort()), 50);
      },
    },
  );
  const stopMs = performance.now() - abortedAt;
  assert.equal(result.cancelled, true);
  assert.ok(result.generatedTokens < 1500);
  assert.ok(stopMs < 500, `stopped ${stopMs.toFixed(0)} ms after cancel`);
});

test("a killed worker is reported as worker-crashed, and the next request runs on a new worker", async () => {
  await host.request({ type: "loadModel", settings });
  const firstPid = host.pid!;
  const pending = host.request(
    { type: "ask", repo, question: "Tell me a long story.", maxTokens: 1500 },
    { onToken: () => process.kill(firstPid, "SIGKILL") },
  );
  const error = await rejection(pending);
  assert.equal(error.code, "worker-crashed");
  assert.match(error.message, /killed by SIGKILL/);
  await host.request({ type: "loadModel", settings });
  assert.notEqual(host.pid, firstPid);
  const again = await host.request({ type: "ask", repo, question: "Who is Lily?", maxTokens: 8 });
  assert.equal(again.generatedTokens, 8);
});

test("a missing model file gives one sentence naming the path within 5 s (host check and worker check)", async () => {
  const missing = path.join(temp, "nope.gguf");
  const started = Date.now();
  const fromHost = await rejection(checkModelPath(missing));
  assert.equal(fromHost.message, `Model file not found: ${missing}. Set longropeQa.modelPath (or --model) to a GGUF file.`);
  const fromWorker = await rejection(host.request({ type: "loadModel", settings: { ...settings, modelPath: missing } }));
  assert.equal(fromWorker.code, "model-not-found");
  assert.equal(fromWorker.message, fromHost.message);
  assert.ok(Date.now() - started < 5000);
});

test("a truncated GGUF and a file that is not a GGUF give one clear sentence naming the path", async () => {
  const truncated = path.join(temp, "truncated.gguf");
  copyFileSync(stories, truncated);
  const fd = openSync(truncated, "r+");
  ftruncateSync(fd, Math.floor(statSync(stories).size * 0.6));
  closeSync(fd);
  await host.request({ type: "loadModel", settings }); // a started worker: the 5 s are the check, not a cold start
  const started = Date.now();
  const cut = await rejection(host.request({ type: "loadModel", settings: { ...settings, modelPath: truncated } }));
  assert.equal(cut.code, "model-invalid");
  assert.match(cut.message, new RegExp(`^${escape(truncated)} is truncated \\(\\d+ of ${statSync(stories).size} bytes\\)`));
  const text = path.join(temp, "notes.gguf");
  writeFileSync(text, "these are notes, not a model\n".repeat(100));
  // The host finds both from the header alone, before a worker starts.
  assert.match((await rejection(checkModelPath(truncated))).message, new RegExp(`^${escape(truncated)} is truncated \\(\\d+ of ${statSync(stories).size} bytes\\)`));
  assert.equal((await rejection(checkModelPath(text))).message, `${text} is not a readable GGUF model file. Set longropeQa.modelPath (or --model) to a GGUF file.`);
  assert.equal(await checkModelPath(stories), stories);
  const notGguf = await rejection(host.request({ type: "loadModel", settings: { ...settings, modelPath: text } }));
  assert.equal(notGguf.code, "model-invalid");
  assert.match(notGguf.message, new RegExp(`^${escape(text)} is not a readable GGUF model`));
  assert.doesNotMatch(notGguf.message, /\n/);
  assert.ok(Date.now() - started < 5000);
});

test("a GGUF of an architecture llama.cpp does not know is one sentence naming the path and the architecture", async () => {
  const unknown = path.join(temp, "unknown-arch.gguf");
  await patchGguf(stories, unknown, { metadata: { "general.architecture": gguf.string("notamodel") } });
  await host.request({ type: "loadModel", settings }); // a started worker: the 5 s are the check, not a cold start
  const started = Date.now();
  const error = await rejection(host.request({ type: "loadModel", settings: { ...settings, modelPath: unknown } }));
  assert.equal(error.code, "model-invalid");
  assert.match(error.message, new RegExp(`^${escape(unknown)} uses the architecture "notamodel", which this llama\\.cpp build does not support`));
  assert.ok(Date.now() - started < 5000);
});

test("a prompt larger than the context is refused with both numbers, never truncated", async () => {
  await host.request({ type: "loadModel", settings });
  const big = "Lily went to the park and played with her big red ball all day long. ".repeat(200);
  const error = await rejection(host.request({ type: "ask", repo: packedRepo(big), question: "Why?", maxTokens: 64 }));
  assert.equal(error.code, "context-overflow");
  const match = /needs (\d+) tokens plus 64 for the answer, but .* holds 2048 tokens/.exec(error.message);
  assert.ok(match, error.message);
  assert.ok(Number(match[1]) > 2048);
});

test("no network for the default model: 'offline' within 5 s", async () => {
  const started = Date.now();
  const error = await rejection(
    resolveModelPath({ modelPath: "", storageDir: temp, host, probeUrl: "http://127.0.0.1:9/" }),
  );
  assert.equal(error.code, "offline");
  assert.match(error.message, /^offline: set longropeQa\.modelPath \/ --model/);
  assert.ok(Date.now() - started < 5000);
});

test("a model download reports byte progress and lands under the given name", async () => {
  const body = readFileSync(stories);
  const server = createServer((request, response) => {
    response.writeHead(200, { "content-type": "application/octet-stream", "content-length": body.length });
    response.end(request.method === "HEAD" ? undefined : body);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  try {
    const { port } = server.address() as { port: number };
    const frames: number[] = [];
    const directory = path.join(temp, "models");
    const { modelPath } = await host.request(
      { type: "downloadModel", uri: `http://127.0.0.1:${port}/stories260K.gguf`, directory, fileName: "downloaded.gguf" },
      { onProgress: (frame) => frame.phase === "download" && frames.push(frame.done) },
    );
    assert.equal(modelPath, path.join(directory, "downloaded.gguf"));
    assert.deepEqual(readFileSync(modelPath), body);
    assert.ok(frames.length > 0 && frames.at(-1) === body.length, `progress frames: ${frames.join(", ")}`);
  } finally {
    server.close();
  }
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
