import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";
import { generatedSamples, textSamples } from "../../src/longrope/corpus";
import { readModelRopeInfo, type ModelRopeInfo } from "../../src/longrope/modelShape";
import { attentionScale, ntkFactors, yarnAttentionScale, yarnFactors, yarnLlamaCppFactors } from "../../src/longrope/factors";
import { measurePerplexity, methodVariant, scoringStride } from "../../src/longrope/perplexity";
import { PplWorker } from "../../src/longrope/pplWorker";
import { isAlive } from "../support/processAlive";

const repoRoot = path.resolve(__dirname, "../..");
const storiesModel = path.resolve(repoRoot, "../shared/models/stories260K.gguf");
const randomLlama = path.resolve(repoRoot, "../shared/models/llama-2-tiny-random.gguf");


describe("LongRoPE perplexity on stories260K (real model, child process)", () => {
  let worker: PplWorker;
  let dir: string;
  let info: ModelRopeInfo;
  let sample: number[];
  const opts = { threads: 1 };
  const nll = async (variant: ReturnType<typeof methodVariant>, samples = [sample]) =>
    (await measurePerplexity(worker, storiesModel, variant, samples, opts)).meanNll;

  before(async () => {
    worker = new PplWorker();
    dir = mkdtempSync(path.join(os.tmpdir(), "lrq-ppl-"));
    info = await readModelRopeInfo(storiesModel);
    const samples = await generatedSamples({ worker, modelPath: storiesModel, seed: 5, sampleTokens: 512, searchCount: 1, evalCount: 1, cacheDir: dir, threads: 1 });
    sample = samples.eval[0]!;
  });
  after(async () => {
    const pid = worker.pid!;
    await worker.dispose();
    assert.equal(isAlive(pid), false, "the worker is gone after dispose");
    rmSync(dir, { recursive: true, force: true });
  });

  it("gives a sane perplexity, and all-ones factors in rope_freqs change nothing", async () => {
    const plain = await measurePerplexity(worker, storiesModel, methodVariant("none", 1, info, 256), [sample], opts);
    assert.equal(plain.scoredTokens, sample.length - 1);
    assert.ok(plain.ppl > 1.2 && plain.ppl < 20, `ppl ${plain.ppl}`);
    assert.equal(await nll(methodVariant("longrope", 1, info, 256, { factors: [1, 1, 1, 1], attnFactor: 1 })), plain.meanNll);
  });

  // ×4 because 1/4 is exact in f32: llama.cpp multiplies by freq_scale = 1/s, rope_freqs divides by λ.
  it("rope_freqs of all 4 equals llama.cpp's linear ×4 (PI), and differs from the plain model", async () => {
    const pi = await nll(methodVariant("pi", 4, info, 256));
    assert.equal(await nll(methodVariant("longrope", 4, info, 256, { factors: [4, 4, 4, 4], attnFactor: 1 })), pi);
    assert.notEqual(pi, await nll(methodVariant("none", 1, info, 256)));
  });

  it("NTK + attention factor is NTK's vector with sqrt(1 + ln s / ln L) on cos/sin, and differs from plain NTK", async () => {
    const [ntk, ntkAttn] = [await nll(methodVariant("ntk", 4, info, 128)), await nll(methodVariant("ntk+attn", 4, info, 128))];
    const asFactors = await nll(methodVariant("longrope", 4, info, 128, { factors: ntkFactors(4, 4, 8), attnFactor: attentionScale(4, 128) }));
    assert.ok(Math.abs(ntkAttn - asFactors) < 1e-4 * asFactors, `${ntkAttn} vs ${asFactors}`);
    assert.ok(Math.abs(ntkAttn - ntk) > 1e-3 * ntk, `${ntkAttn} vs ${ntk}`);
  });

  it("llama.cpp's YaRN is the pair-index ramp (yarnLlamaCppFactors), not the YaRN paper's ramp in rotations", async () => {
    const shape = { base: info.base, dimensionCount: 8, originalContext: 128 };
    const native = await nll(methodVariant("yarn", 8, info, 128));
    const attnFactor = yarnAttentionScale(8);
    const ours = await nll(methodVariant("longrope", 8, info, 128, { factors: yarnLlamaCppFactors(8, 4, shape), attnFactor }));
    const paper = await nll(methodVariant("longrope", 8, info, 128, { factors: yarnFactors(8, 4, shape), attnFactor }));
    assert.ok(Math.abs(native - ours) < 1e-4 * native, `llama.cpp ${native} vs pair-index ramp ${ours}`);
    assert.ok(Math.abs(native - paper) > 1e-3 * native, `llama.cpp ${native} vs the paper's ramp ${paper}`);
  });

  it("n̂ carries the un-scaled prefix state exactly: with all-ones factors it equals the plain model", async () => {
    const plain = await nll(methodVariant("none", 1, info, 256));
    const withNHat = await nll(methodVariant("longrope", 1, info, 256, { factors: [1, 1, 1, 1], attnFactor: 1, nHat: 64 }));
    assert.ok(Math.abs(withNHat - plain) < 1e-12, `${withNHat} vs ${plain}`);
  });

  it("n̂ changes the result when the factors do something", async () => {
    const factors = { factors: [1, 2, 4, 6], attnFactor: 1 };
    const a = await nll(methodVariant("longrope", 3, info, 256, factors));
    const b = await nll(methodVariant("longrope", 3, info, 256, { ...factors, nHat: 128 }));
    assert.notEqual(a, b);
  });

  it("scores only the last positions when asked", async () => {
    const r = await measurePerplexity(worker, storiesModel, { label: "none" }, [sample, sample], { ...opts, scoreLast: 100 });
    assert.equal(r.scoredTokens, 200);
    assert.equal(r.perSample[0], r.perSample[1]);
  });

  it("generated samples are reproducible, exactly as long as asked, and search and evaluation never share a story", async () => {
    const fresh = mkdtempSync(path.join(os.tmpdir(), "lrq-corpus-"));
    try {
      const request = { worker, modelPath: storiesModel, seed: 5, sampleTokens: 512, searchCount: 1, evalCount: 1, threads: 1 };
      const a = await generatedSamples({ ...request, cacheDir: fresh });
      assert.ok(readdirSync(fresh).some((f) => f.startsWith("stories-")), "stories are cached");
      const b = await generatedSamples({ ...request, cacheDir: dir });
      assert.deepEqual(a.eval, b.eval, "same seed, same stories (regenerated in another cache)");
      assert.deepEqual(a.search, b.search);
      for (const s of [...a.search, ...a.eval]) assert.equal(s.length, 512);
      const storiesOf = (s: number[]) => s.join(",").split(`${s[0]},`).filter((x) => x.length > 40);
      const searchStories = new Set(a.search.flatMap(storiesOf));
      assert.ok(a.eval.flatMap(storiesOf).every((story) => !searchStories.has(story)));
    } finally {
      rmSync(fresh, { recursive: true, force: true });
    }
  });

  it("a cancelled measurement rejects with an AbortError and the worker stays usable", async () => {
    const abort = new AbortController();
    const long = [...sample, ...sample, ...sample, ...sample];
    const pending = measurePerplexity(worker, storiesModel, { label: "none" }, [long, long], { ...opts, signal: abort.signal });
    setTimeout(() => abort.abort(), 50);
    await assert.rejects(pending, (e: Error) => e.name === "AbortError");
    assert.ok(Number.isFinite(await nll({ label: "none" })));
  });
});

