import assert from "node:assert/strict";
import * as path from "node:path";
import { after, describe, it } from "node:test";
import { INSTRUCTION, packWorkspace, renderPackReport, toPackJson } from "../../src/workspace/index";
import { RepoQaError } from "../../src/util/errors";
import { frameFile } from "../../src/workspace/format";
import { makeTree, type TempTree } from "../fixtures/makeTree";
import { useTempCacheHome } from "../support/tempCache";

useTempCacheHome();

const fixtures = path.resolve(__dirname, "../fixtures");
const trees: TempTree[] = [];
after(() => trees.forEach((t) => t.cleanup()));
function tree(files: Record<string, string | Buffer>): TempTree {
  const t = makeTree(files);
  trees.push(t);
  return t;
}
const pack = (root: string, extra: object = {}) => packWorkspace({ roots: [{ name: "w", path: root }], ...extra });
const paths = (r: { included: readonly { path: string }[] }) => r.included.map((f) => f.path).sort();
const reasonOf = (r: { excluded: readonly { path: string; reason: string }[] }, p: string) =>
  r.excluded.find((e) => e.path === p)?.reason;

describe("packWorkspace: the walking slice", () => {
  it("packs tiny-repo: instruction, tree, every file framed by its path with line numbers", async () => {
    const r = await pack(path.join(fixtures, "tiny-repo"));
    assert.deepEqual(paths(r), ["README.md", "src/greet.ts", "src/index.ts", "src/math.ts"]);
    assert.ok(r.text.startsWith(`${INSTRUCTION}\n\n<tree>\n`), "the instruction, exactly, then the tree");
    assert.match(INSTRUCTION, /Cite the lines you rely on as path:line \(for example src\/app\.ts:42\)/);
    assert.match(r.text, /<tree>\nREADME\.md\nsrc\/\n {2}greet\.ts\n {2}index\.ts\n {2}math\.ts\n<\/tree>/);
    assert.match(r.text, /<file path="src\/math\.ts">\n\/\*\* Adds two numbers\. \*\/\n/);
    assert.ok(r.text.includes("5|\n/** Multiplies two numbers. */"), "line 5 of math.ts carries its number");
  });

  it("numbers every 5th line, keeps a last line without newline, and an empty file has no lines", () => {
    const text = Array.from({ length: 12 }, (_, i) => `l${i + 1}`).join("\n");
    const lines = frameFile("a.ts", text).split("\n");
    assert.deepEqual(lines.slice(1, -2), ["l1", "l2", "l3", "l4", "5|l5", "l6", "l7", "l8", "l9", "10|l10", "l11", "l12"]);
    assert.equal(frameFile("e.ts", ""), '<file path="e.ts">\n</file>\n');
    assert.equal(frameFile("n.ts", "a\nb\nc\nd\ne\n"), '<file path="n.ts">\na\nb\nc\nd\n5|e\n</file>\n');
  });

  it("skips binary files and reports the default-excluded and .longropeignore'd ones with reasons", async () => {
    const r = await pack(path.join(fixtures, "mixed-repo"));
    assert.equal(reasonOf(r, "assets/logo.png"), "binary");
    assert.equal(reasonOf(r, "lib/util.min.js"), "default-exclude");
    assert.equal(reasonOf(r, "docs/draft.md"), "gitignore");
    assert.ok(paths(r).includes("lib/util.js"));
  });

  it("honours .gitignore, include and exclude globs", async () => {
    const t = tree({ ".gitignore": "*.log\nsecret/\n", "a.ts": "a", "b.js": "b", "x.log": "x", "secret/k.ts": "k", "gen/g.ts": "g" });
    const r = await pack(t.root, { include: ["**/*.ts", "*.log"], exclude: ["gen/**"] });
    assert.deepEqual(paths(r), ["a.ts"]);
    assert.equal(reasonOf(r, "x.log"), "gitignore");
    assert.equal(reasonOf(r, "secret/"), "gitignore");
    assert.equal(reasonOf(r, "b.js"), "not-included");
    assert.equal(reasonOf(r, "gen/g.ts"), "exclude-glob");
  });

  it("leaves out files over maxFileBytes as too-large", async () => {
    const t = tree({ "big.txt": "x".repeat(2000), "small.txt": "ok" });
    const r = await pack(t.root, { maxFileBytes: 1000 });
    assert.deepEqual(paths(r), ["small.txt"]);
    assert.equal(reasonOf(r, "big.txt"), "too-large");
  });

  it("an empty workspace throws empty-workspace with a sentence, never an empty prompt", async () => {
    const t = tree({});
    await assert.rejects(pack(t.root), (e: unknown) => e instanceof RepoQaError && e.code === "empty-workspace" && /nothing to read/.test(e.message));
    const onlyIgnored = tree({ ".gitignore": "*\n" });
    await assert.rejects(pack(onlyIgnored.root), (e: unknown) => e instanceof RepoQaError && /excluded/.test(e.message));
  });

  it("a missing folder is a bad-input error naming it", async () => {
    await assert.rejects(pack("/nonexistent/lrq"), (e: unknown) => e instanceof RepoQaError && e.message.includes("/nonexistent/lrq"));
  });

  it("toPackJson has exactly the CLI's keys and renderPackReport lists both sides with totals", async () => {
    const r = await pack(path.join(fixtures, "mixed-repo"));
    const json = toPackJson(r);
    assert.ok(Array.isArray(json.included) && Array.isArray(json.excluded) && "totalTokens" in json);
    assert.deepEqual(Object.keys(json.included[0]!).slice(0, 3), ["path", "bytes", "tokens"]);
    assert.deepEqual(Object.keys(json.excluded[0]!).slice(0, 2), ["path", "reason"]);
    const md = renderPackReport(r);
    for (const heading of ["## Included files", "## Excluded files", "## Totals by folder", "## Totals by language"]) assert.ok(md.includes(heading));
    assert.match(md, /\| assets\/logo\.png \| binary \|/);
    assert.match(md, /\| JavaScript \| 1 \|/);
  });
});
