// Saved KV states hold the prompt (secrets included) and go straight into the model: the folder is 0700 and the files
// 0600, a state rewritten together with its checksum is refused (HMAC under a per-machine key), the CLI's key file is
// private, and with saving off nothing reaches the disk. The last test runs RepoQa with a real worker and stories260K.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { execFileSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { RepoQa } from "../../src/engine/repoQa";
import { loadOrCreateKeyFile, newStateKey } from "../../src/engine/stateKey";
import { StateStore } from "../../src/engine/worker/stateStore";
import { sharedModels } from "../support/models";

const root = path.resolve(__dirname, "../..");
const temp = mkdtempSync(path.join(os.tmpdir(), "state-security-"));
const services: RepoQa[] = [];
const keyA = Buffer.from(newStateKey(), "hex");
const keyB = Buffer.from(newStateKey(), "hex");
const modeOf = (file: string) => statSync(file).mode & 0o777;
const hex = (c: string) => c.repeat(64);
const posix = process.platform !== "win32";

before(() => execFileSync(process.execPath, ["esbuild.mjs", "--only=engineWorker"], { cwd: root, stdio: "ignore" }));
after(async () => {
  await Promise.all(services.map((s) => s.dispose()));
  rmSync(temp, { recursive: true, force: true });
});

async function storeWithOneState(name: string, key = keyA): Promise<{ store: StateStore; dir: string }> {
  const dir = path.join(temp, name);
  const store = await StateStore.open(dir, 1e9, key);
  await store.save(hex("a"), "family", Uint32Array.of(1, 2, 3, 4), (partial) => fs.writeFile(partial, Buffer.alloc(1000, 7)));
  return { store, dir };
}

test("the folder is 0700 and every file 0600, also when an older version left 0755 / 0644 behind", { skip: !posix && "POSIX modes" }, async () => {
  const dir = path.join(temp, "modes");
  mkdirSync(dir, { mode: 0o755 });
  chmodSync(dir, 0o755);
  writeFileSync(path.join(dir, `${hex("0")}.tokens`), "old", { mode: 0o644 });
  const store = await StateStore.open(dir, 1e9, keyA);
  await store.save(hex("a"), "family", Uint32Array.of(1, 2, 3), (partial) => fs.writeFile(partial, Buffer.alloc(100, 1)));
  await store.modelHash(path.join(root, "package.json"));
  assert.equal(modeOf(dir), 0o700);
  const files = readdirSync(dir);
  assert.deepEqual(files.map((f) => path.extname(f)).sort(), [".json", ".json", ".kv", ".tokens", ".tokens"]);
  for (const file of files) assert.equal(modeOf(path.join(dir, file)), 0o600, file);
});

test("a state rewritten together with its checksum is refused and deleted (the MAC needs the key)", async () => {
  const { store, dir } = await storeWithOneState("forged");
  const wanted = Uint32Array.of(1, 2, 3, 4, 5);
  assert.ok(await store.findBest("family", wanted, 2), "the genuine state loads");
  const forged = Buffer.alloc(1000, 0x41); // e.g. the KV state of an injected prompt
  writeFileSync(store.kvPath(hex("a")), forged);
  const metaFile = path.join(dir, `${hex("a")}.json`);
  const meta = JSON.parse(readFileSync(metaFile, "utf8")) as Record<string, unknown>;
  // What passed before: the bare sha256 of the new bytes, written by whoever wrote the bytes.
  writeFileSync(metaFile, JSON.stringify({ ...meta, sha256: createHash("sha256").update(forged).digest("hex") }));
  assert.equal(await store.findBest("family", wanted, 2), undefined);
  assert.deepEqual(readdirSync(dir).filter((f) => f.startsWith(hex("a"))), [], "the forged state was removed");
});

test("rewritten tokens, a state made under another key, and a legacy state without a MAC are all refused", async () => {
  const tokens = await storeWithOneState("tokens");
  writeFileSync(path.join(tokens.dir, `${hex("a")}.tokens`), Buffer.from(Uint32Array.of(1, 2, 3, 5).buffer));
  assert.equal(await tokens.store.findBest("family", Uint32Array.of(1, 2, 3, 5), 2), undefined);

  const other = await storeWithOneState("other-key", keyB);
  const reopened = await StateStore.open(other.dir, 1e9, keyA);
  assert.equal(await reopened.findBest("family", Uint32Array.of(1, 2, 3, 4), 2), undefined);

  const legacy = await storeWithOneState("legacy");
  const metaFile = path.join(legacy.dir, `${hex("a")}.json`);
  const { mac: _mac, ...rest } = JSON.parse(readFileSync(metaFile, "utf8")) as Record<string, unknown>;
  writeFileSync(metaFile, JSON.stringify({ ...rest, sha256: createHash("sha256").update(Buffer.alloc(1000, 7)).digest("hex") }));
  assert.equal((await legacy.store.list()).length, 1, "listed, so Manage saved states can clear it");
  assert.equal(await legacy.store.findBest("family", Uint32Array.of(1, 2, 3, 4), 2), undefined);
  await assert.rejects(new StateStore(legacy.dir, 1e9).findBest("family", Uint32Array.of(1), 1), /per-machine key/);
});

test("the CLI's key file is created 0600, reused, and replaced when others can read it", { skip: !posix && "POSIX modes" }, async () => {
  const file = path.join(temp, "cli", "state-key");
  const key = await loadOrCreateKeyFile(file);
  assert.match(key, /^[0-9a-f]{64}$/);
  assert.equal(modeOf(file), 0o600);
  assert.equal(await loadOrCreateKeyFile(file), key);
  chmodSync(file, 0o644);
  const replaced = await loadOrCreateKeyFile(file);
  assert.notEqual(replaced, key, "a key others could read is not trusted");
  assert.equal(modeOf(file), 0o600);
});

test("with saving off the KV state stays in memory; with it on, the real worker writes private files", async () => {
  const workspace = path.join(temp, "repo");
  mkdirSync(workspace);
  writeFileSync(path.join(workspace, "story.txt"), "Once upon a time there was a little girl named Lily. She liked to play in the park.\n");
  const config = { pack: { roots: [{ name: "repo", path: workspace }] }, engine: { modelPath: sharedModels.stories, threads: 1 } };
  const workerPath = path.join(root, "dist/engineWorker.mjs");
  const memoryOnly = new RepoQa({ workerPath, storageDir: path.join(temp, "memory"), log: () => undefined, saveStates: () => false });
  services.push(memoryOnly);
  assert.ok((await memoryOnly.prepare(config, {}, 16))?.prefixTokens);
  await memoryOnly.dispose();
  const memoryDir = path.join(temp, "memory");
  const memoryFiles = existsSync(memoryDir) ? readdirSync(memoryDir, { recursive: true, encoding: "utf8" }) : [];
  assert.deepEqual(memoryFiles.filter((f) => f.startsWith("kv-states")), [], "nothing of the prompt on disk");

  const saving = new RepoQa({ workerPath, storageDir: path.join(temp, "disk"), log: () => undefined, stateKey: () => Promise.resolve(keyA.toString("hex")) });
  services.push(saving);
  await saving.prepare(config, {}, 16);
  await saving.dispose();
  const states = path.join(temp, "disk", "kv-states");
  const files = readdirSync(states);
  assert.ok(files.some((f) => f.endsWith(".kv")) && files.some((f) => f.endsWith(".tokens")), files.join(", "));
  if (posix) {
    assert.equal(modeOf(states), 0o700);
    for (const f of files) assert.equal(modeOf(path.join(states, f)), 0o600, f);
  }
});