describe("LongRoPE samples from text (llama-2-tiny-random, 32k vocabulary)", () => {
  it("splits the token stream into disjoint halves and scores every 8th position for a large vocabulary, by bucket", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "lrq-text-"));
    const worker = new PplWorker();
    try {
      const words = Array.from({ length: 3000 }, (_, i) => `word${i % 97} value${i}`).join(" ");
      writeFileSync(path.join(dir, "a.txt"), words);
      const samples = await textSamples({ worker, modelPath: randomLlama, textPath: dir, sampleTokens: 256, searchCount: 2, evalCount: 2 });
      assert.equal(samples.search.length, 2);
      assert.equal(samples.eval.length, 2);
      const { tokens, bos } = await worker.request("tokenize", { modelPath: randomLlama, text: `// a.txt\n${words}` });
      const half = Math.floor(tokens.length / 2);
      assert.deepEqual(samples.search[0], [bos, ...tokens.slice(0, 255)]);
      assert.deepEqual(samples.search[1], [bos, ...tokens.slice(255, 510)]);
      assert.deepEqual(samples.eval[0], [bos, ...tokens.slice(half, half + 255)], "evaluation starts in the second half");
      assert.ok(510 <= half, "search windows stay in the first half");
      assert.equal(await scoringStride(randomLlama), 8);
      assert.equal(await scoringStride(storiesModel), 1);
      const r = await measurePerplexity(worker, randomLlama, { label: "none" }, samples.eval, { threads: 1, scoreEvery: 8, bucketTokens: 128 });
      assert.equal(r.scoredTokens, 2 * 32, "positions 0, 8, …, 248 of two samples");
      assert.ok(Number.isFinite(r.ppl));
      assert.deepEqual(r.buckets!.map((b) => [b.from, b.count]), [[0, 32], [128, 32]]);
      const total = r.buckets!.reduce((a, b) => a + b.sum, 0);
      assert.ok(Math.abs(total / r.scoredTokens - r.meanNll) < 1e-9);
      await assert.rejects(textSamples({ worker, modelPath: randomLlama, textPath: dir, sampleTokens: 100000, searchCount: 1, evalCount: 1 }), /are needed for 1 search/);
    } finally {
      await worker.dispose();
      rmSync(dir, { recursive: true, force: true });
    }
    assert.equal(existsSync(dir), false);
  });
});

describe("longrope eval CLI", () => {
  it("prints {results:[{method,length,ppl}]} for each method and length, with --factors for longrope", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "lrq-evalcli-"));
    try {
      writeFileSync(path.join(dir, "f.json"), JSON.stringify({ factors: [1, 1.5, 2, 2], attnFactor: 1 }));
      const args = ["--import", "tsx", "src/cli.ts", "longrope", "eval", "--model", storiesModel, "--methods", "none,pi,longrope",
        "--lengths", "128,256", "--original-context", "128", "--factors", path.join(dir, "f.json"), "--samples", "1",
        "--threads", "1", "--cache-dir", dir, "--json"];
      const { stdout } = await promisify(execFile)(process.execPath, args, { cwd: repoRoot, timeout: 120_000 });
      const { results } = JSON.parse(stdout) as { results: { method: string; length: number; ppl: number }[] };
      assert.deepEqual(results.map((r) => `${r.method}@${r.length}`), ["none@128", "pi@128", "longrope@128", "none@256", "pi@256", "longrope@256"]);
      assert.ok(results.every((r) => Number.isFinite(r.ppl) && r.ppl > 1));
      assert.equal(results[0]!.ppl, results[1]!.ppl, "at s = 1 PI is the plain model");
      assert.notEqual(results[3]!.ppl, results[4]!.ppl, "at s = 2 PI is not");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
