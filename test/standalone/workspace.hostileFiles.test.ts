/**
 * Files a hostile repository controls: ignore files that are FIFOs, devices or links to them, oversized ignore files,
 * and a maxFileBytes far past what can be held as text. Each pack must finish, and say what it skipped and why.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { closeSync, ftruncateSync, mkdirSync, openSync, symlinkSync } from "node:fs";
import * as path from "node:path";
import { after, describe, it } from "node:test";
import { IGNORE_FILE_MAX_BYTES } from "../../src/workspace/ignoreRules";
import { packWorkspace } from "../../src/workspace/index";
import { MAX_FILE_BYTES_LIMIT } from "../../src/workspace/readFiles";
import type { PackResult } from "../../src/workspace/types";
import { makeTree, type TempTree } from "../fixtures/makeTree";
import { useTempCacheHome } from "../support/tempCache";

// Findings are cached on disk by content: a scan from an earlier run must not stand in for this one.
useTempCacheHome();

const trees: TempTree[] = [];
after(() => trees.forEach((t) => t.cleanup()));
function tree(files: Record<string, string> = {}): TempTree {
  const t = makeTree(files);
  trees.push(t);
  return t;
}
const pack = (root: string, extra: object = {}) => packWorkspace({ roots: [{ name: "w", path: root }], redactSecrets: false, ...extra });
const paths = (r: PackResult) => r.included.map((f) => f.path).sort();
const skippedIgnoreFiles = (r: PackResult) =>
  Object.fromEntries(r.excluded.filter((e) => e.reason === "ignore-file-skipped").map((e) => [e.path, e.detail]));

/** Fails the test instead of hanging the runner when a pack blocks (the FIFO case hung forever before). */
async function within<T>(ms: number, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`still running after ${ms} ms`)), ms)));
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

describe("hostile ignore files", () => {
  it("a .gitignore that is a FIFO is skipped with a reason, and the pack finishes", async () => {
    const t = tree({ "a.ts": "a", "sub/b.ts": "b" });
    execFileSync("mkfifo", [path.join(t.root, ".gitignore")]);
    execFileSync("mkfifo", [path.join(t.root, "sub", ".longropeignore")]);
    const r = await within(10_000, pack(t.root));
    assert.deepEqual(paths(r), ["a.ts", "sub/b.ts"]);
    assert.match(skippedIgnoreFiles(r)[".gitignore"]!, /^a FIFO \(named pipe\), not a regular file; its patterns were not applied$/);
    assert.match(skippedIgnoreFiles(r)["sub/.longropeignore"]!, /FIFO/);
  });

  it("ignore files linked to /dev/stdin, /dev/zero and /dev/urandom are not followed (as git does not)", async () => {
    const t = tree({ "a.ts": "a", "b/x.ts": "x", "c/y.ts": "y" });
    symlinkSync("/dev/stdin", path.join(t.root, ".longropeignore"));
    symlinkSync("/dev/zero", path.join(t.root, "b", ".gitignore"));
    symlinkSync("/dev/urandom", path.join(t.root, "c", ".gitignore"));
    const before = process.memoryUsage().rss;
    const r = await within(10_000, pack(t.root));
    assert.deepEqual(paths(r), ["a.ts", "b/x.ts", "c/y.ts"]);
    const skipped = skippedIgnoreFiles(r);
    for (const p of [".longropeignore", "b/.gitignore", "c/.gitignore"]) assert.match(skipped[p]!, /^a symbolic link \(not followed/);
    assert.ok(process.memoryUsage().rss - before < 200 * 1024 * 1024, "no device was read into memory");
  });

  it(".git/info/exclude may be a link (git follows it there), but a device behind it is never read", async () => {
    for (const device of ["/dev/zero", "/dev/urandom"]) {
      const t = tree({ "a.ts": "a", ".git/HEAD": "ref: refs/heads/main\n" });
      mkdirSync(path.join(t.root, ".git", "info"));
      symlinkSync(device, path.join(t.root, ".git", "info", "exclude"));
      const r = await within(10_000, pack(t.root));
      assert.deepEqual(paths(r), ["a.ts"]);
      assert.match(skippedIgnoreFiles(r)[".git/info/exclude"]!, /^a character device, not a regular file/);
    }
  });

  it("an ignore file over the cap is skipped, naming its size", async () => {
    const t = tree({ "a.ts": "a", "b.ts": "b" });
    t.write(".gitignore", `a.ts\n${"#".repeat(IGNORE_FILE_MAX_BYTES)}\n`);
    const r = await pack(t.root);
    assert.deepEqual(paths(r), [".gitignore", "a.ts", "b.ts"]);
    assert.match(skippedIgnoreFiles(r)[".gitignore"]!, new RegExp(`^${IGNORE_FILE_MAX_BYTES + 6} bytes, limit ${IGNORE_FILE_MAX_BYTES}`));
  });
});

describe("maxFileBytes past what text can hold", () => {
  it("a 1.5 GB sparse file with maxFileBytes 1e12 is refused from its size, never read", async () => {
    const t = tree({ "small.ts": "export const small = 1;\n" });
    const fd = openSync(path.join(t.root, "sparse.ts"), "w");
    ftruncateSync(fd, 1.5 * 1024 ** 3);
    closeSync(fd);
    const before = process.memoryUsage().rss;
    const r = await pack(t.root, { maxFileBytes: 1e12 });
    assert.deepEqual(paths(r), ["small.ts"]);
    const sparse = r.excluded.find((e) => e.path === "sparse.ts");
    assert.deepEqual(sparse, { path: "sparse.ts", reason: "too-large", detail: `${1.5 * 1024 ** 3} bytes, limit ${MAX_FILE_BYTES_LIMIT}` });
    assert.ok(process.memoryUsage().rss - before < 200 * 1024 * 1024);
  });
});
