import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync, readdirSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, describe, it } from "node:test";
import { promisify } from "node:util";
import { encodeMetadataEntry } from "../../src/longrope/gguf/encode";
import { buildGguf, GGML_TYPE, gguf, patchGguf, readGgufHeader, type GgufHeader } from "../../src/longrope/gguf/index";
import { extendModel, findExtendedModel } from "../../src/longrope/extend";
import { RepoQaError } from "../../src/util/errors";
import { inPairs } from "../support/models";

const repoRoot = path.resolve(__dirname, "../..");
const models = {
  stories: path.resolve(repoRoot, "../shared/models/stories260K.gguf"),
  tiny: path.resolve(repoRoot, "../shared/models/llama-2-tiny-random.gguf"),
};
const dir = mkdtempSync(path.join(os.tmpdir(), "lrq-gguf-"));
after(() => rmSync(dir, { recursive: true, force: true }));

const run = promisify(execFile);
interface ProbeResult { nll: number; scored: number; trainContextSize: number; generated: number[] }
/** Loads a model in a child process (node-llama-cpp) and scores a fixed text. */
async function probe(modelPath: string, extra: Record<string, unknown> = {}): Promise<ProbeResult> {
  const text = Array.from({ length: 12 }, (_, i) => `Once upon a time, a little bird number ${i} sang in the big green tree. `).join("");
  const { stdout } = await run(process.execPath, ["test/support/llamaProbe.mjs",
    JSON.stringify({ modelPath, contextSize: 2048, text, scoreFrom: 100, ...extra })], { cwd: repoRoot, timeout: 60_000 });
  // llama.cpp prints to stdout too: the result is the line after the marker.
  return JSON.parse(stdout.split("\n@@probe ").at(-1)!) as ProbeResult;
}

function tensorBytes(file: Buffer, header: GgufHeader, name: string): Buffer {
  const sorted = [...header.tensors].sort((a, b) => a.offset - b.offset);
  const i = sorted.findIndex((t) => t.name === name);
  const start = header.dataOffset + sorted[i]!.offset;
  const end = sorted[i + 1] ? header.dataOffset + sorted[i + 1]!.offset : file.length;
  return file.subarray(start, end);
}

