/**
 * The extension side of the chat (ChatSession) with the real engine service, a real worker and stories260K (a
 * 2,048-token window): frames the page receives, Stop through the AbortSignal, two questions asked together, a
 * crash mid-answer, a ten-question conversation that never overflows, and answers from a repo that did not fit.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import { ChatSession, type ChatStore } from "../../src/chat/chatSession";
import type { HostMessage } from "../../src/chat/protocol";
import type { RepoQaConfig } from "../../src/engine/api";
import { RepoQa } from "../../src/engine/repoQa";
import { sharedModels } from "../support/models";

const root = path.resolve(__dirname, "../..");

class MemoryStore implements ChatStore {
  readonly values = new Map<string, unknown>();
  get<T>(key: string): T | undefined {
    return this.values.get(key) as T | undefined;
  }
  update(key: string, value: unknown): Promise<void> {
    this.values.set(key, value === undefined ? undefined : JSON.parse(JSON.stringify(value)));
    return Promise.resolve();
  }
}

type Frame<T extends HostMessage["type"]> = Extract<HostMessage, { type: T }>;
const framesOf = <T extends HostMessage["type"]>(frames: HostMessage[], type: T) => frames.filter((f): f is Frame<T> => f.type === type);

/** Resolves when the first token frame of turn `id` arrives. */
function firstToken(frames: HostMessage[], id: string): Promise<void> {
  return new Promise<void>((resolve) => {
    const push = frames.push.bind(frames);
    frames.push = (...items: HostMessage[]) => {
      const n = push(...items);
      if (items.some((f) => f.type === "token" && f.id === id)) resolve();
      return n;
    };
  });
}

