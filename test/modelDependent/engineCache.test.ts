// The repo prefix in the KV cache, through RepoQa with a real worker and stories260K: follow-ups evaluate only the
// question, an edit re-evaluates only the tail, a saved state survives a restart, a corrupt one is re-read, and a
// cancelled ingest leaves no half-written file and resumes where it stopped.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync, utimesSync, readdirSync, readFileSync, appendFileSync, openSync, writeSync, closeSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { RepoQa } from "../../src/engine/repoQa";
import type { RepoQaConfig } from "../../src/engine/api";

const root = path.resolve(__dirname, "../..");
const workerPath = path.join(root, "dist/engineWorker.mjs");
const stories = path.resolve(root, "../shared/models/stories260K.gguf");
const temp = mkdtempSync(path.join(os.tmpdir(), "engine-cache-"));
const workspace = path.join(temp, "repo");
const services: RepoQa[] = [];
const story = [
  "Once upon a time there was a little girl named Lily. She liked to play in the park.",
  "One day she saw a big red ball. She wanted to play with it, but it was too high.",
  "Her mom said: be careful, Lily. Lily smiled and said thank you. They were happy.",
];

function makeWorkspace(files: number, linesEach: number): void {
  mkdirSync(workspace, { recursive: true });
  for (let i = 0; i < files; i++) {
    const file = path.join(workspace, `story${i}.txt`);
    const lines = Array.from({ length: linesEach }, (_, l) => story[(i + l) % story.length]);
    writeFileSync(file, lines.join("\n") + "\n");
    const time = new Date(Date.UTC(2024, 0, 1) + i * 60_000);
    utimesSync(file, time, time);
  }
}

/** The most recently modified file: the packer puts it last, so an edit changes only the prompt's tail. */
function newest(): string {
  return path.join(workspace, "story3.txt");
}

function service(storage: string): RepoQa {
  const qa = new RepoQa({ workerPath, storageDir: path.join(temp, storage), log: () => undefined });
  services.push(qa);
  return qa;
}

const config: RepoQaConfig = {
  pack: { roots: [{ name: "repo", path: workspace }] },
  engine: { modelPath: stories, threads: 1 },
};

before(() => {
  execFileSync(process.execPath, ["esbuild.mjs", "--only=engineWorker"], { cwd: root, stdio: "ignore" });
  makeWorkspace(4, 6); // about 1,100 tokens: within the packer's budget (2048 − answer − 512), so no file is dropped
});

after(async () => {
  await Promise.all(services.map((s) => s.dispose()));
  rmSync(temp, { recursive: true, force: true });
});

test("follow-up questions evaluate only the question; a new chat (no history) keeps the repo", async () => {
  const qa = service("followup");
  const first = await qa.ask(config, { question: "Who is Lily?", maxTokens: 16 });
  assert.equal(first.reusedTokens, 0);
  const history = [{ question: "Who is Lily?", answer: first.text }];
  const followUp = await qa.ask(config, { question: "What did she see?", history, maxTokens: 16 });
  const prefix = first.promptTokens - 20;
  assert.ok(followUp.reusedTokens >= prefix, `reused ${followUp.reusedTokens} of ${followUp.promptTokens}`);
  // The first turn is kept after the prefix, so the follow-up prompt is longer than the first one.
  assert.ok(followUp.promptTokens > first.promptTokens + 16);
  const fresh = await qa.ask(config, { question: "Who is Lily?", maxTokens: 16 });
  assert.equal(fresh.promptTokens, first.promptTokens, "New chat drops the earlier turns");
  assert.ok(fresh.promptTokens - fresh.reusedTokens < 20, "the repo is still in the cache");
  assert.equal(fresh.text, first.text, "the same question on the same cache gives the same greedy answer");
});