describe("GGUF reader and patcher", () => {
  for (const [label, model] of Object.entries(models)) {
    it(`copies ${label} byte for byte with an empty patch`, async () => {
      const out = path.join(dir, `${label}-copy.gguf`);
      await patchGguf(model, out, {});
      assert.ok(readFileSync(out).equals(readFileSync(model)));
    });

    it(`re-encodes every metadata record of ${label} to its original bytes`, async () => {
      const header = await readGgufHeader(model);
      const file = readFileSync(model);
      assert.ok(header.entries.length > 10);
      for (const e of header.entries) {
        assert.ok(encodeMetadataEntry(e.key, e.value).equals(file.subarray(e.start, e.end)), e.key);
      }
    });
  }

  it("reads the header of stories260K", async () => {
    const h = await readGgufHeader(models.stories);
    assert.equal(h.version, 3);
    assert.equal(h.metadata.get("general.architecture")?.value, "llama");
    assert.equal(h.metadata.get("llama.rope.dimension_count")?.value, 8);
    assert.equal(h.metadata.get("llama.context_length")?.value, 2048);
    assert.equal((h.metadata.get("tokenizer.ggml.tokens")?.value as unknown[]).length, 512);
    assert.deepEqual(h.tensors.find((t) => t.name === "token_embd.weight")?.dims, [64, 512]);
    assert.equal(h.dataOffset % h.alignment, 0);
  });

  it("adds, replaces and removes tensors and metadata, leaving every other byte of tensor data as it was", async () => {
    const out = path.join(dir, "patched.gguf");
    const freqs = Float32Array.of(1, 2, 3, 4);
    const norm = new Float32Array(64).fill(0.5);
    await patchGguf(models.stories, out, {
      tensors: { "rope_freqs.weight": freqs, "output_norm.weight": norm },
      removeTensors: ["blk.4.ffn_norm.weight"],
      metadata: { "llama.context_length": gguf.u32(8192), "llama.rope.scaling.attn_factor": gguf.f32(1.25) },
      removeMetadata: ["general.name"],
    });
    const [src, dst] = [await readGgufHeader(models.stories), await readGgufHeader(out)];
    const [srcFile, dstFile] = [readFileSync(models.stories), readFileSync(out)];
    assert.equal(dst.tensors.length, src.tensors.length);
    assert.equal(dst.metadata.get("llama.context_length")?.value, 8192);
    assert.equal(dst.metadata.get("llama.rope.scaling.attn_factor")?.value, 1.25);
    assert.equal(dst.metadata.has("general.name"), false);
    // A replaced key keeps its position.
    assert.equal(dst.entries.findIndex((e) => e.key === "llama.context_length"), src.entries.findIndex((e) => e.key === "llama.context_length") - 1);
    const info = dst.tensors.find((t) => t.name === "rope_freqs.weight")!;
    assert.deepEqual([info.dims, info.type], [[4], GGML_TYPE.F32]);
    const readF32 = (name: string, n: number) => {
      const t = dst.tensors.find((x) => x.name === name)!;
      return Array.from(new Float32Array(dstFile.buffer.slice(dstFile.byteOffset + dst.dataOffset + t.offset, dstFile.byteOffset + dst.dataOffset + t.offset + 4 * n)));
    };
    assert.deepEqual(readF32("rope_freqs.weight", 4), [1, 2, 3, 4]);
    assert.deepEqual(readF32("output_norm.weight", 64), new Array(64).fill(0.5));
    assert.ok(!dst.tensors.some((t) => t.name === "blk.4.ffn_norm.weight"));
    for (const t of dst.tensors) {
      assert.equal(t.offset % dst.alignment, 0, `${t.name} aligned`);
      if (t.name === "rope_freqs.weight" || t.name === "output_norm.weight" || t.name === "blk.4.ffn_norm.weight") continue;
      const before = tensorBytes(srcFile, src, t.name);
      assert.ok(tensorBytes(dstFile, dst, t.name).subarray(0, before.length).equals(before), t.name);
    }
  });

  it("refuses non-GGUF, truncated and missing files with one sentence naming the file", async () => {
    const text = path.join(dir, "notes.gguf");
    writeFileSync(text, "this is not a model\n".repeat(10));
    const truncated = path.join(dir, "truncated.gguf");
    writeFileSync(truncated, readFileSync(models.tiny).subarray(0, 100_000));
    const check = (code: string, pattern: RegExp) => (e: unknown) =>
      e instanceof RepoQaError && e.code === code && pattern.test(e.message);
    await assert.rejects(readGgufHeader(text), check("model-invalid", /notes\.gguf is not a GGUF model file/));
    await assert.rejects(readGgufHeader(truncated), check("model-invalid", /truncated\.gguf is truncated or corrupt/));
    await assert.rejects(readGgufHeader(path.join(dir, "absent.gguf")), check("model-not-found", /absent\.gguf/));
    // A length field claiming a terabyte-long key: refused at once, without reading on.
    const corrupt = path.join(dir, "corrupt.gguf");
    const bytes = Buffer.from(readFileSync(models.stories));
    bytes.writeBigUInt64LE(1n << 40n, 24);
    writeFileSync(corrupt, bytes);
    await assert.rejects(readGgufHeader(corrupt), check("model-invalid", /corrupt\.gguf is truncated or corrupt/));
  });

  it("streams a large model with bounded memory and leaves nothing behind when cancelled", async () => {
    const big = path.join(dir, "big.gguf");
    const rows = 64 << 10; // 4096 × 65536 F16 = 512 MiB
    await buildGguf(big, {
      metadata: [["general.architecture", gguf.string("llama")]],
      tensors: [{ name: "big.weight", dims: [4096, rows], type: GGML_TYPE.F16, fill: (chunk, offset) => chunk.fill(offset & 0xff) }],
    });
    const out = path.join(dir, "big-out.gguf");
    const rssBefore = process.memoryUsage().rss;
    let peak = rssBefore;
    await patchGguf(big, out, {
      tensors: { "rope_freqs.weight": new Float32Array(64).fill(2) },
      onProgress: () => { peak = Math.max(peak, process.memoryUsage().rss); },
    });
    assert.ok(peak - rssBefore < 96 << 20, `RSS grew by ${((peak - rssBefore) / 2 ** 20).toFixed(0)} MiB`);
    const h = await readGgufHeader(out);
    assert.equal(h.tensors.length, 2);
    rmSync(out);

    const controller = new AbortController();
    let calls = 0;
    await assert.rejects(
      patchGguf(big, out, { signal: controller.signal, onProgress: () => { if (++calls === 3) controller.abort(); } }),
      (e: Error) => e.name === "AbortError",
    );
    assert.deepEqual(readdirSync(dir).filter((f) => f.startsWith("big-out")), []);
    rmSync(big);
  });
});

