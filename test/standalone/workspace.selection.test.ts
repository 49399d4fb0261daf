/** Which files the packer selects: ignore files, globs, files.exclude, built-in excludes, multi-root, and which go in first. */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { after, describe, it } from "node:test";
import { packWorkspace } from "../../src/workspace/index";
import { frameFile, renderHeader, renderTree } from "../../src/workspace/format";
import { rankFiles } from "../../src/workspace/rank";
import { ReaderClass, readerClass } from "../../src/workspace/readerPriority";
import { TokenEstimator } from "../../src/workspace/tokenEstimate";
import type { PackResult } from "../../src/workspace/types";
import { makeTree, type TempTree } from "../fixtures/makeTree";
import { useTempCacheHome } from "../support/tempCache";

useTempCacheHome();

const trees: TempTree[] = [];
after(() => trees.forEach((t) => t.cleanup()));
function tree(files: Record<string, string>): TempTree {
  const t = makeTree(files);
  trees.push(t);
  return t;
}
const pack = (root: string, extra: object = {}) => packWorkspace({ roots: [{ name: "w", path: root }], redactSecrets: false, ...extra });
const paths = (r: PackResult) => r.included.map((f) => f.path).sort();
const excludedAs = (r: PackResult, p: string) => r.excluded.find((e) => e.path === p);

