import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, describe, it } from "node:test";
import { promisify } from "node:util";
import { makeSyntheticModel, shapes, syntheticTensors } from "../../scripts/make-synthetic-model";
import { extendModel } from "../../src/longrope/extend";
import { GGML_TYPE, metadataString, readF32Tensor, readGgufHeader, tensorByteSize } from "../../src/longrope/gguf/index";
import { inPairs } from "../support/models";
import { measurePerplexity } from "../../src/longrope/perplexity";
import { PplWorker } from "../../src/longrope/pplWorker";

const repoRoot = path.resolve(__dirname, "../..");
const tokenizerFrom = path.resolve(repoRoot, "../shared/models/llama-2-tiny-random.gguf");
const dir = mkdtempSync(path.join(os.tmpdir(), "lrq-synth-"));
after(() => rmSync(dir, { recursive: true, force: true }));

const run = promisify(execFile);
const text = Array.from({ length: 14 }, (_, i) => `Line ${i}: the quick brown fox jumps over the lazy dog.`).join("\n");
async function probe(modelPath: string, contextSize: number, generate = 0) {
  const { stdout } = await run(process.execPath, ["test/support/llamaProbe.mjs",
    JSON.stringify({ modelPath, contextSize, text, scoreLast: 16, generate })], { cwd: repoRoot, timeout: 60_000 });
  return JSON.parse(stdout.split("\n@@probe ").at(-1)!) as { nll: number; scored: number; generated: number[]; trainContextSize: number };
}

