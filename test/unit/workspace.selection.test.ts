/** Which files the packer selects: ignore files, globs, files.exclude, built-in excludes, multi-root. */
import assert from "node:assert/strict";
import * as path from "node:path";
import { after, describe, it } from "node:test";
import { packWorkspace } from "../../src/workspace/index";
import type { PackResult } from "../../src/workspace/types";
import { makeTree, type TempTree } from "../fixtures/makeTree";

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
    assert.match(r.text, /<tree>\nbackend\/\n  server\.py\nfrontend\/\n  app\.js\n<\/tree>/);
    assert.match(r.text, /<file path="frontend\/app\.js">/);
  });
});