describe("packer selection", () => {
  it("nested .gitignore files with negations: the deepest rule wins, as in git", async () => {
    const t = tree({
      ".gitignore": "*.log\nbuild/\n",
      "a.log": "root log",
      "src/app.ts": "app",
      "src/.gitignore": "!keep.log\n*.tmp\n",
      "src/keep.log": "kept by the nested negation",
      "src/drop.log": "still ignored",
      "src/x.tmp": "ignored by the nested file",
      "src/deep/.gitignore": "!*.tmp\n",
      "src/deep/y.tmp": "re-included one level deeper",
      "build/out.js": "ignored directory",
      "docs/.gitignore": "/only-here.md\n",
      "docs/only-here.md": "anchored to docs/",
      "docs/sub/only-here.md": "not matched by an anchored pattern",
    });
    const r = await pack(t.root);
    assert.deepEqual(paths(r), [".gitignore", "docs/.gitignore", "docs/sub/only-here.md", "src/.gitignore", "src/app.ts", "src/deep/.gitignore", "src/deep/y.tmp", "src/keep.log"]);
    assert.equal(excludedAs(r, "a.log")?.reason, "gitignore");
    assert.equal(excludedAs(r, "src/drop.log")?.detail, ".gitignore: *.log");
    assert.equal(excludedAs(r, "src/x.tmp")?.detail, "src/.gitignore: *.tmp");
    assert.equal(excludedAs(r, "build/")?.reason, "gitignore", "an ignored directory is reported once, not entered");
    assert.equal(excludedAs(r, "build/out.js"), undefined);
    assert.equal(excludedAs(r, "docs/only-here.md")?.detail, "docs/.gitignore: /only-here.md");
  });

  it("honours .git/info/exclude and .longropeignore (which may re-include what .gitignore left out)", async () => {
    const t = tree({
      ".git/info/exclude": "local-notes.md\n",
      ".git/HEAD": "ref: refs/heads/main\n",
      "local-notes.md": "private",
      ".gitignore": "generated/\n",
      "generated/api.ts": "generated but wanted",
      ".longropeignore": "!generated/\nfixtures/\n",
      "fixtures/big.json": "{}",
      "main.ts": "main",
    });
    const r = await pack(t.root);
    assert.deepEqual(paths(r), [".gitignore", ".longropeignore", "generated/api.ts", "main.ts"]);
    assert.equal(excludedAs(r, "local-notes.md")?.detail, ".git/info/exclude: local-notes.md");
    assert.equal(excludedAs(r, "fixtures/")?.detail, ".longropeignore: fixtures/");
    assert.equal(excludedAs(r, ".git/")?.reason, "default-exclude");
  });

  it("built-in excludes: lock files, build output, node_modules, minified, source maps, vendored — each re-includable", async () => {
    const t = tree({
      "package-lock.json": "{}", "yarn.lock": "", "dist/index.js": "x", "node_modules/m/index.js": "m",
      "lib/app.min.js": "x", "lib/app.js.map": "{}", "vendor/dep.go": "package dep", "lib/app.js": "app",
    });
    const r = await pack(t.root);
    assert.deepEqual(paths(r), ["lib/app.js"]);
    for (const p of ["package-lock.json", "yarn.lock", "dist/", "node_modules/", "lib/app.min.js", "lib/app.js.map", "vendor/"]) {
      assert.equal(excludedAs(r, p)?.reason, "default-exclude", p);
    }
    t.write(".longropeignore", "!vendor/\n!*.min.js\n");
    const again = await pack(t.root);
    assert.ok(paths(again).includes("vendor/dep.go") && paths(again).includes("lib/app.min.js"));
    const none = await pack(t.root, { defaultExcludes: false });
    assert.ok(paths(none).includes("node_modules/m/index.js") && paths(none).includes("package-lock.json"));
  });

  it("a .git file (a worktree or submodule points at its git directory with one) is left out like a .git folder", async () => {
    const t = tree({ ".git": "gitdir: /elsewhere/.git/worktrees/x\n", "sub/.git": "gitdir: ../.git/modules/sub\n", "sub/a.ts": "a", "b.ts": "b" });
    const r = await pack(t.root);
    assert.deepEqual(paths(r), ["b.ts", "sub/a.ts"]);
    assert.equal(excludedAs(r, ".git")?.reason, "default-exclude");
  });

  it("include / exclude globs (minimatch) and VS Code's files.exclude", async () => {
    const t = tree({ "src/a.ts": "a", "src/a.test.ts": "t", "src/b.js": "b", "README.md": "r", "tmp/x.ts": "x", "src/gen/g.ts": "g" });
    const r = await pack(t.root, {
      include: ["src/**", "*.md"],
      exclude: ["**/*.test.ts", "src/gen"],
      filesExclude: { "**/tmp": true, "**/*.md": false },
    });
    assert.deepEqual(paths(r), ["README.md", "src/a.ts", "src/b.js"]);
    assert.equal(excludedAs(r, "src/a.test.ts")?.detail, "longropeQa.exclude: **/*.test.ts");
    assert.equal(excludedAs(r, "src/gen/")?.reason, "exclude-glob", "a directory glob prunes the directory");
    assert.equal(excludedAs(r, "tmp/")?.detail, "files.exclude: **/tmp");
  });

  it("multi-root: every folder, paths prefixed by the folder's name", async () => {
    const fixtures = path.resolve(__dirname, "../fixtures/multi-root");
    const r = await packWorkspace({
      roots: [{ name: "frontend", path: path.join(fixtures, "frontend") }, { name: "backend", path: path.join(fixtures, "backend") }],
      exclude: ["backend/nothing"],
    });
    assert.deepEqual(paths(r), ["backend/server.py", "frontend/app.js"]);
    assert.match(r.text, /<tree>\nbackend\/\n {2}server\.py\nfrontend\/\n {2}app\.js\n<\/tree>/);
    assert.match(r.text, /<file path="frontend\/app\.js">/);
  });
});

