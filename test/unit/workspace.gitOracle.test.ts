/**
 * The packer's ignore decisions against git itself as the oracle: over the fixture trees, a generated tree of tricky
 * patterns (with core.ignorecase false and true) and this repository, the files the walker keeps are exactly the
 * files `git ls-files --others --exclude-standard` lists. Git runs with no global or system config.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { appendFileSync, cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, describe, it } from "node:test";
import { collectRoot, type CollectResult } from "../../src/workspace/collect";
import { GlobRules } from "../../src/workspace/globRules";
import { makeTree, type TempTree } from "../fixtures/makeTree";

const home = mkdtempSync(path.join(os.tmpdir(), "lrq-githome-"));
const trees: TempTree[] = [];
after(() => {
  trees.forEach((t) => t.cleanup());
  rmSync(home, { recursive: true, force: true });
});

const gitEnv = { ...process.env, HOME: home, XDG_CONFIG_HOME: home, GIT_CONFIG_NOSYSTEM: "1", GIT_CONFIG_GLOBAL: "/dev/null" };
function git(cwd: string, ...args: string[]): string {
  return execFileSync("git", args, { cwd, env: gitEnv, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
}

function initRepo(root: string, ignoreCase: boolean): void {
  git(root, "init", "-q");
  git(root, "config", "core.ignorecase", String(ignoreCase));
}

/** Files git would add: untracked and not ignored (plus tracked ones that no rule ignores, for a real checkout). */
function keptByGit(root: string, tracked = false): string[] {
  const listed = git(root, "ls-files", "-z", "--others", "--exclude-standard", ...(tracked ? ["--cached"] : [])).split("\0");
  const ignoredTracked = tracked ? new Set(git(root, "ls-files", "-z", "--cached", "--ignored", "--exclude-standard").split("\0")) : new Set();
  return [...new Set(listed.filter((p) => p !== "" && !ignoredTracked.has(p)))].sort();
}

async function keptByUs(root: string): Promise<string[]> {
  const out: CollectResult = { candidates: [], excluded: [] };
  const ctx = { globs: new GlobRules({}), defaultExcludes: false, realRoots: [root], multiRoot: false, onSeen: () => undefined };
  await collectRoot({ name: "w", path: root }, root, ctx, out);
  return out.candidates.map((c) => c.path).filter((p) => p !== ".git" && !p.startsWith(".git/")).sort();
}

function difference(a: readonly string[], b: readonly string[]): string[] {
  const other = new Set(b);
  return a.filter((p) => !other.has(p));
}

/**
 * `.longropeignore` is ours, unknown to git: a fixture copy appends it to the folder's `.gitignore` (the same layering,
 * since it is read after `.gitignore`); in this repository the folders that have one are left out of the comparison
 * (their fixture is compared on its own).
 */
function mergeLongropeIgnore(root: string): void {
  for (const file of readdirSync(root, { recursive: true, encoding: "utf8" }).filter((f) => path.basename(f) === ".longropeignore")) {
    appendFileSync(path.join(root, path.dirname(file), ".gitignore"), `\n${readFileSync(path.join(root, file), "utf8")}`);
    rmSync(path.join(root, file));
  }
}

async function assertSameAsGit(root: string, tracked = false): Promise<number> {
  let ours = await keptByUs(root);
  let theirs = keptByGit(root, tracked);
  const ownRules = ours.filter((p) => path.posix.basename(p) === ".longropeignore").map((p) => path.posix.dirname(p));
  const outside = (p: string) => !ownRules.some((dir) => p.startsWith(`${dir}/`));
  ours = ours.filter(outside);
  theirs = theirs.filter(outside);
  assert.deepEqual(
    { onlyOurs: difference(ours, theirs), onlyGit: difference(theirs, ours) },
    { onlyOurs: [], onlyGit: [] },
    "files kept by the packer but not by git, or the other way round",
  );
  return ours.length;
}

