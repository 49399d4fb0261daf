/**
 * The secret pre-filter never hides a file from a rule: over secretlint's own snapshot inputs for every rule of the
 * recommended preset (test/fixtures/secretlint-examples, from secretlint v12.0.0), our rules' examples and real trees
 * (this repository and packages in node_modules), every file a preset rule or one of ours flags passes the filter,
 * and scanning with the filter finds exactly what scanning every file finds.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import * as path from "node:path";
import { describe, it } from "node:test";
import { ownRulesMayFlag, presetMayFlag } from "../../src/workspace/secretPrefilter";
import { ownSecretFindings } from "../../src/workspace/secretRules";
import { scanForSecrets, SECRET_RULES_VERSION, type ScannedText } from "../../src/workspace/secretScanner";
import { OWN_RULE_POSITIVES } from "../support/secretExamples";

const repo = path.resolve(import.meta.dirname, "..", "..");

function filesUnder(dir: string, maxBytes = 256 * 1024, skip = /^(node_modules|dist|out|\.git|test\/output)$/): ScannedText[] {
  const out: ScannedText[] = [];
  if (!existsSync(dir)) return out; // a package the lock file no longer pulls in: the count check below says so
  for (const rel of readdirSync(dir, { recursive: true, encoding: "utf8" })) {
    if (rel.split(path.sep).some((part) => skip.test(part))) continue;
    const abs = path.join(dir, rel);
    const stats = statSync(abs, { throwIfNoEntry: false });
    if (!stats?.isFile() || stats.size > maxBytes || stats.size === 0) continue;
    const buffer = readFileSync(abs);
    if (buffer.includes(0)) continue; // binary (.p12 inputs): the packer never scans those as text
    out.push({ path: path.relative(repo, abs), absolutePath: abs, text: buffer.toString("utf8").replace(/\r\n?/g, "\n") });
  }
  return out;
}

const examples = filesUnder(path.join(repo, "test", "fixtures", "secretlint-examples"));
const ours = OWN_RULE_POSITIVES.map((text, i) => ({ path: `own-${i}.txt`, absolutePath: `/nonexistent/own-${i}.txt`, text }));
const realTrees = [
  ...filesUnder(repo),
  ...["minimatch", "ignore", "markdown-it", "dompurify", "@secretlint", "highlight.js/lib/languages", "simple-git", "jose", "undici", "zod", "yargs", "@vscode/vsce/out"]
    .flatMap((pkg) => filesUnder(path.join(repo, "node_modules", pkg), 256 * 1024, /^(node_modules)$/)),
];
const corpus = [...examples, ...ours, ...realTrees];

describe("the secret pre-filter", () => {
  it("covers a corpus with positives for every preset rule and every rule of ours", () => {
    const flaggedRules = new Set(ours.flatMap((f) => ownSecretFindings(f.text).map((r) => r.rule)));
    assert.deepEqual([...flaggedRules].sort(), ["AWSAccessKeyID", "AnthropicKey", "OpenAIKey", "PasswordAssignment", "SecretAssignment", "StripeKey"]);
    assert.ok(examples.length >= 90, `${examples.length} secretlint examples`);
    assert.ok(realTrees.length > 1500, `${realTrees.length} files from real trees`);
  });

  it("passes every file a rule flags, and scanning with it finds exactly what scanning everything finds", async () => {
    const everything = (await scanForSecrets(corpus, undefined, undefined, { prefilter: false }))!;
    const filtered = (await scanForSecrets(corpus, undefined, undefined, { prefilter: true }))!;
    const missedByPreset: string[] = [];
    const missedByOwn: string[] = [];
    let flagged = 0;
    corpus.forEach((file, i) => {
      const own = ownSecretFindings(file.text);
      const preset = everything[i]!.filter((r) => !own.some((o) => o.start === r.start && o.end === r.end && o.rule === r.rule));
      if (everything[i]!.length > 0) flagged++;
      if (preset.length > 0 && !presetMayFlag(file.text)) missedByPreset.push(`${file.path}: ${preset.map((r) => r.rule).join(", ")}`);
      if (own.length > 0 && !ownRulesMayFlag(file.text)) missedByOwn.push(file.path);
    });
    assert.deepEqual({ missedByPreset, missedByOwn }, { missedByPreset: [], missedByOwn: [] });
    assert.deepEqual(filtered, everything, "the same findings, file by file");
    assert.ok(flagged >= 60, `only ${flagged} files with findings: the corpus does not exercise the rules`);
    const passed = corpus.filter((f) => presetMayFlag(f.text)).length;
    assert.ok(passed < corpus.length / 4, `the filter let ${passed} of ${corpus.length} files through to secretlint`);
  });

  it("the rules version names the installed preset", () => {
    const preset = JSON.parse(readFileSync(path.join(repo, "node_modules/@secretlint/secretlint-rule-preset-recommend/package.json"), "utf8")) as { version: string };
    assert.ok(SECRET_RULES_VERSION.startsWith(`secretlint-preset-recommend@${preset.version}+`), SECRET_RULES_VERSION);
  });

  it("no global is patched: src assigns to no built-in, and the bundles carry no secretlint profiler", () => {
    const offenders: string[] = [];
    for (const rel of readdirSync(path.join(repo, "src"), { recursive: true, encoding: "utf8" }).filter((f) => f.endsWith(".ts"))) {
      const text = readFileSync(path.join(repo, "src", rel), "utf8");
      const hit = /\b(?:globalThis|global|window|performance|console|Math|JSON|Date|Promise|Array|Object|Reflect|crypto)\.[\w$]+\s*=[^=]/.exec(text);
      if (hit) offenders.push(`src/${rel}: ${hit[0]}`);
    }
    assert.deepEqual(offenders, []);
    execFileSync(process.execPath, ["esbuild.mjs", "--only=dist/extension.js"], { cwd: repo, stdio: "ignore" });
    assert.ok(!readFileSync(path.join(repo, "dist", "extension.js"), "utf8").includes("PerformanceObserver"));
  });
});