describe("synthetic models of real shapes", () => {
  it("phi4-mini has Phi-4-mini's tensors: 32 layers, fused QKV for 24/8 heads, 48 LongRoPE pairs, 3.8B parameters", () => {
    const tensors = syntheticTensors(shapes["phi4-mini"]!, GGML_TYPE.Q8_0, 1, new Array<number>(48).fill(1), new Array<number>(48).fill(1));
    const dims = new Map(tensors.map((t) => [t.name, t.dims]));
    assert.equal(tensors.length, 4 + 32 * 6, "token_embd, output_norm, 2 factor tensors (tied embeddings: no output.weight), 6 per layer");
    assert.ok(!dims.has("output.weight"));
    assert.deepEqual(dims.get("token_embd.weight"), [3072, 200064]);
    assert.deepEqual(dims.get("blk.31.attn_qkv.weight"), [3072, 3072 + 2 * 8 * 128]);
    assert.deepEqual(dims.get("blk.0.ffn_up.weight"), [3072, 2 * 8192]);
    assert.deepEqual(dims.get("blk.0.ffn_down.weight"), [8192, 3072]);
    assert.deepEqual(dims.get("rope_factors_long.weight"), [48]);
    const params = tensors.reduce((n, t) => n + t.dims.reduce((a, b) => a * b, 1), 0);
    assert.ok(params > 3.8e9 && params < 3.9e9, `${params} parameters`);
    const bytes = tensors.reduce((n, t) => n + tensorByteSize(t.type, t.dims)!, 0);
    assert.ok(bytes > 4e9 && bytes < 4.2e9, `Q8_0 file ≈ ${(bytes / 1e9).toFixed(2)} GB`);
  });

  for (const type of ["f32", "q8_0"] as const) {
    it(`tiny-phi3 (${type}) is labelled synthetic, carries the copied tokenizer, loads in llama.cpp and generates`, async () => {
      const out = path.join(dir, `tiny-${type}.gguf`);
      await makeSyntheticModel({ shape: shapes["tiny-phi3"]!, outPath: out, tokenizerFrom, type });
      const h = await readGgufHeader(out);
      const source = await readGgufHeader(tokenizerFrom);
      assert.equal(h.metadata.get("general.architecture")?.value, "phi3");
      assert.match(metadataString(h, "general.name") ?? "", /SYNTHETIC/);
      assert.equal(h.metadata.get("longrope_qa.synthetic")?.value, true);
      const tokens = h.metadata.get("tokenizer.ggml.tokens")?.value as string[];
      assert.equal(tokens.length, 32064);
      assert.deepEqual(tokens.slice(0, 32000), source.metadata.get("tokenizer.ggml.tokens")?.value);
      const result = await probe(out, 1024, 8);
      assert.equal(result.trainContextSize, 4096);
      assert.equal(result.generated.length, 8);
      assert.ok(Number.isFinite(result.nll) && result.scored > 0);
    });
  }

  it("round-trips through extend with long/short factors; llama.cpp picks them by the configured context size", async () => {
    const base = path.join(dir, "tiny-base.gguf");
    await makeSyntheticModel({ shape: shapes["tiny-phi3"]!, outPath: base, tokenizerFrom, type: "f32" });
    const ones = new Array<number>(6).fill(1);
    const eights = new Array<number>(6).fill(8);
    const variant = async (name: string, long: number[], short: number[]) => {
      const out = path.join(dir, `${name}.gguf`);
      const sidecar = await extendModel({ modelPath: base, outPath: out, longFactors: long, shortFactors: short, targetContext: 8192, originalContext: 512 });
      assert.equal(sidecar.storage, "rope_factors_long/short");
      return out;
    };
    const mixed = await variant("mixed", eights, ones);
    const allOnes = await variant("ones", ones, ones);
    const allEights = await variant("eights", eights, eights);
    const h = await readGgufHeader(mixed);
    assert.equal(h.metadata.get("phi3.context_length")?.value, 8192);
    assert.equal(h.metadata.get("phi3.rope.scaling.original_context_length")?.value, 512);
    assert.equal(h.metadata.get("phi3.rope.scaling.type")?.value, "longrope");
    // At 512 (= L_orig) the short factors apply, beyond it the long ones: results match the uniform models exactly.
    const [mixedShort, mixedLong, onesShort, eightsLong] = await inPairs([
      () => probe(mixed, 512), () => probe(mixed, 1024), () => probe(allOnes, 512), () => probe(allEights, 1024),
    ]);
    assert.equal(mixedShort.nll, onesShort.nll);
    assert.equal(mixedLong.nll, eightsLong.nll);
    assert.ok(Math.abs(mixedLong.nll - mixedShort.nll) > 1e-3 * mixedShort.nll, `long ${mixedLong.nll} vs short ${mixedShort.nll}`);
  });

  it("extend without --factors rescales the model's own long factors (512 → 4,096 shipped, to 16,384): λ' = 1 + (λ − 1)·31/7", async () => {
    const base = path.join(dir, "tiny-progressive.gguf");
    await makeSyntheticModel({ shape: shapes["tiny-phi3"]!, outPath: base, tokenizerFrom, type: "f32" });
    const out = path.join(dir, "tiny-progressive-16k.gguf");
    const { stdout } = await run(process.execPath, ["--import", "tsx", "-e",
      `require("./src/longrope/cli").runLongropeCli(${JSON.stringify(["extend", "--model", base, "--target-context", "16384", "--out", out, "--json"])}).then((c) => { process.exitCode = c; })`],
    { cwd: repoRoot });
    assert.equal((JSON.parse(stdout) as { rescaledFromScale?: number }).rescaledFromScale, 8);
    const [before, after] = [await readGgufHeader(base), await readGgufHeader(out)];
    const oldLong = Array.from((await readF32Tensor(base, before, "rope_factors_long.weight"))!);
    const newLong = Array.from((await readF32Tensor(out, after, "rope_factors_long.weight"))!);
    assert.ok(oldLong.some((f) => f > 1.5) && oldLong[0] === 1, "the shipped factors are YaRN-shaped, not uniform");
    assert.deepEqual(newLong, oldLong.map((f) => Math.fround(1 + ((f - 1) * 31) / 7)));
    assert.deepEqual(await readF32Tensor(out, after, "rope_factors_short.weight"), await readF32Tensor(base, before, "rope_factors_short.weight"));
    assert.equal(after.metadata.get("phi3.rope.scaling.original_context_length")?.value, 512);
    assert.equal(after.metadata.get("phi3.context_length")?.value, 16384);
    assert.equal(after.metadata.get("phi3.rope.scaling.attn_factor")?.value, Math.fround(Math.sqrt(1 + Math.log(32) / Math.log(512))));
    // llama.cpp loads the copy and, beyond 512 tokens, runs the rescaled long factors.
    const result = await probe(out, 1024, 2);
    assert.equal(result.trainContextSize, 16384);
    assert.ok(Number.isFinite(result.nll));
  });

  it("extend without --factors on a model without long factors, or below its window, says what to do", async () => {
    const cli = (args: string[]) => run(process.execPath, ["--import", "tsx", "-e",
      `require("./src/longrope/cli").runLongropeCli(${JSON.stringify(args)}).then((c) => { process.exitCode = c; })`], { cwd: repoRoot });
    await assert.rejects(cli(["extend", "--model", tokenizerFrom, "--target-context", "8192", "--out", path.join(dir, "no.gguf")]),
      (e: { code: number; stderr: string }) => e.code === 1 && /ships no long RoPE factors to rescale; pass --factors/.test(e.stderr));
    const base = path.join(dir, "tiny-progressive.gguf");
    await assert.rejects(cli(["extend", "--model", base, "--target-context", "4096", "--out", path.join(dir, "no.gguf")]),
      (e: { code: number; stderr: string }) => e.code === 1 && /already covers 4096 tokens .* choose a target context above 4096/.test(e.stderr));
  });

  it("a candidate replaces only its slot: at the original window the short set runs, the long one does not", async () => {
    const base = path.join(dir, "tiny-slots.gguf");
    await makeSyntheticModel({ shape: shapes["tiny-phi3"]!, outPath: base, tokenizerFrom, type: "f32" });
    const worker = new PplWorker();
    try {
      const { tokens } = await worker.request("tokenize", { modelPath: base, text: text.repeat(12) });
      // 511 tokens: the worker's context is one cell longer, 512 = the original window, so llama.cpp picks "short".
      const sample = [tokens.slice(0, 511)];
      const nll = async (variant: Parameters<typeof measurePerplexity>[2]) => (await measurePerplexity(worker, base, variant, sample, { threads: 1 })).meanNll;
      const plain = await nll({ label: "plain" });
      const eights = new Array<number>(6).fill(8);
      assert.equal(await nll({ label: "long 8", ropeFreqs: eights, factorSlot: "long" }), plain, "the long set is not used at 512");
      const shortEights = await nll({ label: "short 8", ropeFreqs: eights, factorSlot: "short" });
      assert.ok(Math.abs(shortEights - plain) > 1e-4 * plain, `the short set is: ${shortEights} vs ${plain}`);
    } finally {
      await worker.dispose();
    }
  });
});