/** Patterns that differ between implementations: negations under excluded folders, `**`, spaces, escapes, classes, case. */
const TRICKY_GITIGNORE = [
  "# a comment",
  "\\#hash.txt",
  "\\!bang.txt",
  "*.log",
  "!keep.log",
  "build/",
  "!build/rescued.txt",
  "docs/**/*.tmp",
  "**/cache",
  "a/**/b",
  "trailing.txt   ",
  "escaped\\ ",
  "[ab].txt",
  "[!x]y.md",
  "file[0-9].c",
  "Icon?",
  "/rooted.txt",
  "nested/*.md",
  "only-dir/",
  "**/deep/**/leaf.js",
  "*.LOG2",
  "lib/**",
  "!lib/keep/",
  "!lib/keep/**",
].join("\n");

const TRICKY_FILES = [
  "#hash.txt", "!bang.txt", "x.log", "keep.log", "sub/y.log", "build/a.txt", "build/rescued.txt", "docs/x.tmp",
  "docs/a/b/c.tmp", "docs/keep.md", "cache", "src/cache/x.ts", "a/b", "a/x/y/b", "a/bb", "trailing.txt", "escaped ",
  "escaped", "a.txt", "b.txt", "c.txt", "ay.md", "xy.md", "file1.c", "filea.c", "Icons", "icons/logo.svg", "IconX",
  "rooted.txt", "sub/rooted.txt", "nested/a.md", "nested/deep/b.md", "only-dir", "dir/only-dir/x.ts", "p/deep/q/leaf.js",
  "p/leaf.js", "X.LOG2", "x.log2", "lib/a.js", "lib/keep/b.js", "README.md", "sub/ok.ts",
];

function trickyTree(): TempTree {
  const files: Record<string, string> = Object.fromEntries(TRICKY_FILES.map((f) => [f, `// ${f}\n`]));
  files[".gitignore"] = `${TRICKY_GITIGNORE}\n`;
  files["sub/.gitignore"] = "!y.log\n/ok.ts\n!/ok.ts\nlocal-only.txt\n";
  files["sub/local-only.txt"] = "x";
  files["other/local-only.txt"] = "x";
  const t = makeTree(files);
  trees.push(t);
  return t;
}

describe("ignore rules equal git's (git ls-files as the oracle)", () => {
  it("a generated tree of tricky patterns, with core.ignorecase false", async () => {
    const t = trickyTree();
    initRepo(t.root, false);
    const kept = await assertSameAsGit(t.root);
    assert.ok(kept >= 15, `only ${kept} files kept: the tree does not exercise much`);
    assert.ok((await keptByUs(t.root)).includes("icons/logo.svg"), "Icon? must not drop icons/ when case matters");
  });

  it("the same tree with core.ignorecase true (read from .git/config)", async () => {
    const t = trickyTree();
    initRepo(t.root, true);
    await assertSameAsGit(t.root);
    assert.ok(!(await keptByUs(t.root)).includes("icons/logo.svg"));
  });

  it("ignore rules in .git/info/exclude and a .gitignore that is a symbolic link (git does not follow it)", async () => {
    const t = makeTree({ "a.ts": "a", "b.ts": "b", "c.ts": "c", "patterns.txt": "a.ts\n", "sub/x.ts": "x" });
    trees.push(t);
    initRepo(t.root, false);
    t.write(".git/info/exclude", "b.ts\n");
    symlinkSync("../patterns.txt", path.join(t.root, "sub", ".gitignore"));
    symlinkSync("patterns.txt", path.join(t.root, ".gitignore"));
    await assertSameAsGit(t.root);
  });

  for (const fixture of ["tiny-repo", "mixed-repo", "multi-root"]) {
    it(`the fixture ${fixture}`, async () => {
      const root = mkdtempSync(path.join(os.tmpdir(), "lrq-oracle-"));
      trees.push({ root, write: () => root, cleanup: () => rmSync(root, { recursive: true, force: true }) });
      cpSync(path.join(import.meta.dirname, "..", "fixtures", fixture), root, { recursive: true });
      mergeLongropeIgnore(root);
      initRepo(root, false);
      await assertSameAsGit(root);
    });
  }

  it("this repository (tracked and untracked files)", async () => {
    const repo = path.resolve(import.meta.dirname, "..", "..");
    const kept = await assertSameAsGit(repo, true);
    assert.ok(kept > 100);
  });
});
