import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, it } from "node:test";
import { isMonotonic } from "../../src/longrope/factors";
import { PplWorker } from "../../src/longrope/pplWorker";
import { candidateKey, crossover, mutate, nHatChoices, normalizeCandidate, type Candidate } from "../../src/longrope/search/candidate";
import { SearchCheckpoint } from "../../src/longrope/search/checkpoint";
import { evolutionarySearch, type EvolutionOptions, type ScoredCandidate } from "../../src/longrope/search/evolution";
import { searchLongropeFactors } from "../../src/longrope/search/longropeSearch";
import { progressiveSearch } from "../../src/longrope/search/progressive";
import { rescaleFactors } from "../../src/longrope/factors";
import { readFileSync, readdirSync } from "node:fs";
import { SeededRandom } from "../../src/longrope/search/random";

const repoRoot = path.resolve(__dirname, "../..");
const storiesModel = path.resolve(repoRoot, "../shared/models/stories260K.gguf");
const bounds = { min: 1, max: 10 };
const target = [1, 1.7, 4.2, 9];
/** A cheap fitness with a known optimum: squared log-distance to `target`, plus a penalty away from n̂ = 16. */
const distance = (c: Candidate) => c.factors.reduce((s, f, i) => s + Math.log(f / target[i]!) ** 2, 0) + Math.abs(c.nHat - 16) / 1000;
const initial: Candidate[] = [{ factors: [8, 8, 8, 8], nHat: 0 }, { factors: [1, 2, 4, 8], nHat: 0 }, { factors: [1, 1, 3, 8], nHat: 0 }];

function options(extra: Partial<EvolutionOptions> = {}): EvolutionOptions & { clock: { t: number }; seen: Candidate[] } {
  const clock = { t: 0 };
  const seen: Candidate[] = [];
  return {
    initial, bounds, seed: 11, populationSize: 16, parents: 8, mutations: 4, crossovers: 4, iterations: 12,
    nHatChoices, now: () => clock.t,
    fitness: (c) => {
      seen.push(c);
      clock.t += 1;
      return Promise.resolve(distance(c));
    },
    ...extra, clock, seen,
  };
}

describe("LongRoPE search: candidates", () => {
  it("mutation keeps every λ between its neighbours and inside the bounds", () => {
    const rng = new SeededRandom(3);
    let c: Candidate = { factors: [1, 1.5, 2, 8], nHat: 0 };
    for (let i = 0; i < 2000; i++) {
      c = mutate(c, rng, { bounds, probability: 0.3, nHatChoices, logStep: 0.8 });
      assert.ok(isMonotonic(c.factors), `not monotonic: ${c.factors.join(",")}`);
      assert.ok(c.factors.every((f) => f >= bounds.min && f <= bounds.max), `out of bounds: ${c.factors.join(",")}`);
      assert.ok(nHatChoices.includes(c.nHat));
    }
  });

  it("mutation changes about 30% of the dimensions", () => {
    const rng = new SeededRandom(5);
    const parent: Candidate = { factors: [1.5, 2, 3, 4, 5, 6, 7, 8], nHat: 0 };
    let changed = 0;
    for (let i = 0; i < 500; i++) changed += mutate(parent, rng, { bounds, probability: 0.3 }).factors.filter((f, j) => f !== parent.factors[j]).length;
    const rate = changed / (500 * 8);
    assert.ok(rate > 0.25 && rate < 0.35, `rate ${rate}`);
  });

  it("crossover returns only monotonic children, each λ taken from a parent", () => {
    const rng = new SeededRandom(9);
    const a: Candidate = { factors: [1, 1, 6, 6], nHat: 4 };
    const b: Candidate = { factors: [2, 3, 3, 7], nHat: 8 };
    let rejected = 0;
    for (let i = 0; i < 500; i++) {
      const child = crossover(a, b, rng);
      if (!child) { rejected++; continue; }
      assert.ok(isMonotonic(child.factors));
      child.factors.forEach((f, j) => assert.ok(f === a.factors[j] || f === b.factors[j]));
      assert.ok(child.nHat === 4 || child.nHat === 8);
    }
    assert.ok(rejected > 0, "this pair can produce a non-monotonic mix, which must be rejected");
  });

  it("normalizing clamps to the bounds and restores the order", () => {
    assert.deepEqual(normalizeCandidate({ factors: [0.5, 3, 2, 20], nHat: 0 }, bounds).factors, [1, 3, 3, 10]);
  });
});

