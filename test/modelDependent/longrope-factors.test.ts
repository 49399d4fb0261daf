import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, describe, it } from "node:test";
import {
  attentionScale, baselineFactorSet, isMonotonic, ntkFactors, piFactors, ropePairs, yarnFactors,
} from "../../src/longrope/factors";
import { searchFactors, type FactorSearchProgress } from "../../src/longrope/factorSearch";

const repoRoot = path.resolve(__dirname, "../..");
const stories = path.resolve(repoRoot, "../shared/models/stories260K.gguf");

function close(actual: readonly number[], expected: readonly number[], tolerance = 1e-12): void {
  assert.equal(actual.length, expected.length);
  actual.forEach((a, i) => assert.ok(Math.abs(a - expected[i]!) <= tolerance * Math.max(1, Math.abs(expected[i]!)), `pair ${i}: ${a} vs ${expected[i]}`));
}

describe("RoPE factor generators", () => {
  it("counts pairs and rejects odd dimension counts", () => {
    assert.equal(ropePairs(8), 4);
    assert.equal(ropePairs(96), 48);
    assert.throws(() => ropePairs(7), RangeError);
  });

  it("PI stretches every pair by s", () => {
    assert.deepEqual(piFactors(4, 3), [4, 4, 4]);
  });

  it("NTK equals the frequency ratio of the changed base, base' = base · s^(d/(d−2))", () => {
    for (const [d, s, base] of [[8, 8, 10000], [128, 4, 500000], [96, 32, 10000]] as const) {
      const newBase = base * Math.pow(s, d / (d - 2));
      const expected = Array.from({ length: d / 2 }, (_, i) => Math.pow(base, (-2 * i) / d) / Math.pow(newBase, (-2 * i) / d));
      close(ntkFactors(s, d / 2, d), expected, 1e-9);
    }
    const v = ntkFactors(8, 4, 8);
    assert.equal(v[0], 1);
    assert.ok(Math.abs(v[3]! - 8) < 1e-12, "the lowest frequency reaches s");
  });

  it("YaRN follows the ramp on rotations within L_orig (stories260K: d = 8, L = 512, s = 8)", () => {
    // Wavelengths 2π·10000^(2i/8) = 2π·{1, 10, 100, 1000}: rotations r = 512 / wavelength.
    const r = [1, 10, 100, 1000].map((k) => 512 / (2 * Math.PI * k));
    const gamma = r.map((x) => Math.min(1, Math.max(0, (x - 1) / 31)));
    const expected = gamma.map((g) => 1 / ((1 - g) / 8 + g));
    const actual = yarnFactors(8, 4, { base: 10000, dimensionCount: 8, originalContext: 512 });
    close(actual, expected);
    assert.equal(actual[0], 1, "r = 81 > β_fast: kept as trained");
    assert.ok(actual[1]! > 3.05 && actual[1]! < 3.07, "r = 8.1 sits on the ramp");
    assert.deepEqual(actual.slice(2), [8, 8], "r < β_slow: fully interpolated");
  });

  it("every baseline vector is monotonic and within [1, s]", () => {
    for (const d of [8, 64, 96, 128]) {
      for (const s of [1, 2, 8, 32]) {
        for (const method of ["pi", "ntk", "yarn", "longrope"] as const) {
          const set = baselineFactorSet(method, s, { dimensionCount: d, base: 10000, originalContext: 4096 });
          assert.equal(set.factors.length, d / 2);
          assert.ok(isMonotonic(set.factors), `${method} d=${d} s=${s}`);
          assert.ok(set.factors.every((f) => f >= 1 - 1e-12 && f <= s + 1e-12), `${method} d=${d} s=${s} in [1, s]`);
        }
      }
    }
  });

  it("checks monotonicity", () => {
    assert.equal(isMonotonic([1, 1, 2, 8]), true);
    assert.equal(isMonotonic([1, 2, 1.5]), false);
    assert.equal(isMonotonic([1, Number.NaN]), false);
    assert.equal(isMonotonic([]), true);
  });

  it("attention scale is sqrt(1 + ln s / ln L_orig), the default for every method but YaRN", () => {
    assert.ok(Math.abs(attentionScale(8, 512) - Math.sqrt(4 / 3)) < 1e-15);
    assert.ok(Math.abs(attentionScale(32, 4096) - Math.sqrt(1 + 5 / 12)) < 1e-15);
    assert.equal(attentionScale(1, 4096), 1);
    const shape = { dimensionCount: 8, base: 1e4, originalContext: 512 };
    for (const method of ["pi", "ntk", "longrope"] as const) assert.equal(baselineFactorSet(method, 8, shape).attnFactor, Math.sqrt(4 / 3));
    assert.equal(baselineFactorSet("yarn", 8, shape).attnFactor, 0.1 * Math.log(8) + 1);
    // Phi-4-mini (4,096 → 131,072): 1.190, what its GGUF carries.
    assert.equal(baselineFactorSet("ntk", 32, { dimensionCount: 96, base: 1e4, originalContext: 4096 }).attnFactor.toFixed(3), "1.190");
  });
});