test("an edit of the newest file re-evaluates only the tail, and answers as a fresh read does", async () => {
  const qa = service("edit");
  const full = await qa.prepare(config, {}, 16);
  assert.ok(full && full.evaluatedTokens === full.prefixTokens && full.prefixTokens > 800);
  appendFileSync(newest(), "The dog ran to the tree and barked at a bird.\n");
  const tail = await qa.prepare(config, {}, 16);
  assert.ok(tail && tail.evaluatedTokens > 0, "the edit was read");
  assert.ok(tail.evaluatedTokens < full.prefixTokens * 0.25, `re-read ${tail.evaluatedTokens} of ${tail.prefixTokens} tokens`);
  assert.ok(tail.reusedTokens > full.prefixTokens * 0.75);
  const question = { question: "What did the dog do?", maxTokens: 24, history: [] };
  const afterEdit = await qa.ask(config, question);
  const reference = await service("edit-reference").ask(config, question);
  assert.equal(reference.reusedTokens, 0);
  assert.equal(afterEdit.text, reference.text);
});

test("a saved state is loaded by a new process; a corrupt one is re-read, never used", async () => {
  const first = service("saved");
  const ingest = await first.prepare(config, {}, 16);
  assert.ok(ingest && !ingest.loadedFromState);
  const question = { question: "Where did Lily play?", maxTokens: 24, history: [] };
  const reference = await first.ask(config, question);
  await first.dispose();
  const states = path.join(temp, "saved", "kv-states");
  const kvFiles = readdirSync(states).filter((n) => n.endsWith(".kv"));
  assert.equal(kvFiles.length, 1, `files: ${readdirSync(states).join(", ")}`);

  const second = service("saved");
  const loaded = await second.prepare(config, {}, 16);
  assert.ok(loaded?.loadedFromState, "the state came from disk");
  assert.equal(loaded.evaluatedTokens, 0);
  assert.equal((await second.ask(config, question)).text, reference.text);
  await second.dispose();

  const kvFile = path.join(states, kvFiles[0]!);
  const size = readFileSync(kvFile).length;
  const fd = openSync(kvFile, "r+");
  writeSync(fd, Buffer.alloc(64, 0x5a), 0, 64, Math.floor(size / 2));
  closeSync(fd);
  const third = service("saved");
  const reread = await third.prepare(config, {}, 16);
  assert.ok(reread && !reread.loadedFromState, "a corrupt state is not loaded");
  assert.equal(reread.evaluatedTokens, reread.prefixTokens);
  assert.equal((await third.ask(config, question)).text, reference.text);
});

test("after a restart, an edit loads the older saved state and evaluates only the changed tail", async () => {
  const first = service("restart-edit");
  const full = await first.prepare(config, {}, 16);
  assert.ok(full && !full.loadedFromState && full.evaluatedTokens === full.prefixTokens);
  await first.dispose();
  appendFileSync(newest(), "Lily and the dog went home and had a nap.\n");
  const second = service("restart-edit");
  const resumed = await second.prepare(config, {}, 16);
  assert.ok(resumed?.loadedFromState, "the older state was loaded");
  assert.ok(resumed.evaluatedTokens > 0 && resumed.evaluatedTokens < resumed.prefixTokens * 0.25, JSON.stringify(resumed));
  const question = { question: "Where did they go?", maxTokens: 24, history: [] };
  const answer = await second.ask(config, question);
  const reference = await service("restart-edit-reference").ask(config, question);
  assert.equal(answer.text, reference.text);
});

test("a workspace change re-reads the changed tail in the background; the next question evaluates only itself", async () => {
  const qa = service("watch");
  const question = { question: "Who is Lily?", maxTokens: 8, history: [] };
  await qa.ask(config, question);
  appendFileSync(newest(), "Then the sun came out again.\n");
  const statuses: string[] = [];
  const reingest = await qa.onWorkspaceChanged((s) => statuses.push(s.state));
  assert.ok(reingest && !reingest.cancelled, `no re-ingest ran (statuses: ${statuses.join(", ")})`);
  assert.ok(reingest.evaluatedTokens > 0 && reingest.evaluatedTokens < reingest.prefixTokens * 0.25, JSON.stringify(reingest));
  assert.equal(statuses.at(-1), "ready");
  const next = await qa.ask(config, question);
  assert.ok(next.promptTokens - next.reusedTokens < 20, `reused ${next.reusedTokens} of ${next.promptTokens}`);
});

