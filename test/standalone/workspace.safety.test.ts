/** The packer on hostile trees: links, loops, huge and binary files, bad encodings, secrets, races. */
import assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import { chmodSync, mkdtempSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, describe, it } from "node:test";
import { packWorkspace } from "../../src/workspace/index";
import { readCandidates } from "../../src/workspace/readFiles";
import type { PackResult } from "../../src/workspace/types";
import { makeTree, type TempTree } from "../fixtures/makeTree";
import { useTempCacheHome } from "../support/tempCache";

// Findings are cached on disk by content: a scan from an earlier run must not stand in for this one.
useTempCacheHome();

const trees: TempTree[] = [];
after(() => trees.forEach((t) => t.cleanup()));
function tree(files: Record<string, string | Buffer> = {}): TempTree {
  const t = makeTree(files);
  trees.push(t);
  return t;
}
const pack = (root: string, extra: object = {}) => packWorkspace({ roots: [{ name: "w", path: root }], ...extra });
const paths = (r: PackResult) => r.included.map((f) => f.path).sort();
const excludedAs = (r: PackResult, p: string) => r.excluded.find((e) => e.path === p);
const blockOf = (r: PackResult, p: string) => r.text.slice(r.text.indexOf(`<file path="${p}">`)).split("</file>")[0]!;