describe("longrope factors CLI", () => {
  const run = (...args: string[]) =>
    execFileSync(process.execPath, ["--import", "tsx", "-e",
      `require("./src/longrope/cli").runLongropeCli(${JSON.stringify(args)}).then((c) => { process.exitCode = c; })`],
    { cwd: repoRoot, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });

  it("prints one λ per RoPE pair of the model as JSON", () => {
    const out = JSON.parse(run("factors", "--method", "yarn", "--scale", "8", "--model", stories, "--original-context", "512", "--json")) as { factors: number[] };
    close(out.factors, yarnFactors(8, 4, { base: 10000, dimensionCount: 8, originalContext: 512 }));
    // L defaults to the model's original window: its context length (2048) for stories260K, which declares none.
    const byDefault = JSON.parse(run("factors", "--method", "ntk", "--scale", "4", "--model", stories, "--json")) as { originalContext: number; factors: number[] };
    assert.equal(byDefault.originalContext, 2048);
    close(byDefault.factors, ntkFactors(4, 4, 8));
  });

  it("fails with a sentence and exit code 1 on a bad method", () => {
    assert.throws(() => run("factors", "--method", "magic", "--scale", "8", "--model", stories), (e: { status: number; stderr: string }) => {
      assert.equal(e.status, 1);
      assert.match(e.stderr, /--method must be one of pi, ntk, yarn, longrope/);
      return true;
    });
  });
});

describe("LongRoPE search with its worker process (what the VS Code command runs)", () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "lrq-search-"));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const textPath = path.join(dir, "workspace.txt");
  writeFileSync(textPath, Array.from({ length: 300 }, (_, i) => `Once upon a time, a cat named Tom ${i} found a ball and played in the sun.`).join("\n"));
  const options = { modelPath: stories, textPath, targetContext: 1024, originalContext: 512, threads: 1 };

  it("returns monotonic factors within the time budget, reporting typed progress", async () => {
    const started = Date.now();
    const seen: FactorSearchProgress[] = [];
    const result = await searchFactors({ ...options, budgetSeconds: 8, onProgress: (p) => seen.push(p) });
    assert.equal(result.factors.length, 4);
    assert.ok(isMonotonic(result.factors));
    assert.ok(result.factors.every((f) => f >= 1 && f <= 1.25 * 2 + 1e-9), JSON.stringify(result.factors));
    assert.ok(Date.now() - started < 60_000);
    assert.equal(seen[0]?.phase, "samples");
    // On two busy cores the first iteration (64 candidates) may not end within 8 s; those that do report their best.
    const iterations = seen.filter((p) => p.phase === "search");
    assert.ok(iterations.every((p) => p.iteration <= p.iterations && p.bestPpl !== undefined && p.bestPpl > 1), JSON.stringify(iterations));
  });

  it("rejects with the AbortError when cancelled", async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 3000);
    await assert.rejects(searchFactors({ ...options, budgetSeconds: 120, signal: controller.signal }), (e: Error) => e.name === "AbortError");
  });
});
