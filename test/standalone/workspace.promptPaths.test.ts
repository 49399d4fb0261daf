/**
 * One naming of workspace files in the prompt (src/workspace/promptPaths): file → prompt path → file, in one and in
 * several roots, through the pure module and through the real packer and citation resolver.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import { resolveCitation } from "../../src/chat/citations";
import { packWorkspace } from "../../src/workspace/index";
import { PromptPaths, isInsideRoot } from "../../src/workspace/promptPaths";

const base = path.join(os.tmpdir(), "lrq-names");
const files = ["src/main.ts", "..hidden.ts", ".env.example", "a..b/c.ts", "deep/er/x.y.z.ts"];

function roundTrip(paths: PromptPaths, file: string): string | undefined {
  const named = paths.ofFile(file);
  return named === undefined ? undefined : paths.candidates(named)[0];
}

describe("prompt paths: one module names files for the packer, the editor and citations", () => {
  it("one root: the path from the root with / separators, and back", () => {
    const root = path.join(base, "app");
    const paths = new PromptPaths([{ name: "app", path: root }]);
    for (const rel of files) {
      const file = path.join(root, ...rel.split("/"));
      assert.equal(paths.ofFile(file), rel);
      assert.equal(roundTrip(paths, file), file, rel);
    }
    assert.equal(paths.rootSegments, 0);
  });

  it("several roots: the label first, and back, for every file of every root", () => {
    const roots = [
      { name: "app", path: path.join(base, "one", "app") },
      { name: "lib", path: path.join(base, "lib") },
    ];
    const paths = new PromptPaths(roots);
    assert.equal(paths.rootSegments, 1);
    for (const root of roots) {
      for (const rel of files) {
        const file = path.join(root.path, ...rel.split("/"));
        assert.equal(paths.ofFile(file), `${root.name}/${rel}`);
        assert.equal(roundTrip(paths, file), file, `${root.name}/${rel}`);
      }
    }
  });

  it("roots whose names collide get labels of their own, and each file comes back from its own root", () => {
    const roots = [
      { name: "app", path: path.join(base, "a", "app") },
      { name: "app", path: path.join(base, "b", "app") },
      { name: "app-2", path: path.join(base, "app-2") },
      { name: "client/web", path: path.join(base, "web") },
    ];
    const paths = new PromptPaths(roots);
    assert.deepEqual(paths.roots.map((r) => r.label), ["app", "app-3", "app-2", "client-web"]);
    for (const root of roots) {
      const file = path.join(root.path, "src", "main.ts");
      assert.equal(roundTrip(paths, file), file, root.path);
    }
    assert.equal(paths.ofFile(path.join(base, "b", "app", "x.ts")), "app-3/x.ts");
    assert.equal(paths.ofFile(path.join(base, "web", "x.ts")), "client-web/x.ts");
  });

  it("paths outside every root have no prompt path; a root is not a file in itself", () => {
    const root = path.join(base, "app");
    const paths = new PromptPaths([{ name: "app", path: root }, { name: "lib", path: path.join(base, "lib") }]);
    for (const outside of [base, root, path.join(base, "app-outside", "x.ts"), path.join(base, "..hidden.ts"), "/etc/passwd"]) {
      assert.equal(paths.ofFile(outside), undefined, outside);
    }
    assert.equal(isInsideRoot(root, path.join(root, "..hidden.ts")), true);
    assert.equal(isInsideRoot(root, path.join(root, "..", "x.ts")), false);
    assert.equal(isInsideRoot(root, root), false);
  });

  it("a cited path without the label is tried under every root, after the root its first segment names", () => {
    const roots = [{ name: "app", path: path.join(base, "app") }, { name: "lib", path: path.join(base, "lib") }];
    const paths = new PromptPaths(roots);
    assert.deepEqual(paths.candidates("lib/src/a.ts"), [
      path.join(base, "lib", "src", "a.ts"),
      path.join(base, "app", "lib", "src", "a.ts"),
      path.join(base, "lib", "lib", "src", "a.ts"),
    ]);
    assert.deepEqual(paths.candidates("src/a.ts"), [path.join(base, "app", "src", "a.ts"), path.join(base, "lib", "src", "a.ts")]);
  });
});

describe("prompt paths through the real packer and citation resolver", () => {
  let tmp: string;
  let roots: { name: string; path: string }[];
  before(() => {
    tmp = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), "lrq-names-")));
    roots = [
      { name: "app", path: path.join(tmp, "a", "app") },
      { name: "app", path: path.join(tmp, "b", "app") },
    ];
    for (const [i, root] of roots.entries()) {
      for (const rel of files) {
        const file = path.join(root.path, ...rel.split("/"));
        fs.mkdirSync(path.dirname(file), { recursive: true });
        fs.writeFileSync(file, `// root ${i}: ${rel}\nexport const x = ${i};\n`);
      }
    }
    fs.writeFileSync(path.join(tmp, "outside.ts"), "outside\n");
  });
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it("every packed file's prompt path resolves back to that file, in two roots both named app", async () => {
    const packed = await packWorkspace({ roots, defaultExcludes: false });
    const names = packed.included.map((f) => f.path).sort();
    assert.equal(names.length, 2 * files.length, JSON.stringify(packed.excluded));
    assert.equal(new Set(names).size, names.length, "no two files share a prompt path");
    assert.ok(names.includes("app-2/..hidden.ts") && names.includes("app/..hidden.ts"), names.join(", "));
    for (const file of packed.included) {
      assert.equal(await resolveCitation(roots, file.path), file.absolutePath, file.path);
      assert.equal(new PromptPaths(roots).ofFile(file.absolutePath), file.path);
    }
    assert.equal(await resolveCitation(roots, "../../outside.ts"), undefined);
    assert.equal(await resolveCitation(roots, "app/../../../outside.ts"), undefined);
  });
});
