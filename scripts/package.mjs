#!/usr/bin/env node
// Builds a per-platform VSIX: only that platform's node-llama-cpp binaries go in (all of them make 400–600 MB).
// Usage: node scripts/package.mjs [--target linux-x64] [--with-cuda-ext]
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync, readdirSync, statSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

const args = process.argv.slice(2);
const flag = (name) => { const i = args.indexOf(name); return i >= 0 ? args[i + 1] : undefined; };
const target = flag("--target") ?? `${process.platform === "win32" ? "win32" : process.platform}-${process.arch}`;
const withCudaExt = args.includes("--with-cuda-ext");
// VS Code targets and node-llama-cpp's binary package names differ only for macOS.
const binaryPrefix = target.replace(/^darwin-/, "mac-");

const binaries = readdirSync("node_modules/@node-llama-cpp");
const keep = binaries.filter((b) => (b === binaryPrefix || b.startsWith(binaryPrefix + "-")) && (withCudaExt || !b.endsWith("-cuda-ext")));
if (!keep.length) throw new Error(`No node-llama-cpp binaries for ${target} in node_modules/@node-llama-cpp (have: ${binaries.join(", ")}).`);

const tmp = mkdtempSync(path.join(tmpdir(), "lrq-vsix-"));
try {
  const ignoreFile = path.join(tmp, ".vscodeignore");
  const lines = [readFileSync(".vscodeignore", "utf8"), "node_modules/@node-llama-cpp/**", ...keep.map((b) => `!node_modules/@node-llama-cpp/${b}/**`)];
  writeFileSync(ignoreFile, lines.join("\n") + "\n");
  execFileSync("node", ["esbuild.mjs", "--production"], { stdio: "inherit" });
  const out = `longrope-repo-qa-${target}.vsix`;
  execFileSync("npx", ["vsce", "package", "--target", target, "--ignoreFile", ignoreFile, "--out", out, "--allow-missing-repository", "--skip-license", "--no-rewrite-relative-links"], { stdio: "inherit" });
  console.log(`${out}: ${(statSync(out).size / 2 ** 20).toFixed(1)} MiB, node-llama-cpp binaries: ${keep.join(", ")}`);
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