describe("packer safety", () => {
  it("a symbolic-link loop is reported as symlink-loop, never walked forever", async () => {
    const t = tree({ "a/file.ts": "a" });
    symlinkSync("..", path.join(t.root, "a", "up"));
    symlinkSync("self", path.join(t.root, "self"));
    const r = await pack(t.root);
    assert.deepEqual(paths(r), ["a/file.ts"]);
    assert.equal(excludedAs(r, "a/up/")?.reason, "symlink-loop");
    assert.equal(excludedAs(r, "self")?.reason, "symlink-loop");
  });

  it("links are followed inside the workspace only", async () => {
    const outside = mkdtempSync(path.join(os.tmpdir(), "lrq-outside-"));
    after(() => rmSync(outside, { recursive: true, force: true }));
    writeFileSync(path.join(outside, "passwords.txt"), "not yours");
    const t = tree({ "src/real.ts": "export const real = 1;\n", "lib/inner.ts": "inner" });
    symlinkSync(path.join(outside, "passwords.txt"), path.join(t.root, "leak.txt"));
    symlinkSync(outside, path.join(t.root, "outdir"));
    symlinkSync(path.join(t.root, "src", "real.ts"), path.join(t.root, "alias.ts"));
    symlinkSync(path.join(t.root, "lib"), path.join(t.root, "libalias"));
    symlinkSync(path.join(t.root, "missing.ts"), path.join(t.root, "broken.ts"));
    const r = await pack(t.root);
    assert.deepEqual(paths(r), ["alias.ts", "lib/inner.ts", "libalias/inner.ts", "src/real.ts"]);
    assert.equal(excludedAs(r, "leak.txt")?.reason, "symlink-outside");
    assert.equal(excludedAs(r, "outdir")?.reason, "symlink-outside");
    assert.equal(excludedAs(r, "broken.ts")?.reason, "unreadable");
    assert.ok(!r.text.includes("not yours"));
  });

  it("a 50 MB file is too-large without being read; with a raised limit it is packed", async () => {
    const t = tree({ "small.ts": "ok" });
    const line = "const value = 'the quick brown fox jumps over the lazy dog';\n";
    t.write("huge.ts", line.repeat(Math.ceil((50 * 1024 * 1024) / line.length)));
    const started = Date.now();
    const r = await pack(t.root);
    assert.equal(excludedAs(r, "huge.ts")?.reason, "too-large");
    assert.match(excludedAs(r, "huge.ts")!.detail!, /^5\d{7} bytes, limit 1048576$/);
    assert.ok(Date.now() - started < 5000, "skipping a huge file must not read it");
    const raised = await pack(t.root, { maxFileBytes: 64 * 1024 * 1024, redactSecrets: false });
    const huge = raised.included.find((f) => f.path === "huge.ts")!;
    assert.ok(huge.bytes > 50 * 1024 * 1024 && huge.lines! > 800_000);
    assert.ok(raised.text.includes(`\n800000|${line}`));
  });

  it("a PNG renamed .ts is binary; Latin-1 and invalid UTF-8 are text, decoded with replacement, never a crash", async () => {
    const png = Buffer.from("89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000a49444154789c63000100000500010d0a2db40000000049454e44ae426082", "hex");
    const latin1 = Buffer.from("// Café, naïve, façade\nconst greeting = 'Grüße';\n", "latin1");
    const invalid = Buffer.concat([Buffer.from("const a = 1;\n// bad: "), Buffer.from([0xc3, 0x28, 0xff, 0x80]), Buffer.from("\nconst b = 2;\n")]);
    const t = tree({ "logo.ts": png, "latin1.ts": latin1, "invalid.ts": invalid, "ok.ts": "const ok = 'é';\n" });
    const r = await pack(t.root);
    assert.equal(excludedAs(r, "logo.ts")?.reason, "binary");
    assert.deepEqual(paths(r), ["invalid.ts", "latin1.ts", "ok.ts"]);
    assert.match(blockOf(r, "latin1.ts"), /Caf\uFFFD, na\uFFFDve[\s\S]*const greeting = 'Gr\uFFFD\uFFFDe';/);
    assert.match(blockOf(r, "invalid.ts"), /const a = 1;\n\/\/ bad: \uFFFD\(\uFFFD\uFFFD\nconst b = 2;/);
    assert.equal(r.included.find((f) => f.path === "invalid.ts")?.invalidUtf8, true);
    assert.equal(r.included.find((f) => f.path === "ok.ts")?.invalidUtf8, undefined);
  });

  it("an AWS key pair and a private key are redacted, the rest of the file and its line numbers kept", async () => {
    const keyId = ["AKIA", "QYLPMN5HHHFPZAM2"].join("");
    const secret = ["1tUm636uS1yOEcfP5pvfq", "J/ml36mF7AkyHsEU0IU"].join("");
    const pem = generateKeyPairSync("rsa", { modulusLength: 1024 }).privateKey.export({ type: "pkcs1", format: "pem" }).toString().trim();
    const lines = ["const region = 'us-east-1';", `const AWS_ACCESS_KEY_ID = '${keyId}';`, `const AWS_SECRET_ACCESS_KEY = '${secret}';`, pem, "export const after = true;"];
    const t = tree({ "config.ts": `${lines.join("\n")}\n`, "clean.ts": "export const clean = 1;\n" });
    const r = await pack(t.root);
    const block = blockOf(r, "config.ts");
    for (const leaked of [keyId, secret, secret.slice(20), "PRIVATE KEY", pem.split("\n")[1]!]) assert.ok(!r.text.includes(leaked), `leaked ${leaked.slice(0, 12)}…`);
    assert.match(block, /const AWS_ACCESS_KEY_ID = '\[REDACTED:AWSAccessKeyID\]';/);
    assert.match(block, /const AWS_SECRET_ACCESS_KEY = '\[REDACTED:AWSSecretAccessKey\]';/);
    assert.match(block, /\[REDACTED:PrivateKey\]/);
    const afterLine = 4 + pem.split("\n").length;
    const numbered = afterLine % 5 === 0 ? `${afterLine}|export const after = true;` : "export const after = true;";
    assert.equal(block.split("\n")[afterLine], numbered, "lines after a multi-line secret keep their numbers");
    assert.equal(r.included.find((f) => f.path === "config.ts")?.redactions, 3);
    assert.equal(r.included.find((f) => f.path === "clean.ts")?.redactions, 0);
  });

  it("small files scanned together keep their own findings; a disable comment in one file does not reach the next", async () => {
    const keyId = ["AKIA", "ZX3Q7PLM2NB5VW4R"].join("");
    const files: Record<string, string> = { "a.ts": "// secretlint-disable\nconst x = 1;\n", "b.ts": `const id = '${keyId}';\n`, "c.json": `{"key": "${keyId}"}\n` };
    for (let i = 0; i < 40; i++) files[`filler${i}.ts`] = `export const f${i} = ${i};\n`;
    const t = tree(files);
    const r = await pack(t.root);
    assert.ok(!r.text.includes(keyId));
    const again = await pack(t.root);
    assert.equal(again.text, r.text, "a re-pack (findings from the cache) redacts the same");
    assert.deepEqual(r.included.filter((f) => f.redactions > 0).map((f) => f.path).sort(), ["b.ts", "c.json"]);
    assert.match(blockOf(r, "filler39.ts"), /export const f39 = 39;/);
  });

  it("a file deleted between the scan and the read is reported as unreadable, not thrown", async () => {
    const t = tree({ "stays.ts": "stays", "vanishes.ts": "vanishes" });
    const r = await packWorkspace(
      { roots: [{ name: "w", path: t.root }] },
      { readCandidates: (candidates, ...rest) => (unlinkSync(path.join(t.root, "vanishes.ts")), readCandidates(candidates, ...rest)) },
    );
    assert.deepEqual(paths(r), ["stays.ts"]);
    assert.deepEqual(excludedAs(r, "vanishes.ts"), { path: "vanishes.ts", reason: "unreadable", detail: "deleted during the scan" });
  });

  it("an unreadable file is reported (skipped when running as root, which reads everything)", { skip: process.getuid?.() === 0 && "root bypasses file permissions" }, async () => {
    const t = tree({ "open.ts": "open" });
    chmodSync(t.write("closed.ts", "closed"), 0o000);
    const r = await pack(t.root);
    assert.equal(excludedAs(r, "closed.ts")?.detail, "permission denied");
  });
});