describe("LongRoPE search: evolution", () => {
  it("improves on the starting vectors and never evaluates a non-monotonic or repeated candidate", async () => {
    const o = options();
    const result = await evolutionarySearch(o);
    assert.equal(result.stoppedBy, "iterations");
    assert.equal(result.iterationsDone, 12);
    assert.ok(o.seen.every((c) => isMonotonic(c.factors) && c.factors.every((f) => f >= 1 && f <= 10)));
    assert.equal(new Set(o.seen.map(candidateKey)).size, o.seen.length);
    const startBest = Math.min(...initial.map((c) => distance(normalizeCandidate(c, bounds))));
    assert.ok(result.best.fitness < startBest / 3, `best ${result.best.fitness} vs start ${startBest}`);
    assert.deepEqual(result.history, [...result.history].sort((a, b) => b - a), "best fitness never gets worse");
    assert.equal(result.initial.length, 3);
  });

  it("is reproducible from its seed, and a different seed searches differently", async () => {
    const a = await evolutionarySearch(options());
    const b = await evolutionarySearch(options());
    const c = await evolutionarySearch(options({ seed: 12 }));
    assert.deepEqual(a.history, b.history);
    assert.deepEqual(a.best, b.best);
    assert.notDeepEqual(a.history, c.history);
  });

  it("stops at the time budget, and a resumed run replays the checkpoint and ends where an uninterrupted run ends", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "lrq-search-"));
    try {
      const whole = await evolutionarySearch(options());
      const file = path.join(dir, "checkpoint.json");
      const settings = { model: "fake", seed: 11 };
      const first = await SearchCheckpoint.open(file, settings);
      const interrupted = await evolutionarySearch(options({ budgetMs: 30, onEvaluated: (c, t) => first.record(c, t) }));
      assert.equal(interrupted.stoppedBy, "budget");
      assert.equal(interrupted.evaluations, 30);
      const reopened = await SearchCheckpoint.open(file, settings);
      assert.equal(reopened.count, 30);
      const o = options({ known: reopened.known(), elapsedBeforeMs: reopened.elapsed });
      const resumed = await evolutionarySearch(o);
      assert.equal(resumed.evaluations, whole.evaluations - 30, "only unmeasured candidates are measured again");
      assert.deepEqual(resumed.history, whole.history);
      assert.deepEqual(resumed.best, whole.best);
      await assert.rejects(SearchCheckpoint.open(file, { model: "other", seed: 11 }), /belongs to another search/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("a cancelled search answers with the best so far", async () => {
    const abort = new AbortController();
    const o = options({ signal: abort.signal, onEvaluated: (c: ScoredCandidate) => { if (o.seen.length === 10) abort.abort(); void c; } });
    const result = await evolutionarySearch(o);
    assert.equal(result.stoppedBy, "cancelled");
    assert.equal(result.evaluations, 10);
  });
});

describe("LongRoPE search on stories260K (real model)", () => {
  it("finds factors at least as good as PI, NTK and YaRN on its samples within seconds", async () => {
    const worker = new PplWorker();
    try {
      const { stories, bos } = await worker.request("generateStories", { modelPath: storiesModel, firstSeed: 3, count: 8, maxTokens: 200, temperature: 1, threads: 1 });
      const sample = stories.flatMap((s) => [bos, ...s]).slice(0, 512);
      assert.equal(sample.length, 512);
      const found = await searchLongropeFactors({
        worker, modelPath: storiesModel, targetLength: 512, originalContext: 128, nHat: 0, samples: [sample], samplesLabel: "test",
        seed: 1, threads: 1, sizes: { populationSize: 6, parents: 4, mutations: 2, crossovers: 2, iterations: 2 },
      });
      assert.equal(found.scale, 4);
      assert.equal(found.factors.length, 4);
      assert.ok(isMonotonic(found.factors) && found.factors.every((f) => f >= 1 && f <= 5));
      const baselines = Object.values(found.search.baselines);
      assert.deepEqual(Object.keys(found.search.baselines), ["pi", "ntk", "yarn", "yarn-llama.cpp"]);
      assert.ok(baselines.every(Number.isFinite));
      assert.ok(found.ppl <= Math.min(...baselines), `${found.ppl} vs ${baselines.join(",")}`);
      assert.ok(found.search.evaluations >= 8);
    } finally {
      await worker.dispose();
    }
  });
});

describe("progressive search on stories260K (real model)", () => {
  it("searches stage by stage, each seeded from the previous best rescaled, keeps every stage, and resumes finished ones", async () => {
    const workDir = mkdtempSync(path.join(os.tmpdir(), "lrq-progressive-"));
    const worker = new PplWorker();
    try {
      const { stories, bos } = await worker.request("generateStories", { modelPath: storiesModel, firstSeed: 9, count: 8, maxTokens: 200, temperature: 1, threads: 1 });
      const sample = stories.flatMap((s) => [bos, ...s]).slice(0, 512);
      const options = {
        worker, modelPath: storiesModel, stages: [256, 512], originalContext: 128, nHat: 0, samples: [sample], samplesLabel: "test",
        seed: 2, threads: 1, workDir, sizes: { populationSize: 5, parents: 2, mutations: 1, crossovers: 1, iterations: 1 },
      };
      const result = await progressiveSearch(options);
      assert.deepEqual(result.stages.map((s) => s.targetLength), [256, 512]);
      assert.deepEqual(readdirSync(workDir).sort(), ["checkpoint-256.json", "checkpoint-512.json", "factors-256.json", "factors-512.json"]);
      const seeded = rescaleFactors(result.stages[0]!.factors, 2, 4).map((f) => Math.round(f * 1e4) / 1e4);
      const checkpoint = JSON.parse(readFileSync(path.join(workDir, "checkpoint-512.json"), "utf8")) as { evaluations: { factors: number[] }[] };
      const tried = checkpoint.evaluations.map((e) => e.factors.join());
      assert.ok(tried.includes(seeded.join()), `stage 2 started from stage 1's best rescaled (${seeded.join(",")})`);
      assert.ok(result.stages[1]!.ppl <= result.stages[1]!.search.baselines.ntk!);
      const again = await progressiveSearch(options);
      assert.deepEqual(again.stages.map((s) => s.factors), result.stages.map((s) => s.factors), "finished stages are read back");
    } finally {
      await worker.dispose();
      rmSync(workDir, { recursive: true, force: true });
    }
  });
});
