/**
 * Writes a SYNTHETIC GGUF model: the architecture and tensor shapes of a real model, random weights, and a real
 * tokenizer copied from a small GGUF. Throughput does not depend on weight values, so such a file measures speed at
 * real sizes; its answers are noise. Every file is named and labelled "synthetic" in its metadata.
 *
 *   node --import tsx scripts/make-synthetic-model.ts --shape phi4-mini|tiny-phi3 --out FILE.gguf
 *     [--tokenizer-from GGUF] [--type q8_0|f16|f32] [--seed N]
 */
import * as path from "node:path";
import { parseArgs } from "node:util";
import { attentionScale, yarnFactors } from "../src/longrope/factors";
import { findTestModel } from "../src/engine/testModels";
import { SeededRandom } from "../src/longrope/search/random";
import {
  buildGguf, GGML_TYPE, gguf, readGgufHeader, type GgufArray, type GgufValue, type TensorSpec,
} from "../src/longrope/gguf/index";

export interface ModelShape {
  readonly label: string;
  readonly layers: number;
  readonly embedding: number;
  readonly feedForward: number;
  readonly heads: number;
  readonly kvHeads: number;
  readonly ropeDimensions: number;
  readonly vocab: number;
  readonly contextLength: number;
  readonly originalContext: number;
  readonly tiedEmbeddings: boolean;
  /** Standard deviation of the random weights. */
  readonly weightStd: number;
}

export const shapes: Record<string, ModelShape> = {
  // microsoft/Phi-4-mini-instruct: 3.8B, GQA 24/8, head 128 with 75% rotary, vocab 200064, LongRoPE 4k → 128k.
  "phi4-mini": {
    label: "Phi-4-mini", layers: 32, embedding: 3072, feedForward: 8192, heads: 24, kvHeads: 8, ropeDimensions: 96,
    vocab: 200064, contextLength: 131072, originalContext: 4096, tiedEmbeddings: true, weightStd: 0.02,
  },
  // Same structure at toy size, for tests.
  "tiny-phi3": {
    label: "tiny phi3", layers: 2, embedding: 64, feedForward: 128, heads: 4, kvHeads: 2, ropeDimensions: 12,
    vocab: 32064, contextLength: 4096, originalContext: 512, tiedEmbeddings: false, weightStd: 0.25,
  },
};

export type WeightType = "q8_0" | "f16" | "f32";

export interface SyntheticModelOptions {
  readonly shape: ModelShape;
  readonly outPath: string;
  readonly tokenizerFrom: string;
  /** Default: "q8_0". */
  readonly type?: WeightType;
  /** Default: 1. */
  readonly seed?: number;
  readonly signal?: AbortSignal;
  readonly onProgress?: (progress: { readonly done: number; readonly total: number }) => void;
}

const typeIds: Record<WeightType, number> = { q8_0: GGML_TYPE.Q8_0, f16: GGML_TYPE.F16, f32: GGML_TYPE.F32 };
const fileTypes: Record<WeightType, number> = { f32: 0, f16: 1, q8_0: 7 };

export async function makeSyntheticModel(options: SyntheticModelOptions): Promise<void> {
  const { shape } = options;
  const type = options.type ?? "q8_0";
  const seed = options.seed ?? 1;
  const pairs = shape.ropeDimensions / 2;
  const scale = shape.contextLength / shape.originalContext;
  const long = yarnFactors(scale, pairs, { base: 10000, dimensionCount: shape.ropeDimensions, originalContext: shape.originalContext });
  const short = Array.from({ length: pairs }, (_, i) => 1 + (0.25 * i) / pairs);
  const metadata: [string, GgufValue][] = [
    ["general.architecture", gguf.string("phi3")],
    ["general.name", gguf.string(`SYNTHETIC ${shape.label} shape (random weights)`)],
    ["general.description", gguf.string(`Synthetic model: ${shape.label} architecture and tensor shapes with random weights; for speed measurements only, its output is meaningless.`)],
    ["general.file_type", gguf.u32(fileTypes[type])],
    ["phi3.context_length", gguf.u32(shape.contextLength)],
    ["phi3.embedding_length", gguf.u32(shape.embedding)],
    ["phi3.feed_forward_length", gguf.u32(shape.feedForward)],
    ["phi3.block_count", gguf.u32(shape.layers)],
    ["phi3.attention.head_count", gguf.u32(shape.heads)],
    ["phi3.attention.head_count_kv", gguf.u32(shape.kvHeads)],
    ["phi3.attention.layer_norm_rms_epsilon", gguf.f32(1e-5)],
    ["phi3.rope.dimension_count", gguf.u32(shape.ropeDimensions)],
    ["phi3.rope.freq_base", gguf.f32(10000)],
    ["phi3.rope.scaling.type", gguf.string("longrope")],
    ["phi3.rope.scaling.original_context_length", gguf.u32(shape.originalContext)],
    ["phi3.rope.scaling.attn_factor", gguf.f32(attentionScale(scale, shape.originalContext))],
    ["longrope_qa.synthetic", gguf.bool(true)],
    ...(await tokenizerMetadata(options.tokenizerFrom, shape.vocab)),
  ];
  await buildGguf(options.outPath, {
    metadata,
    tensors: syntheticTensors(shape, typeIds[type], seed, long, short),
    signal: options.signal,
    onProgress: options.onProgress,
  });
}

