/** Order, token counts (real Llama-2 tokenizer), the token cache, the budget, progress and cancellation. */
import assert from "node:assert/strict";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import { RepoQaError } from "../../src/util/errors";
import { packWorkspace } from "../../src/workspace/index";
import type { PackProgress, PackResult, TokenCounter } from "../../src/workspace/types";
import { loadLlamaTokenizer, type CountingTokenizer } from "../fixtures/llamaTokenizer";
import { makeTree, type TempTree } from "../fixtures/makeTree";
import { useTempCacheHome } from "../support/tempCache";

const repoRoot = path.resolve(__dirname, "../..");
useTempCacheHome();
const trees: TempTree[] = [];
let tokenizer: CountingTokenizer;
before(async () => (tokenizer = await loadLlamaTokenizer()));
after(async () => {
  trees.forEach((t) => t.cleanup());
  await tokenizer.dispose();
});
function tree(files: Record<string, string>): TempTree {
  const t = makeTree(files);
  trees.push(t);
  return t;
}
let keySeq = 0;
/** A fresh cache per test: the same tokenizer under a new cache key. */
function counter(): TokenCounter & { readonly texts: string[] } {
  const texts: string[] = [];
  return { cacheKey: `test-${process.pid}-${keySeq++}`, texts, countTokens: (batch) => (texts.push(...batch), tokenizer.countTokens(batch)) };
}
const pack = (root: string, extra: object = {}) => packWorkspace({ roots: [{ name: "w", path: root }], ...extra });
const order = (r: PackResult) => r.included.map((f) => f.path);

describe("order for KV-cache reuse", () => {
  it("least recently modified first, ties by path; the same tree gives the same text", async () => {
    const t = tree({});
    t.write("b.ts", "b", 2000);
    t.write("a.ts", "a", 2000);
    t.write("z.ts", "z", 1000);
    t.write("m.ts", "m", 3000);
    const first = await pack(t.root);
    assert.deepEqual(order(first), ["z.ts", "a.ts", "b.ts", "m.ts"]);
    assert.equal((await pack(t.root)).text, first.text);
  });

  it("an edit moves the file last: everything before it stays a byte-identical prefix", async () => {
    const t = tree({});
    ["one", "two", "three", "four"].forEach((name, i) => t.write(`src/${name}.ts`, `export const ${name} = ${i};\n`, 1000 + i));
    const before = await pack(t.root);
    t.write("src/two.ts", "export const two = 22;\n", 5000);
    const afterEdit = await pack(t.root);
    assert.deepEqual(order(afterEdit), ["src/one.ts", "src/three.ts", "src/four.ts", "src/two.ts"]);
    const unchangedPrefix = before.text.slice(0, before.text.indexOf('<file path="src/two.ts">'));
    assert.ok(afterEdit.text.startsWith(unchangedPrefix) && unchangedPrefix.includes('<file path="src/one.ts">'));
  });
});

describe("tokens", () => {
  it("counts every file and the whole prompt with the model's tokenizer", async () => {
    const t = tree({ "a.ts": "export function add(a: number, b: number) {\n  return a + b;\n}\n", "README.md": "# Title\n\nSome words.\n" });
    const r = await pack(t.root, { tokenCounter: counter() });
    const whole = (await tokenizer.countTokens([r.text]))[0]!;
    assert.ok(r.included.every((f) => f.tokens! > 5));
    assert.ok(Math.abs(r.totalTokens! - whole) <= r.included.length + 1, `${r.totalTokens} vs ${whole}`);
  });

  it("caches counts by content hash: a re-pack after one edit tokenizes only the edited file", async () => {
    const t = tree({});
    for (let i = 0; i < 20; i++) t.write(`f${i}.ts`, `export const v${i} = ${i};\n`, 1000 + i);
    const c = counter();
    await pack(t.root, { tokenCounter: c });
    assert.equal(c.texts.length, 21, "20 files and the header");
    c.texts.length = 0;
    t.write("f3.ts", "export const v3 = 333;\n", 9000);
    const r = await pack(t.root, { tokenCounter: c });
    assert.deepEqual(c.texts, ['<file path="f3.ts">\nexport const v3 = 333;\n</file>\n']);
    assert.equal(r.included.at(-1)?.path, "f3.ts");
  });

  it("a counter without a cache key is not trusted across packs (it may have loaded another model)", async () => {
    const t = tree({ "a.ts": "export const a = 1;\n", "b.ts": "export const b = 2;\n" });
    const texts: string[] = [];
    const keyless: TokenCounter = { countTokens: (batch) => (texts.push(...batch), tokenizer.countTokens(batch)) };
    await pack(t.root, { tokenCounter: keyless });
    await pack(t.root, { tokenCounter: keyless });
    assert.equal(texts.length, 6, "2 files and the header, twice");
  });

  it("framing (instruction, tree, headers, line numbers) costs under 8% of the tokens of real code", async () => {
    // A fixed tree (minimatch's ESM build, pinned in package.json): the share does not drift as this repository grows.
    const fixture = path.join(repoRoot, "node_modules/minimatch/dist/esm");
    const r = await packWorkspace({ roots: [{ name: "esm", path: fixture }], tokenCounter: counter(), measureFraming: true, redactSecrets: false });
    const share = r.framingTokens! / r.totalTokens!;
    assert.ok(r.included.length >= 8 && r.totalTokens! > 20_000, `${r.included.length} files, ${r.totalTokens} tokens`);
    assert.ok(share > 0.02 && share < 0.08, `framing ${r.framingTokens} of ${r.totalTokens} tokens = ${(share * 100).toFixed(1)}%`);
  });
});

