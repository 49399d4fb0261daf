/**
 * The extension side of the chat (ChatSession) with the real engine service, a real worker and stories260K: frames
 * the page receives, Stop through the AbortSignal, history that survives a reload, errors with actions.
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
import { RepoQaError } from "../../src/util/errors";

const root = path.resolve(__dirname, "../..");
const stories = path.resolve(root, "../shared/models/stories260K.gguf");

class MemoryStore implements ChatStore {
  readonly values = new Map<string, unknown>();
  get<T>(key: string): T | undefined {
    return this.values.get(key) as T | undefined;
  }
  async update(key: string, value: unknown): Promise<void> {
    this.values.set(key, JSON.parse(JSON.stringify(value)));
  }
}

describe("chat session with the real engine", { timeout: 120_000 }, () => {
  let temp: string;
  let qa: RepoQa;
  let config: RepoQaConfig;
  before(() => {
    execFileSync(process.execPath, ["esbuild.mjs", "--only=engineWorker"], { cwd: root, stdio: "ignore" });
    temp = fs.mkdtempSync(path.join(os.tmpdir(), "lrq-chat-"));
    const repo = path.join(temp, "repo");
    fs.mkdirSync(repo);
    fs.writeFileSync(path.join(repo, "story.txt"), "Once upon a time there was a little girl named Lily.\n");
    config = { pack: { roots: [{ name: "repo", path: repo }] }, engine: { modelPath: stories, threads: 1 } };
    qa = new RepoQa({ workerPath: path.join(root, "dist/engineWorker.mjs"), storageDir: path.join(temp, "storage"), log: () => undefined });
  });
  after(async () => {
    await qa?.dispose();
    fs.rmSync(temp, { recursive: true, force: true });
  });

  function session(store: ChatStore, frames: HostMessage[], options: { trusted?: boolean; config?: () => RepoQaConfig } = {}) {
    const answering: boolean[] = [];
    const s = new ChatSession({
      service: qa,
      readConfig: options.config ?? (() => config),
      store,
      post: (m) => frames.push(m),
      isTrusted: () => options.trusted ?? true,
      actionsFor: (e) => (e instanceof RepoQaError && e.code === "model-not-found" ? ["chooseModel", "openSettings"] : ["openLogs"]),
      onAnsweringChanged: (a) => answering.push(a),
    });
    return { s, answering };
  }

  it("streams tokens, ends with done, reports the meter and keeps the history for a reloaded window", async () => {
    const store = new MemoryStore();
    const frames: HostMessage[] = [];
    const { s, answering } = session(store, frames);
    const result = await s.ask("Who is Lily?", "t1");
    assert.ok(result && !result.cancelled);
    const tokens = frames.filter((f) => f.type === "token");
    assert.ok(tokens.length > 3, `${tokens.length} token frames`);
    assert.equal(frames[0]!.type, "turnStart");
    const done = frames.find((f) => f.type === "done");
    assert.deepEqual(done, { type: "done", id: "t1", text: result.text, cancelled: false });
    assert.equal(tokens.map((t) => (t as { text: string }).text).join(""), result.text);
    const ready = frames.find((f) => f.type === "status" && f.status.state === "ready");
    assert.ok(ready && ready.type === "status" && ready.status.state === "ready" && ready.status.meter.repoTokens > 0);
    assert.deepEqual(answering, [true, false]);
    s.dispose();

    const reloaded = session(store, []).s.snapshot();
    assert.deepEqual(reloaded.messages.map((m) => [m.role, m.text]), [["user", "Who is Lily?"], ["assistant", result.text]]);
    assert.equal(reloaded.status?.state, "ready", "the meter survives the reload");
  });

  it("Stop aborts generation within half a second and the partial answer is kept as stopped", async (t) => {
    const frames: HostMessage[] = [];
    const { s } = session(new MemoryStore(), frames);
    let stoppedAt = 0;
    const firstToken = new Promise<void>((resolve) => {
      const push = frames.push.bind(frames);
      frames.push = (...items: HostMessage[]) => {
        if (items.some((f) => f.type === "token") && !stoppedAt) resolve();
        return push(...items);
      };
    });
    const asked = s.ask("Tell me a very long story about Lily and the red ball.", "long");
    await firstToken;
    stoppedAt = performance.now();
    assert.equal(s.stop("other-id"), false, "a stop naming another turn does nothing");
    assert.equal(s.stop("long"), true);
    await asked;
    const elapsed = performance.now() - stoppedAt;
    const done = frames.find((f) => f.type === "done") as Extract<HostMessage, { type: "done" }>;
    assert.equal(done.cancelled, true);
    t.diagnostic(`stop → done frame: ${elapsed.toFixed(1)} ms`);
    assert.ok(elapsed < 500, `stopped after ${elapsed.toFixed(0)} ms`);
    assert.deepEqual(s.transcript.at(-1), { id: "long:a", role: "assistant", text: done.text, cancelled: true });
    assert.equal(s.answering, false);
    s.newChat();
    assert.equal(frames.at(-1)!.type, "cleared");
    assert.equal(s.transcript.length, 0);
  });

  it("a missing model becomes an error message with actions; Restricted Mode never reaches the engine", async () => {
    const frames: HostMessage[] = [];
    const missing = { ...config, engine: { ...config.engine, modelPath: path.join(temp, "nope.gguf") } };
    const { s } = session(new MemoryStore(), frames, { config: () => missing });
    await s.ask("hi", "m1");
    const error = frames.find((f) => f.type === "error") as Extract<HostMessage, { type: "error" }>;
    assert.ok(error, JSON.stringify(frames));
    assert.match(error.message, /nope\.gguf/);
    assert.deepEqual(error.actions, ["chooseModel", "openSettings"]);
    assert.equal(s.transcript.at(-1)!.role, "error");

    const restrictedFrames: HostMessage[] = [];
    let configRead = false;
    const restricted = session(new MemoryStore(), restrictedFrames, { trusted: false, config: () => ((configRead = true), config) });
    await restricted.s.ask("hi", "r1");
    const refused = restrictedFrames.find((f) => f.type === "error") as Extract<HostMessage, { type: "error" }>;
    assert.deepEqual(refused.actions, ["trustWorkspace"]);
    assert.equal(configRead, false, "nothing about the workspace is read in Restricted Mode");
    assert.equal(restricted.s.snapshot().trusted, false);
  });
});