describe("what goes in first when the repository does not fit", () => {
  const repoRoot = path.resolve(__dirname, "../..");

  it("reader classes: README and manifests, entry points, source, docs/config/data, tests, fixtures", () => {
    const cases: [string, ReaderClass][] = [
      ["README.md", ReaderClass.Orientation], ["package.json", ReaderClass.Orientation], ["Cargo.toml", ReaderClass.Orientation],
      ["src/index.ts", ReaderClass.EntryPoint], ["src/extension.ts", ReaderClass.EntryPoint], ["main.go", ReaderClass.EntryPoint],
      ["packages/core/package.json", ReaderClass.EntryPoint], ["ARCHITECTURE.md", ReaderClass.EntryPoint],
      ["src/workspace/budget.ts", ReaderClass.Source], ["Dockerfile", ReaderClass.Source], ["scripts/build.sh", ReaderClass.Source],
      [".gitignore", ReaderClass.DocsAndConfig], ["docs/guide.md", ReaderClass.DocsAndConfig], ["tsconfig.json", ReaderClass.DocsAndConfig],
      [".github/workflows/ci.yml", ReaderClass.DocsAndConfig], ["media/icon.svg", ReaderClass.DocsAndConfig],
      ["test/unit/cli.test.ts", ReaderClass.Tests], ["src/app.spec.ts", ReaderClass.Tests], ["pkg/x_test.go", ReaderClass.Tests],
      ["test/fixtures/tiny-repo/README.md", ReaderClass.Fixtures], ["tests/testdata/a.json", ReaderClass.Fixtures],
      ["test/fixtures/mixed-repo/.longropeignore", ReaderClass.Fixtures],
    ];
    for (const [p, expected] of cases) assert.equal(readerClass(p), expected, p);
    assert.equal(readerClass("backend/README.md", 1), ReaderClass.Orientation, "multi-root: the folder name is not a level");
  });

  it("on this repository: README and package.json first, every src/ file before any test, tests before fixtures", async () => {
    const r = await pack(repoRoot);
    const files = r.included.map((f) => ({ path: f.path, text: readFileSync(f.absolutePath, "utf8"), bytes: f.bytes }));
    const ranked = rankFiles(files, {}).map((x) => files[x.index]!.path);
    assert.deepEqual(ranked.slice(0, 2), ["README.md", "package.json"]);
    const lastSrc = Math.max(...ranked.flatMap((p, i) => (p.startsWith("src/") ? [i] : [])));
    const firstTest = ranked.findIndex((p) => p.startsWith("test/"));
    const firstFixture = ranked.findIndex((p) => p.startsWith("test/fixtures/"));
    const lastNonFixtureTest = Math.max(...ranked.flatMap((p, i) => (p.startsWith("test/") && !p.startsWith("test/fixtures/") ? [i] : [])));
    assert.ok(lastSrc < firstTest, `${ranked[lastSrc]} ranks after ${ranked[firstTest]}`);
    assert.ok(lastNonFixtureTest < firstFixture, `${ranked[lastNonFixtureTest]} ranks after ${ranked[firstFixture]}`);
    assert.ok(ranked.indexOf(".gitignore") > lastSrc, ".gitignore after the source");

    const small = await pack(repoRoot, { budgetTokens: 16_000 });
    const kept = paths(small);
    assert.ok(kept.includes("README.md") && kept.includes("package.json"), kept.join(" "));
    assert.ok(kept.filter((p) => p.startsWith("src/")).length >= 3, kept.join(" "));
    const bytesOf = new Map(r.included.map((f) => [f.path, f.bytes]));
    const srcLeftOut = small.excluded.filter((e) => e.reason === "budget" && e.path.startsWith("src/")).map((e) => bytesOf.get(e.path)!);
    for (const p of kept.filter((k) => k.startsWith("test/"))) {
      assert.ok(bytesOf.get(p)! < Math.min(...srcLeftOut), `${p} went in while a smaller src/ file was left out`);
    }
  });

  it("the issue's case: a small budget takes README, package.json and src/, not .gitignore or a fixture's ignore file", async () => {
    const t = tree({
      ".gitignore": "node_modules/\n",
      "test/fixtures/repo/.longropeignore": "big/\n",
      "README.md": "# Tool\n\nWhat it does and how to run it.\n".repeat(4),
      "package.json": JSON.stringify({ name: "tool", main: "src/index.ts", scripts: { test: "node --test" } }, null, 2),
      "src/index.ts": "export { run } from './run';\n",
      "src/run.ts": "export function run(args: string[]): number {\n  return args.length;\n}\n".repeat(3),
      "tests/run.test.ts": "import { run } from '../src/run';\nrun([]);\n",
    });
    // Without a tokenizer the packer counts by length (DEFAULT_CHARS_PER_TOKEN): room for exactly these four.
    const wanted = ["README.md", "package.json", "src/index.ts", "src/run.ts"];
    const tokens = (text: string) => new TokenEstimator().estimate("", text.length);
    const budget = tokens(renderHeader(renderTree(wanted))) + wanted.reduce((n, p) => n + tokens(frameFile(p, readFileSync(path.join(t.root, p), "utf8"))), 0);
    const r = await pack(t.root, { budgetTokens: budget + 5 });
    assert.deepEqual(paths(r), wanted);
    assert.match(r.excluded.find((e) => e.path === ".gitignore")!.detail!, /lower priority/);
  });
});