describe("chat session with the real engine", { timeout: 300_000 }, () => {
  let temp: string;
  let qa: RepoQa | undefined; // undefined when before() failed first
  let config: RepoQaConfig;
  let bigConfig: RepoQaConfig;
  before(() => {
    execFileSync(process.execPath, ["esbuild.mjs", "--only=engineWorker"], { cwd: root, stdio: "ignore" });
    temp = fs.mkdtempSync(path.join(os.tmpdir(), "lrq-chat-"));
    const repo = path.join(temp, "repo");
    fs.mkdirSync(repo);
    fs.writeFileSync(path.join(repo, "story.txt"), "Once upon a time there was a little girl named Lily.\n");
    // Six stories of ~150 tokens each: more than the 512-token budget a 1,024-token answer leaves in 2,048.
    const big = path.join(temp, "big");
    fs.mkdirSync(big);
    for (let i = 0; i < 6; i++) {
      fs.writeFileSync(path.join(big, `story${i}.txt`), `Story ${i}. Lily had a red ball and a dog named Max. They played in the park every day. `.repeat(6));
    }
    const engine = { modelPath: sharedModels.stories, threads: 1 };
    config = { pack: { roots: [{ name: "repo", path: repo }] }, engine };
    bigConfig = { pack: { roots: [{ name: "big", path: big }] }, engine };
    qa = new RepoQa({ workerPath: path.join(root, "dist/engineWorker.mjs"), storageDir: path.join(temp, "storage"), log: () => undefined });
  });
  after(async () => {
    await qa?.dispose();
    fs.rmSync(temp, { recursive: true, force: true });
  });

  function session(store: ChatStore, frames: HostMessage[], options: { trusted?: boolean; config?: () => RepoQaConfig; maxTokens?: number } = {}) {
    const answering: boolean[] = [];
    const s = new ChatSession({
      service: qa!,
      readConfig: options.config ?? (() => config),
      maxTokens: options.maxTokens === undefined ? undefined : () => options.maxTokens!,
      store,
      post: (m) => frames.push(m),
      isTrusted: () => options.trusted ?? true,
      onAnsweringChanged: (a) => answering.push(a),
    });
    return { s, answering };
  }

  it("streams tokens, ends with done, reports the meter and keeps the history for a reloaded window", async () => {
    const store = new MemoryStore();
    const frames: HostMessage[] = [];
    const { s, answering } = session(store, frames, { maxTokens: 32 });
    const result = await s.ask("Who is Lily?", "t1");
    assert.ok(result && !result.cancelled);
    const tokens = framesOf(frames, "token");
    assert.ok(tokens.length > 3, `${tokens.length} token frames`);
    assert.equal(frames[0]!.type, "turnStart");
    const done = framesOf(frames, "done")[0];
    assert.deepEqual(done?.coverage, { read: ["story.txt"], readCount: 1, total: 1 }, "the answer lists the files it read");
    assert.equal(done.text, result.text);
    assert.equal(tokens.map((t) => t.text).join(""), result.text);
    const ready = framesOf(frames, "status").find((f) => f.status.state === "ready");
    assert.ok(ready?.status.state === "ready" && ready.status.meter.repoTokens > 0);
    assert.equal(ready.status.meter.modelFile, "stories260K.gguf", "the meter names the model file");
    assert.deepEqual(answering, [true, false]);
    s.dispose();

    const reloaded = session(store, []).s.snapshot();
    assert.deepEqual(reloaded.messages.map((m) => [m.role, m.text]), [["user", "Who is Lily?"], ["assistant", result.text]]);
    assert.equal(reloaded.status?.state, "ready", "the meter survives the reload");
  });

  it("Stop ends the answer early and keeps the partial answer as stopped", async () => {
    const frames: HostMessage[] = [];
    const { s } = session(new MemoryStore(), frames, { maxTokens: 1024 });
    const started = firstToken(frames, "long");
    const asked = s.ask("Tell me a very long story about Lily and the red ball.", "long");
    await started;
    assert.equal(s.stop("other-id"), false, "a stop naming another turn does nothing");
    assert.equal(s.stop("long"), true);
    const result = await asked;
    assert.ok(result?.cancelled, "the turn ended as cancelled");
    assert.ok(result.generatedTokens < 1024, `stopped after ${result.generatedTokens} of 1,024 tokens`);
    const done = framesOf(frames, "done")[0];
    assert.equal(done?.cancelled, true);
    const stopped = s.transcript.at(-1);
    assert.deepEqual([stopped?.id, stopped?.role, stopped?.text, stopped?.cancelled], ["long:a", "assistant", done.text, true]);
    assert.equal(s.answering, false);
    s.newChat();
    assert.equal(frames.at(-1)!.type, "cleared");
    assert.equal(s.transcript.length, 0);
  });

  it("two questions asked while one is answered: the first is stopped, only the later one runs", async () => {
    const frames: HostMessage[] = [];
    const { s } = session(new MemoryStore(), frames, { maxTokens: 1024 });
    const started = firstToken(frames, "A");
    const a = s.ask("Tell me a very long story about Lily.", "A");
    await started;
    const b = s.ask("Who is Max?", "B");
    const c = s.ask("Who is Lily?", "C");
    const [ra, rb, rc] = await Promise.all([a, b, c]);
    assert.ok(ra?.cancelled, "A was stopped");
    assert.equal(rb, undefined, "B was superseded by C before it started");
    assert.ok(rc && !rc.cancelled && rc.text.length > 0, "C was answered");
    assert.deepEqual(framesOf(frames, "turnStart").map((f) => f.id), ["A", "C"], "B never started a turn");
    assert.deepEqual(s.transcript.map((m) => m.id), ["A:q", "A:a", "C:q", "C:a"], "no question is left without its answer");
    assert.equal(s.answering, false);
  });

  it("a crash mid-answer keeps what was generated, marked interrupted, before the error", async () => {
    const frames: HostMessage[] = [];
    const { s } = session(new MemoryStore(), frames, { maxTokens: 1024 });
    const started = firstToken(frames, "k");
    const asked = s.ask("Tell me a very long story about the dog.", "k");
    await started;
    const pid = qa!.enginePid;
    assert.ok(pid, "a worker runs");
    process.kill(pid, "SIGKILL");
    assert.equal(await asked, undefined);
    const error = framesOf(frames, "error")[0];
    assert.ok(error, JSON.stringify(frames.map((f) => f.type)));
    assert.ok(error.partial && error.partial.length > 0, "the error frame carries the partial answer");
    const [answer, failure] = s.transcript.slice(-2);
    assert.deepEqual([answer?.role, answer?.interrupted, answer?.text], ["assistant", true, error.partial]);
    assert.equal(failure?.role, "error");
    assert.match(failure.text, /^The engine process/);
    assert.deepEqual(failure.actions, ["openLogs"]);
  });

  it("ten questions on a 2,048-token model never fail for length; the chat says what it left out", async () => {
    const frames: HostMessage[] = [];
    const { s } = session(new MemoryStore(), frames, { maxTokens: 1024, config: () => bigConfig });
    const questions = [
      "Tell me a long story about Lily and Max in the park.", "What did Max do next?", "And then?", "Where did they go?",
      "Who else was there?", "Tell me more about the red ball.", "What happened at night?", "How did the story end?",
      "Tell me the whole story again.", "Why?",
    ];
    for (const [i, q] of questions.entries()) {
      const result = await s.ask(q, `q${i}`);
      const errors = framesOf(frames, "error");
      assert.equal(errors.length, 0, `question ${i + 1} failed: ${errors[0]?.message}`);
      assert.ok(result && !result.cancelled, `question ${i + 1} was answered`);
    }
    const done = framesOf(frames, "done");
    assert.equal(done.length, 10);
    const notes = done.flatMap((d) => d.notes ?? []);
    assert.ok(notes.some((n) => /^Left out the (oldest|\d+ oldest) earlier question/.test(n)), `the chat said it dropped turns: ${JSON.stringify(notes)}`);
    // The window named is the model's (2,048), not the KV cache a shorter prompt was given (it said 1,024 in the host).
    assert.ok(notes.every((n) => /2,048-token window/.test(n)), `every note names the model's window: ${JSON.stringify(notes)}`);
    const stored = s.transcript.filter((m) => m.role === "assistant" && m.notes);
    assert.ok(stored.length > 0, "the notes are kept with the answers");
  });

  it("an answer from a repository that did not fit says how many files it read, and which", async () => {
    const frames: HostMessage[] = [];
    const { s } = session(new MemoryStore(), frames, { maxTokens: 1024, config: () => bigConfig });
    const result = await s.ask("What is in story3.txt?", "p1");
    assert.ok(result?.context, "the engine said what the answer was read from");
    const done = framesOf(frames, "done")[0];
    const coverage = done?.coverage;
    assert.ok(coverage, "the done frame carries the files read");
    assert.equal(coverage.total, 6);
    assert.ok(coverage.readCount >= 1 && coverage.readCount < 6, `read ${coverage.readCount} of ${coverage.total}`);
    assert.equal(coverage.read.length, coverage.readCount);
    assert.ok(coverage.read.every((p) => /^story\d\.txt$/.test(p)));
    assert.ok(coverage.read.includes("story3.txt"), "the file the question names is read first");
  });

  it("a missing model becomes an error message with actions; Restricted Mode never reaches the engine", async () => {
    const frames: HostMessage[] = [];
    const missing = { ...config, engine: { ...config.engine, modelPath: path.join(temp, "nope.gguf") } };
    const { s } = session(new MemoryStore(), frames, { config: () => missing });
    await s.ask("hi", "m1");
    const error = framesOf(frames, "error")[0];
    assert.ok(error, JSON.stringify(frames));
    assert.match(error.message, /nope\.gguf/);
    assert.doesNotMatch(error.message, /--model/, "no CLI flag in a VS Code message");
    assert.deepEqual(error.actions, ["chooseModel", "openSettings"]);
    assert.equal(s.transcript.at(-1)!.role, "error");
    assert.equal(error.partial, undefined);
    assert.equal(framesOf(frames, "status").at(-1)?.status.state, "error");
    s.newChat();
    assert.equal(framesOf(frames, "status").at(-1)?.status.state, "idle", "New chat clears the error state");

    const restrictedFrames: HostMessage[] = [];
    let configRead = false;
    const restricted = session(new MemoryStore(), restrictedFrames, { trusted: false, config: () => ((configRead = true), config) });
    await restricted.s.ask("hi", "r1");
    const refused = framesOf(restrictedFrames, "error")[0];
    assert.deepEqual(refused?.actions, ["trustWorkspace"]);
    assert.equal(configRead, false, "nothing about the workspace is read in Restricted Mode");
    assert.equal(restricted.s.snapshot().trusted, false);
  });

  it("retry asks a failed turn's question again with its attachment", async () => {
    const frames: HostMessage[] = [];
    let modelPath = path.join(temp, "nope.gguf");
    const { s } = session(new MemoryStore(), frames, { maxTokens: 16, config: () => ({ ...config, engine: { ...config.engine, modelPath } }) });
    await s.ask("What is this?", "f1", { path: "story.txt", firstLine: 1, lastLine: 1, text: "Once upon a time" });
    assert.equal(s.transcript.at(-1)?.role, "error");
    modelPath = sharedModels.stories;
    s.notice("Model set to stories260K.gguf. Asking again.");
    const result = await s.retry("f1");
    assert.ok(result && !result.cancelled);
    const asked = s.transcript.filter((m) => m.role === "user");
    assert.deepEqual(asked.map((m) => [m.text, m.attachment?.path]), [["What is this?", "story.txt"], ["What is this?", "story.txt"]]);
    assert.deepEqual(s.transcript.map((m) => m.role), ["user", "error", "notice", "user", "assistant"]);
  });
});