export function syntheticTensors(shape: ModelShape, type: number, seed: number, long: number[], short: number[]): TensorSpec[] {
  const e = shape.embedding;
  const headDim = e / shape.heads;
  const kv = shape.kvHeads * headDim;
  let index = 0;
  const weight = (name: string, dims: number[]): TensorSpec => ({ name, dims, type, fill: randomFill(type, seed * 7919 + index++, shape.weightStd) });
  const values = (name: string, v: number[]): TensorSpec => {
    const bytes = Buffer.from(Float32Array.from(v).buffer);
    return { name, dims: [v.length], type: GGML_TYPE.F32, fill: (chunk, offset) => bytes.copy(chunk, 0, offset, offset + chunk.length) };
  };
  const ones = (name: string) => values(name, new Array<number>(e).fill(1));
  const specs: TensorSpec[] = [
    weight("token_embd.weight", [e, shape.vocab]),
    ones("output_norm.weight"),
    ...(shape.tiedEmbeddings ? [] : [weight("output.weight", [e, shape.vocab])]),
    values("rope_factors_long.weight", long),
    values("rope_factors_short.weight", short),
  ];
  for (let i = 0; i < shape.layers; i++) {
    specs.push(
      ones(`blk.${i}.attn_norm.weight`),
      weight(`blk.${i}.attn_qkv.weight`, [e, e + 2 * kv]),
      weight(`blk.${i}.attn_output.weight`, [e, e]),
      ones(`blk.${i}.ffn_norm.weight`),
      weight(`blk.${i}.ffn_up.weight`, [e, 2 * shape.feedForward]),
      weight(`blk.${i}.ffn_down.weight`, [shape.feedForward, e]),
    );
  }
  return specs;
}

/**
 * A fill function that tiles one random block (~1 MiB, whole quantization blocks) over the tensor: generating
 * gigabytes of fresh randomness would only slow the script down, and values do not change the speed.
 */
function randomFill(type: number, seed: number, std: number): TensorSpec["fill"] {
  let block: Buffer | undefined;
  return (chunk, offset) => {
    block ??= randomBlock(type, seed, std);
    for (let pos = 0; pos < chunk.length; ) {
      const from = (offset + pos) % block.length;
      pos += block.copy(chunk, pos, from, Math.min(block.length, from + chunk.length - pos));
    }
  };
}

function randomBlock(type: number, seed: number, std: number): Buffer {
  const random = new SeededRandom(seed);
  const next = () => random.next();
  const uniform = () => (next() * 2 - 1) * std * Math.sqrt(3);
  if (type === GGML_TYPE.F32) return Buffer.from(Float32Array.from({ length: 1 << 18 }, uniform).buffer);
  if (type === GGML_TYPE.F16) return Buffer.from(Uint16Array.from({ length: 1 << 19 }, () => toHalf(uniform())).buffer);
  // Q8_0: blocks of [f16 scale d][32 × int8 q], value = d · q; q uniform in [-127, 127].
  const blocks = 30840;
  const buf = Buffer.alloc(blocks * 34);
  const d = toHalf((std * Math.sqrt(3)) / 127);
  for (let b = 0; b < blocks; b++) {
    buf.writeUInt16LE(d, b * 34);
    for (let j = 0; j < 32; j++) buf.writeInt8(Math.round((next() * 2 - 1) * 127), b * 34 + 2 + j);
  }
  return buf;
}