describe("budget", () => {
  const files = {
    "src/engine/cache.ts": "export class PrefixCache {\n  // keeps the repository prefix in the KV cache\n}\n".repeat(3),
    "src/open.ts": "export const openInEditor = true;\n".repeat(4),
    "src/named.ts": "export const named = 1;\n".repeat(4),
    "src/other.ts": "export const unrelated = 'words';\n".repeat(6),
    "src/generated.ts": `// @generated by a tool, do not edit\nexport const table = [${"1234567890, ".repeat(3500)}];\n`,
  };

  it("keeps open editors and named paths first, then relevance; large generated-looking files go first; says why", async () => {
    const t = tree(files);
    const all = await pack(t.root, { tokenCounter: counter() });
    const tokensOf = (p: string) => all.included.find((f) => f.path === p)!.tokens!;
    const header = all.totalTokens! - all.included.reduce((s, f) => s + f.tokens!, 0);
    const budget = header + tokensOf("src/open.ts") + tokensOf("src/named.ts") + tokensOf("src/engine/cache.ts") + 40;
    const r = await pack(t.root, { tokenCounter: counter(), budgetTokens: budget, openFiles: ["src/open.ts"], question: "How does the prefix cache work? See named.ts" });
    assert.deepEqual(order(r).sort(), ["src/engine/cache.ts", "src/named.ts", "src/open.ts"]);
    for (const p of ["src/other.ts", "src/generated.ts"]) assert.equal(r.excluded.find((e) => e.path === p)?.reason, "budget");
    assert.match(r.excluded.find((e) => e.path === "src/generated.ts")!.detail!, /large generated-looking file/);
    assert.ok(r.totalTokens! <= budget, `${r.totalTokens} > ${budget}`);
    assert.ok(!r.text.includes("src/other.ts"), "dropped files leave the tree too");
  });

  it("fills the budget: the kept files' own (smaller) tree is what counts, not the whole repo's", async () => {
    const many = Object.fromEntries(Array.from({ length: 300 }, (_, i) => [`src/module${i}.ts`, `export const value${i} = ${i};\n`]));
    const t = tree(many);
    const budget = 3000;
    const r = await pack(t.root, { tokenCounter: counter(), budgetTokens: budget });
    const largest = Math.max(...r.included.map((f) => f.tokens!));
    assert.ok(r.totalTokens! <= budget, `${r.totalTokens} > ${budget}`);
    assert.ok(r.totalTokens! > budget - 2 * (largest + 10), `only ${r.totalTokens} of ${budget} used by ${r.included.length} files`);
  });

  it("a budget too small for any file is a context-overflow error naming both numbers", async () => {
    const t = tree(files);
    await assert.rejects(pack(t.root, { tokenCounter: counter(), budgetTokens: 50 }), (e: unknown) => e instanceof RepoQaError && e.code === "context-overflow" && /budget of 50/.test(e.message));
  });
});

describe("progress and cancellation", () => {
  it("reports files seen and tokens so far", async () => {
    const t = tree(Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`d${i % 5}/f${i}.ts`, `export const x${i} = ${i};\n`])));
    const seen: PackProgress[] = [];
    const r = await pack(t.root, { tokenCounter: counter(), onProgress: (p: PackProgress) => seen.push(p) });
    assert.ok(seen.length >= 2 && seen[0]!.filesSeen >= 1);
    assert.equal(seen[0]!.phase, "scan");
    assert.equal(seen.at(-1)!.phase, "tokens");
    const last = seen.at(-1)!;
    assert.equal(last.filesIncluded, 50);
    assert.equal(last.tokensSoFar, r.included.reduce((s, f) => s + f.tokens!, 0));
  });

  it("a cancelled pack resolves with cancelled: true and an empty text — during the scan, before it, or while counting", async () => {
    const t = tree(Object.fromEntries(Array.from({ length: 300 }, (_, i) => [`d${i % 30}/f${i}.ts`, `export const x${i} = ${i};\n`])));
    const duringScan = new AbortController();
    const scanned = await pack(t.root, { signal: duringScan.signal, onProgress: () => duringScan.abort() });
    assert.equal(scanned.cancelled, true);
    assert.equal(scanned.text, "");
    assert.ok(scanned.included.length === 0);
    const early = await pack(t.root, { signal: AbortSignal.abort() });
    assert.equal(early.cancelled, true);
    const whileCounting = new AbortController();
    const abortingCounter: TokenCounter = {
      countTokens: (texts, signal) => {
        whileCounting.abort();
        if (signal?.aborted) return Promise.reject(Object.assign(new Error("aborted"), { name: "AbortError" }));
        return Promise.resolve(texts.map(() => 1));
      },
    };
    const counted = await pack(t.root, { signal: whileCounting.signal, tokenCounter: abortingCounter });
    assert.equal(counted.cancelled, true);
    assert.equal(counted.text, "");
  });
});