test("after a question fails on another model, an edit does not bring back the old model's 'ready'", async () => {
  const qa = service("watch-failed");
  const question = { question: "Who is Lily?", maxTokens: 8, history: [] };
  await qa.ask(config, question);
  const missing: RepoQaConfig = { ...config, engine: { ...config.engine, modelPath: path.join(temp, "missing.gguf") } };
  const statuses: string[] = [];
  // The edit is seen just before the failing question (its re-ingest would be due a second later) ...
  appendFileSync(newest(), "A bird sang.\n");
  const pending = qa.onWorkspaceChanged((s) => statuses.push(s.state));
  await assert.rejects(qa.ask(missing, question), /missing\.gguf/);
  assert.equal(await pending, undefined, "the question superseded the pending re-ingest");
  // ... or just after it: the re-ingest packs for the model the user chose, which fails quietly.
  appendFileSync(newest(), "A cat slept.\n");
  assert.equal(await qa.onWorkspaceChanged((s) => statuses.push(s.state)), undefined);
  assert.ok(!statuses.includes("ready"), `statuses: ${statuses.join(", ")}`);
});

test("a cancelled ingest stops at a chunk, leaves no temporary file, and the next one resumes", async () => {
  makeWorkspace(16, 8);
  // A context beyond the model's 2048 only to have many chunks; the answer quality does not matter here.
  const long: RepoQaConfig = { ...config, engine: { ...config.engine, maxContextSize: 4096 } };
  const qa = service("cancel");
  const controller = new AbortController();
  const seen: number[] = [];
  const cancelled = await qa.prepare(
    long,
    {
      signal: controller.signal,
      onStatus: (s) => {
        if (s.state !== "ingesting") return;
        seen.push(s.done);
        if (s.done > 0) controller.abort();
      },
    },
    16,
  );
  assert.ok(cancelled?.cancelled, "the ingest reports cancelled");
  assert.ok(cancelled.evaluatedTokens > 0 && cancelled.evaluatedTokens < cancelled.prefixTokens, JSON.stringify(cancelled));
  const states = path.join(temp, "cancel", "kv-states");
  assert.deepEqual(readdirSync(states).filter((n) => n.includes(".tmp-") || n.endsWith(".kv")), []);
  const resumed = await qa.prepare(long, {}, 16);
  assert.equal(resumed?.reusedTokens, cancelled.evaluatedTokens);
  assert.equal(resumed.evaluatedTokens, resumed.prefixTokens - cancelled.evaluatedTokens);
});

test("switching to another model file counts the repo with that model's tokenizer, not the one still loaded", async () => {
  // Found in the host: after questions on llama-2-tiny-random, a question on stories260K was packed with the random
  // model's 32k-vocabulary counts (392 tokens instead of ~450), its conversation fit planned with them, and the
  // worker refused the prompt for its length.
  // Its own small repo: the earlier tests grew theirs past what tiny-random's window leaves for files.
  const small = path.join(temp, "switch-repo");
  mkdirSync(small, { recursive: true });
  writeFileSync(path.join(small, "story.txt"), story.join("\n") + "\n");
  const smallConfig: RepoQaConfig = { ...config, pack: { roots: [{ name: "repo", path: small }] } };
  const tinyRandom = path.resolve(root, "../shared/models/llama-2-tiny-random.gguf");
  const both = service("switch");
  const storiesFirst = await both.pack(smallConfig);
  const randomPack = await both.pack({ ...smallConfig, engine: { ...config.engine, modelPath: tinyRandom } });
  const storiesAfter = await both.pack(smallConfig);
  const storiesAlone = await service("stories-alone").pack(smallConfig);
  assert.notEqual(randomPack.totalTokens, storiesAlone.totalTokens, "the two tokenizers count this repo differently");
  assert.equal(storiesFirst.totalTokens, storiesAlone.totalTokens);
  assert.equal(storiesAfter.totalTokens, storiesAlone.totalTokens, "back on stories260K, its own tokenizer counts");
});
