/**
 * Extending from what a model already has: the original window each kind of model declares or implies, the paper's
 * rescale rule, and a llama model extended twice (the second time from the first copy's own factors). GGUF only.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, describe, it } from "node:test";
import { ntkFactors, rescaleFactors, yarnLlamaCppFactors } from "../../src/longrope/factors";
import { extendModel } from "../../src/longrope/extend";
import { gguf, patchGguf, readF32Tensor, readGgufHeader } from "../../src/longrope/gguf/index";
import { readModelRopeInfo, shipsLongFactors } from "../../src/longrope/modelShape";
import { initialVectors } from "../../src/longrope/search/longropeSearch";
import { makeSyntheticModel, shapes } from "../../scripts/make-synthetic-model";
import { sharedModels } from "../support/models";

const dir = mkdtempSync(path.join(os.tmpdir(), "lrq-extend-"));
after(() => rmSync(dir, { recursive: true, force: true }));

describe("the paper's rescale rule and llama.cpp's YaRN ramp", () => {
  it("λ' = 1 + (λ − 1)(s' − 1)/(s − 1): ones stay, s becomes s', the same ratio is the identity", () => {
    assert.deepEqual(rescaleFactors([1, 2, 8], 8, 32), [1, 1 + 31 / 7, 32]);
    assert.deepEqual(rescaleFactors([1, 1.5, 4], 4, 4), [1, 1.5, 4]);
    assert.throws(() => rescaleFactors([1, 2], 1, 4), RangeError);
  });

  it("llama.cpp's ramp is linear in the pair index between floor/ceil of the β pairs (SmolLM2 from 2,048 at ×4)", () => {
    // β_fast = 32 sits at pair 64·ln(2048 / 64π) / (2 ln 1e5) = 6.45 → 6; β_slow = 1 at 16.08 → 17.
    const v = yarnLlamaCppFactors(4, 32, { base: 1e5, dimensionCount: 64, originalContext: 2048 });
    assert.deepEqual(v.slice(0, 7), new Array(7).fill(1));
    assert.deepEqual(v.slice(17), new Array(15).fill(4));
    const keep = 1 - (12 - 6) / (17 - 6);
    assert.equal(v[12], 1 / ((1 - keep) / 4 + keep));
  });
});

describe("original window and shipped factors", () => {
  it("phi3: from original_context_length; its own factors rescaled are a starting vector of the search", async () => {
    const phi3 = path.join(dir, "tiny-phi3.gguf");
    await makeSyntheticModel({ shape: shapes["tiny-phi3"]!, outPath: phi3, tokenizerFrom: sharedModels.tinyRandom, type: "f32" });
    const info = await readModelRopeInfo(phi3);
    assert.equal(info.originalContext, 512);
    assert.equal(info.originalContextFrom, "metadata");
    assert.equal(info.factorStorage, "rope_factors_long/short");
    assert.ok(shipsLongFactors(info));
    const starts = initialVectors(info, 32, 512);
    assert.deepEqual(starts["model-rescaled"], rescaleFactors(info.longFactors, 8, 32));
    assert.deepEqual(Object.keys(starts), ["pi", "ntk", "yarn", "yarn-llama.cpp", "model-rescaled"]);
  });

  it("Llama-3 style (rope_freqs, no original_context_length): context length ÷ the largest factor; plain llama: its context", async () => {
    const plain = await readModelRopeInfo(sharedModels.stories);
    assert.equal(plain.originalContextFrom, "context_length");
    assert.equal(plain.originalContext, plain.contextLength);
    assert.equal(shipsLongFactors(plain), false);
    const llama3 = path.join(dir, "llama3-like.gguf");
    await patchGguf(sharedModels.stories, llama3, {
      tensors: { "rope_freqs.weight": Float32Array.from([1, 1.5, 4, 8]) },
      metadata: { "llama.context_length": gguf.u32(16384) },
    });
    const info = await readModelRopeInfo(llama3);
    assert.equal(info.originalContext, 2048);
    assert.equal(info.originalContextFrom, "rope_freqs");
    assert.ok(shipsLongFactors(info));
  });

  it("a llama copy records its original window, so extending the copy again rescales its factors (progressive)", async () => {
    const first = path.join(dir, "stories-x4.gguf");
    const ntk4 = ntkFactors(4, 4, 8);
    await extendModel({ modelPath: sharedModels.stories, outPath: first, longFactors: ntk4, targetContext: 2048, originalContext: 512 });
    const copy = await readModelRopeInfo(first);
    assert.equal(copy.originalContext, 512);
    assert.equal(copy.originalContextFrom, "metadata");
    const second = path.join(dir, "stories-x8.gguf");
    const sidecar = await extendModel({ modelPath: first, outPath: second, targetContext: 4096 });
    assert.equal(sidecar.rescaledFromScale, 4);
    assert.equal(sidecar.storage, "rope_freqs");
    const h = await readGgufHeader(second);
    const written = Array.from((await readF32Tensor(second, h, "rope_freqs.weight"))!);
    assert.deepEqual(written, rescaleFactors(Array.from(Float32Array.from(ntk4)), 4, 8).map(Math.fround));
    assert.equal(h.metadata.get("llama.rope.scaling.original_context_length")?.value, 512);
    assert.equal(h.metadata.get("llama.rope.scaling.attn_factor")?.value, Math.fround(Math.sqrt(1 + Math.log(8) / Math.log(512))));
  });
});
