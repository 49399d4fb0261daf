// Faults with a real worker process: a crash mid-answer keeps the partial answer and the next question restarts the
// engine; five crashes in three minutes stop the restarts; questions asked together are queued, not interleaved;
// dispose leaves no process behind.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { EngineHost } from "../../src/engine/engineHost";
import { RepoQa } from "../../src/engine/repoQa";
import type { EngineStatus, RepoQaConfig } from "../../src/engine/api";
import { RepoQaError } from "../../src/util/errors";
import { isAlive } from "../support/processAlive";

const root = path.resolve(__dirname, "../..");
const workerPath = path.join(root, "dist/engineWorker.mjs");
const stories = path.resolve(root, "../shared/models/stories260K.gguf");
const temp = mkdtempSync(path.join(os.tmpdir(), "engine-faults-"));
const workspace = path.join(temp, "repo");
const config: RepoQaConfig = {
  pack: { roots: [{ name: "repo", path: workspace }] },
  engine: { modelPath: stories, threads: 1 },
};
const cleanups: (() => Promise<void>)[] = [];

before(() => {
  execFileSync(process.execPath, ["esbuild.mjs", "--only=engineWorker"], { cwd: root, stdio: "ignore" });
  mkdirSync(workspace, { recursive: true });
  writeFileSync(path.join(workspace, "story.txt"), "Once upon a time there was a little girl named Lily. She liked to play.\n");
});

after(async () => {
  for (const cleanup of cleanups) await cleanup();
  rmSync(temp, { recursive: true, force: true });
});

function newService(): RepoQa {
  const qa = new RepoQa({ workerPath, storageDir: path.join(temp, "storage"), log: () => undefined });
  cleanups.push(() => qa.dispose());
  return qa;
}


test("a worker killed mid-answer: the partial answer stays, the error says so, the next question restarts it", async () => {
  const qa = newService();
  const tokens: string[] = [];
  const statuses: EngineStatus[] = [];
  let killed: number | undefined;
  const asking = qa.ask(config, { question: "Tell me a story.", maxTokens: 1200 }, {
    onStatus: (s) => statuses.push(s),
    onToken: (text) => {
      tokens.push(text);
      if (tokens.length === 3) process.kill((killed = qa.enginePid!), "SIGKILL");
    },
  });
  const error = await asking.then(() => undefined, (e: unknown) => e);
  assert.ok(error instanceof RepoQaError && error.code === "worker-crashed", String(error));
  assert.match(error.message, /killed by SIGKILL; .*the answer above is incomplete/);
  // Whatever streamed before the kill (the kill lands after the third token; more may be in flight) is kept.
  assert.ok(error.partialAnswer && error.partialAnswer === tokens.join(""), `kept ${JSON.stringify(error.partialAnswer)} of ${JSON.stringify(tokens.join(""))}`);
  assert.equal(statuses.at(-1)?.state, "error");
  const again = await qa.ask(config, { question: "Who is Lily?", maxTokens: 8 });
  assert.equal(again.generatedTokens, 8);
  assert.notEqual(qa.enginePid, killed);
  const pid = qa.enginePid!;
  await qa.dispose();
  assert.equal(isAlive(pid), false, "dispose waits until the worker has exited");
});

test("five crashes within three minutes stop the restarts, with a sentence that says so", async () => {
  const host = new EngineHost(workerPath, () => undefined);
  cleanups.push(() => host.dispose());
  for (let i = 0; i < 5; i++) {
    await assert.rejects(host.request({ type: "tokenize", texts: ["x"] }), /No model is loaded/);
    const pid = host.pid!;
    const crashed = assert.rejects(host.request({ type: "loadModel", settings: { modelPath: stories, threads: 1 } }), /killed by SIGKILL/);
    process.kill(pid, "SIGKILL");
    await crashed;
  }
  const started = Date.now();
  await assert.rejects(
    host.request({ type: "tokenize", texts: ["x"] }),
    (error: unknown) => error instanceof RepoQaError && error.code === "worker-crashed" && /stopped 5 times in 3 minutes/.test(error.message),
  );
  assert.ok(Date.now() - started < 100, "refused at once");
  assert.equal(host.pid, undefined);
});

test("questions asked while one runs are queued, not interleaved", async () => {
  const qa = newService();
  const events: string[] = [];
  const ask = (name: string) =>
    qa
      .ask(config, { question: `Question ${name}?`, maxTokens: 12, history: [] }, { onToken: () => events.push(name) })
      .then(() => events.push(`${name} done`));
  await Promise.all([ask("a"), ask("b"), ask("c")]);
  const order = events.filter((e, i) => e !== events[i - 1]);
  assert.deepEqual(order, ["a", "a done", "b", "b done", "c", "c done"]);
});