const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);
/** IEEE half bits of a float in the normal range (tiny values flush to zero, which random weights never reach). */
function toHalf(value: number): number {
  f32[0] = value;
  const x = u32[0]!;
  const sign = (x >>> 16) & 0x8000;
  const exponent = ((x >>> 23) & 0xff) - 127 + 15;
  if (exponent <= 0) return sign;
  if (exponent >= 31) return sign | 0x7c00;
  return sign | (exponent << 10) | ((x >>> 13) & 0x3ff);
}

/** The `tokenizer.*` metadata of a small GGUF, its token lists padded with unused tokens to `vocab` entries. */
async function tokenizerMetadata(file: string, vocab: number): Promise<[string, GgufValue][]> {
  const header = await readGgufHeader(file);
  const tokens = header.metadata.get("tokenizer.ggml.tokens") as GgufArray | undefined;
  if (!tokens || tokens.value.length > vocab) throw new Error(`${file} has no tokenizer of at most ${vocab} tokens`);
  const padding = vocab - tokens.value.length;
  const pad = (key: string, item: (i: number) => string | number): GgufValue | undefined => {
    const v = header.metadata.get(key) as GgufArray | undefined;
    return v && gguf.array(v.itemType, [...v.value, ...Array.from({ length: padding }, (_, i) => item(i))]);
  };
  // Phi's special tokens first (llama.cpp looks up <|endoftext|> for models named phi3), then unused fillers.
  const special = ["<|endoftext|>", "<|system|>", "<|user|>", "<|assistant|>", "<|end|>"].slice(0, padding);
  const padded: Record<string, GgufValue | undefined> = {
    "tokenizer.ggml.tokens": pad("tokenizer.ggml.tokens", (i) => special[i] ?? `<|synthetic_unused_${i}|>`),
    "tokenizer.ggml.scores": pad("tokenizer.ggml.scores", () => 0),
    "tokenizer.ggml.token_type": pad("tokenizer.ggml.token_type", (i) => (i < special.length ? 3 : 5)), // CONTROL, UNUSED
  };
  return header.entries
    .filter((e) => e.key.startsWith("tokenizer."))
    .map((e): [string, GgufValue] => [e.key, padded[e.key] ?? e.value]);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      shape: { type: "string", default: "tiny-phi3" },
      out: { type: "string" },
      "tokenizer-from": { type: "string" },
      type: { type: "string" },
      seed: { type: "string" },
    },
  });
  const shape = shapes[values.shape];
  if (!shape || !values.out) {
    process.stderr.write(`Usage: make-synthetic-model --shape ${Object.keys(shapes).join("|")} --out FILE.gguf [--tokenizer-from GGUF] [--type q8_0|f16|f32] [--seed N]\n`);
    process.exitCode = 2;
    return;
  }
  // The file name says what it is, so nobody mistakes it for a real model.
  const outPath = /synthetic/i.test(path.basename(values.out)) ? values.out : values.out.replace(/(\.gguf)?$/i, ".synthetic.gguf");
  const tokenizerFrom = values["tokenizer-from"] ?? findTestModel("llama-2-tiny-random", __dirname) ?? "llama-2-tiny-random.gguf";
  const started = Date.now();
  let lastPercent = -1;
  await makeSyntheticModel({
    shape, outPath, tokenizerFrom, type: values.type as WeightType | undefined,
    seed: values.seed ? Number(values.seed) : undefined,
    onProgress: ({ done, total }) => {
      const percent = Math.floor((done / total) * 100);
      if (percent !== lastPercent) process.stderr.write(`\rwriting ${outPath}: ${percent}%`);
      lastPercent = percent;
    },
  });
  process.stderr.write(`\nwrote SYNTHETIC ${shape.label}-shaped model ${outPath} in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
}

if (require.main === module) {
  main().catch((e: unknown) => {
    process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
    process.exitCode = 1;
  });
}