describe("rope_freqs and extendModel in llama.cpp (child process)", () => {
  it("honours rope_freqs: all ones is identical to the original, all 4 is identical to linear ×4", async () => {
    const ones = path.join(dir, "ones.gguf");
    const fours = path.join(dir, "fours.gguf");
    await patchGguf(models.stories, ones, { tensors: { "rope_freqs.weight": new Float32Array(4).fill(1) } });
    await patchGguf(models.stories, fours, { tensors: { "rope_freqs.weight": new Float32Array(4).fill(4) } });
    const [original, withOnes, withFours, linear] = await inPairs([
      () => probe(models.stories),
      () => probe(ones),
      () => probe(fours),
      // Non-integer floats: integer-valued numbers are sent as INT and ignored for float keys.
      () => probe(models.stories, { metadataOverrides: { llama: { rope: { scaling: { type: "linear", factor: 4 + 1e-9 } } } } }),
    ]);
    assert.ok(original.scored > 50);
    assert.equal(withOnes.nll, original.nll);
    assert.equal(withFours.nll, linear.nll);
    assert.ok(Math.abs(withFours.nll - original.nll) > 0.01 * original.nll, "×4 changes the model, so the equality above means something");
  });

  it("writes an extended model llama.cpp loads at the target context, with a sidecar findExtendedModel uses", async () => {
    const factors = [1, 2, 4, 8];
    const out = path.join(dir, "stories-x8.gguf");
    const sidecar = await extendModel({
      modelPath: models.stories, outPath: out, longFactors: factors, targetContext: 4096, originalContext: 512,
      source: "unit test",
    });
    assert.equal(sidecar.storage, "rope_freqs");
    const h = await readGgufHeader(out);
    assert.equal(h.metadata.get("llama.context_length")?.value, 4096);
    assert.equal(h.metadata.get("llama.rope.scaling.type")?.value, "none");
    assert.ok(Math.abs((h.metadata.get("llama.rope.scaling.attn_factor")?.value as number) - Math.sqrt(4 / 3)) < 1e-6);
    const loaded = await probe(out, { contextSize: 4096 });
    assert.equal(loaded.trainContextSize, 4096);
    assert.ok(Number.isFinite(loaded.nll));

    // findExtendedModel looks next to the model: copy the original into the temp folder to have a "next to".
    const local = path.join(dir, "stories.gguf");
    writeFileSync(local, readFileSync(models.stories));
    const x4 = path.join(dir, "stories-x4.gguf");
    const x8 = path.join(dir, "stories-x8b.gguf");
    await extendModel({ modelPath: local, outPath: x8, longFactors: factors, targetContext: 4096, originalContext: 512, source: "searched on tests" });
    await extendModel({ modelPath: local, outPath: x4, longFactors: factors, targetContext: 2048, originalContext: 512 });
    assert.deepEqual(await findExtendedModel(local, 3000), { path: x8, contextLength: 4096, description: "LongRoPE ×8 factors, searched on tests" });
    assert.equal((await findExtendedModel(local, 1000))?.path, x4, "the least-stretched copy that fits");
    assert.equal(await findExtendedModel(local, 5000), undefined);
    rmSync(x8);
    assert.equal((await findExtendedModel(local, 3000)), undefined, "a sidecar without its model is ignored");
  });

  it("llama with short factors switches to longrope tensors, and llama.cpp picks short at L_orig, long beyond", async () => {
    const long = [1, 2, 4, 8];
    const out = path.join(dir, "stories-long-short.gguf");
    const sidecar = await extendModel({
      modelPath: models.stories, outPath: out, longFactors: long, shortFactors: [1, 1, 1, 1], targetContext: 4096,
      originalContext: 512, attnFactor: 1,
    });
    assert.equal(sidecar.storage, "rope_factors_long/short");
    const h = await readGgufHeader(out);
    assert.equal(h.metadata.get("llama.rope.scaling.type")?.value, "longrope");
    assert.ok(!h.tensors.some((t) => t.name === "rope_freqs.weight"));
    const freqsOnly = path.join(dir, "stories-freqs-long.gguf");
    await patchGguf(models.stories, freqsOnly, { tensors: { "rope_freqs.weight": Float32Array.from(long) } });
    const [short, original, longCtx, freqs] = await inPairs([
      () => probe(out, { contextSize: 512 }), () => probe(models.stories, { contextSize: 512 }),
      () => probe(out, { contextSize: 1024 }), () => probe(freqsOnly, { contextSize: 1024 }),
    ]);
    assert.equal(short.nll, original.nll, "short factors (all ones) at 512: the original model");
    assert.equal(longCtx.nll, freqs.nll, "long factors beyond 512: the same as rope_freqs = long");
    assert.notEqual(longCtx.nll, short.nll);
  });

  it("rejects factors that do not match the model's RoPE pairs", async () => {
    await assert.rejects(
      extendModel({ modelPath: models.stories, outPath: path.join(dir, "bad.gguf"), longFactors: [1, 2], targetContext: 4096, originalContext: 512 }),
      /must be 4 positive numbers/,
    );
    assert.equal(existsSync(path.join(dir, "bad.gguf")), false);
  });
});
