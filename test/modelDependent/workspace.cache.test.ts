/**
 * Token counts and secret findings kept on disk: a new process starts warm, one edit costs one file, the store stays
 * bounded and whole under concurrent writers, a torn or foreign file is ignored.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import { after, describe, it } from "node:test";
import { HashStore } from "../../src/workspace/hashStore";
import { clearPackCaches, packWorkspace } from "../../src/workspace/index";
import { countStore, packCacheDir } from "../../src/workspace/packCaches";
import { loadLlamaTokenizer } from "../fixtures/llamaTokenizer";
import { makeTree } from "../fixtures/makeTree";
import { useTempCacheHome } from "../support/tempCache";

const run = promisify(execFile);
const cacheHome = useTempCacheHome();
const key = (text: string) => createHash("sha1").update(text).digest();
const fixture = (name: string) => path.resolve(__dirname, "../fixtures", name);

async function packInChild(root: string, cacheKey: string) {
  const { stdout } = await run(process.execPath, ["--import", "tsx", fixture("packInChild.ts"), root, cacheKey], { env: process.env });
  return JSON.parse(stdout) as { totalTokens: number; textHash: string; work: { textsTokenized: number; filesScanned: number }; tokenizerLoaded: boolean };
}

describe("counts and findings across processes", () => {
  it("a second process packs an unedited tree without tokenizer or scanner; an edit costs one file", async () => {
    const keyId = ["AKIA", "QYLPMN5HHHFPZAM2"].join("");
    const files = Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`src/m${i}.ts`, `export const v${i} = ${i};\n`]));
    const t = makeTree({ ...files, "src/config.ts": `export const id = '${keyId}';\n`, "README.md": "# Tree\n" });
    try {
      const tokenizer = await loadLlamaTokenizer("child-test");
      const first = await packWorkspace({ roots: [{ name: "w", path: t.root }], tokenCounter: tokenizer });
      await tokenizer.dispose();
      assert.deepEqual(first.work, { textsTokenized: 33, filesScanned: 32 });
      const second = await packInChild(t.root, "child-test");
      assert.deepEqual(second.work, { textsTokenized: 0, filesScanned: 0 });
      assert.equal(second.tokenizerLoaded, false);
      assert.equal(second.totalTokens, first.totalTokens);
      assert.equal(second.textHash, createHash("sha1").update(first.text).digest("hex"), "the same prompt, secret redacted from the cached findings");
      t.write("src/m7.ts", "export const v7 = 777;\n");
      const edited = await packInChild(t.root, "child-test");
      assert.deepEqual(edited.work, { textsTokenized: 1, filesScanned: 1 });
    } finally {
      t.cleanup();
    }
  });

  it("counts are per tokenizer: another cache key starts cold", async () => {
    const t = makeTree({ "a.ts": "export const a = 1;\n" });
    try {
      const texts: string[] = [];
      const counter = (cacheKey: string) => ({ cacheKey, countTokens: (batch: readonly string[]) => (texts.push(...batch), Promise.resolve(batch.map((s) => s.length))) });
      await packWorkspace({ roots: [{ name: "w", path: t.root }], tokenCounter: counter("tokenizer-a") });
      clearPackCaches();
      await packWorkspace({ roots: [{ name: "w", path: t.root }], tokenCounter: counter("tokenizer-a") });
      assert.equal(texts.length, 2, "file and header, once");
      await packWorkspace({ roots: [{ name: "w", path: t.root }], tokenCounter: counter("tokenizer-b") });
      assert.equal(texts.length, 4);
      assert.notEqual((await countStore("tokenizer-a")).file, (await countStore("tokenizer-b")).file);
      assert.ok((await countStore("tokenizer-a")).file.startsWith(path.join(cacheHome, "longrope-qa", "packer")));
    } finally {
      t.cleanup();
    }
  });
});

describe("HashStore", () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "lrq-store-"));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("keeps entries across opens, least recently used dropped first beyond its bound", async () => {
    const file = path.join(dir, "lru.bin");
    let hour = 1000;
    const open = () => HashStore.open(file, { maxEntries: 3, now: () => hour });
    const first = await open();
    for (const k of ["a", "b"]) first.set(key(k), Buffer.from(k));
    assert.equal(await first.save(), true);
    hour++;
    const second = await open();
    second.set(key("c"), Buffer.from("c"));
    await second.save();
    hour++;
    const third = await open();
    assert.equal(third.get(key("a"))?.toString(), "a", "read now, so the most recently used");
    third.set(key("d"), Buffer.from("d"));
    await third.save();
    const last = await open();
    assert.equal(last.size, 3);
    assert.deepEqual(["a", "b", "c", "d"].map((k) => last.get(key(k))?.toString()), ["a", undefined, "c", "d"]);
  });

  it("reading entries used this hour writes nothing; reading older ones refreshes them once", async () => {
    const file = path.join(dir, "reads.bin");
    let hour = 2000;
    const first = await HashStore.open(file, { maxEntries: 10, now: () => hour });
    first.set(key("r"), Buffer.from("r"));
    await first.save();
    const written = statSync(file).mtimeMs;
    const sameHour = await HashStore.open(file, { maxEntries: 10, now: () => hour });
    assert.equal(sameHour.get(key("r"))?.toString(), "r");
    await sameHour.save();
    assert.equal(statSync(file).mtimeMs, written, "nothing to write");
    hour++;
    const later = await HashStore.open(file, { maxEntries: 10, now: () => hour });
    later.get(key("r"));
    await later.save();
    assert.notEqual(statSync(file).mtimeMs, written, "the last use moved to this hour");
  });

  it("a torn or foreign file reads as empty and is replaced at the next save", async () => {
    const file = path.join(dir, "torn.bin");
    const good = await HashStore.open(file, { maxEntries: 10 });
    good.set(key("x"), Buffer.from("1234"));
    await good.save();
    const whole = readFileSync(file);
    for (const broken of [whole.subarray(0, whole.length - 3), Buffer.from("not a store"), Buffer.alloc(0)]) {
      writeFileSync(file, broken);
      const s = await HashStore.open(file, { maxEntries: 10 });
      assert.equal(s.size, 0);
      s.set(key("y"), Buffer.from("5678"));
      assert.equal(await s.save(), true);
      assert.equal((await HashStore.open(file, { maxEntries: 10 })).get(key("y"))?.toString(), "5678");
    }
    assert.deepEqual(readdirSync(dir).filter((n) => n.includes("partial") || n.endsWith(".lock")), [], "no temporary files left");
  });

  it("a held lock defers the save (entries stay pending); a lock left by a crashed process is taken over", async () => {
    const file = path.join(dir, "locked.bin");
    writeFileSync(`${file}.lock`, "");
    const s = await HashStore.open(file, { maxEntries: 10 });
    s.set(key("p"), Buffer.from("pending"));
    assert.equal(await s.save(), false);
    assert.equal(s.get(key("p"))?.toString(), "pending");
    const old = (Date.now() - 60_000) / 1000;
    utimesSync(`${file}.lock`, old, old);
    assert.equal(await s.save(), true);
    assert.equal((await HashStore.open(file, { maxEntries: 10 })).get(key("p"))?.toString(), "pending");
    assert.equal(existsSync(`${file}.lock`), false);
  });

  it("four processes writing at once: every entry of each lands, the file is whole", { timeout: 120_000 }, async () => {
    const file = path.join(dir, "shared.bin");
    const writer = fixture("storeWriter.ts");
    await Promise.all(["p0", "p1", "p2", "p3"].map((id) => run(process.execPath, ["--import", "tsx", writer, file, id, "400"])));
    const s = await HashStore.open(file, { maxEntries: 100_000 });
    assert.equal(s.size, 1600);
    for (const id of ["p0", "p1", "p2", "p3"]) for (const n of [0, 199, 399]) assert.equal(s.get(key(`${id}:${n}`))?.toString(), String(n));
  });

  it("lives in the project's cache folder", () => {
    assert.equal(packCacheDir(), path.join(cacheHome, "longrope-qa", "packer"));
  });
});
