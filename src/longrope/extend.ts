/**
 * Writes a LongRoPE-extended copy of a GGUF model: per-pair factors as `rope_freqs` (llama, one set) or as
 * `rope_factors_long` / `rope_factors_short` with scaling type `longrope` (phi3, or llama with a short set), plus the
 * context length, original context and attention factor. A sidecar `<out>.longrope.json` says what was written, so the
 * engine can find the copy and tell the user which factors it runs.
 */
import { readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import * as path from "node:path";
import { RepoQaError } from "../util/errors";
import { attentionScale, type RopeMethod } from "./factors";
import {
  gguf, metadataNumber, metadataString, patchGguf, readF32Tensor, readGgufHeader, type GgufHeader, type GgufPatch, type GgufValue,
} from "./gguf/index";

export interface ExtendModelOptions {
  readonly modelPath: string;
  readonly outPath: string;
  /** One λ per RoPE pair, used beyond `originalContext` (or always, for llama without short factors). */
  readonly longFactors: readonly number[];
  /** Used when the configured context is at most `originalContext`. Default: kept from the model, else all ones. */
  readonly shortFactors?: readonly number[];
  readonly targetContext: number;
  readonly originalContext: number;
  /** Default: sqrt(1 + ln s / ln L_orig), with s and L_orig of the written model. */
  readonly attnFactor?: number;
  /**
   * "model": the factors extend the model's current long factors (progressive extension of a LongRoPE model, e.g. a
   * 128k phi3 to 256k): each written λ is the product of both, and the model's own original context (the long/short
   * switch) is kept. Default "base": the factors are relative to the trained RoPE and replace whatever was there.
   */
  readonly relativeTo?: "base" | "model";
  /** Default: "longrope". */
  readonly method?: RopeMethod;
  readonly nHat?: number;
  /** Where the factors come from, shown to the user, e.g. "searched on 6 samples of my-repo". */
  readonly source?: string;
  readonly signal?: AbortSignal;
  readonly onProgress?: GgufPatch["onProgress"];
}

/** Contents of `<extended model>.longrope.json`. */
export interface ExtendedModelSidecar {
  readonly kind: "longrope-qa.extended-model";
  readonly version: 1;
  readonly sourceModel: string;
  readonly sourceModelBytes: number;
  readonly architecture: string;
  readonly method: RopeMethod;
  readonly scale: number;
  readonly targetContext: number;
  readonly originalContext: number;
  readonly attnFactor: number;
  readonly nHat?: number;
  readonly source?: string;
  /** Which GGUF tensors carry the factors. */
  readonly storage: "rope_freqs" | "rope_factors_long/short";
  readonly longFactors: readonly number[];
  readonly shortFactors?: readonly number[];
  readonly createdAt: string;
}

export interface ExtendedModel {
  readonly path: string;
  readonly contextLength: number;
  /** E.g. "LongRoPE ×8 factors, searched on 6 samples of my-repo". */
  readonly description: string;
}

export const sidecarSuffix = ".longrope.json";

export async function extendModel(options: ExtendModelOptions): Promise<ExtendedModelSidecar> {
  const { modelPath, outPath, targetContext, originalContext } = options;
  const header = await readGgufHeader(modelPath);
  const arch = metadataString(header, "general.architecture") ?? "";
  if (arch !== "llama" && arch !== "phi3") {
    throw new RepoQaError(`${modelPath} has architecture "${arch}"; LongRoPE extension supports llama and phi3 models only.`, "bad-input");
  }
  const dims = metadataNumber(header, `${arch}.rope.dimension_count`) ??
    (metadataNumber(header, `${arch}.embedding_length`) ?? 0) / (metadataNumber(header, `${arch}.attention.head_count`) ?? 1);
  checkFactors(options.longFactors, dims / 2, "long");
  if (options.shortFactors) checkFactors(options.shortFactors, dims / 2, "short");
  if (!(targetContext > 0 && originalContext > 0 && Number.isInteger(targetContext) && Number.isInteger(originalContext))) {
    throw new RepoQaError("Target and original context must be positive whole numbers of tokens.", "bad-input");
  }
  const scale = targetContext / originalContext;
  const current = options.relativeTo === "model" ? await currentLongFactors(modelPath, header, arch) : undefined;
  const longFactors = options.longFactors.map((f, i) => f * (current?.factors?.[i] ?? 1));
  // The written model's own L_orig: where llama.cpp switches from short to long factors.
  const writtenOriginal = current?.originalContext ?? originalContext;
  const attnFactor = options.attnFactor ?? attentionScale(targetContext / writtenOriginal, writtenOriginal);
  const useLongrope = arch === "phi3" || options.shortFactors !== undefined || current?.storage === "rope_factors_long/short";
  const hasShort = header.tensors.some((t) => t.name === "rope_factors_short.weight");
  const tensors: Record<string, Float32Array> = {};
  if (useLongrope) {
    tensors["rope_factors_long.weight"] = Float32Array.from(longFactors);
    if (options.shortFactors) tensors["rope_factors_short.weight"] = Float32Array.from(options.shortFactors);
    else if (!hasShort) tensors["rope_factors_short.weight"] = new Float32Array(dims / 2).fill(1);
  } else {
    tensors["rope_freqs.weight"] = Float32Array.from(longFactors);
  }
  const metadata: Record<string, GgufValue> = {
    [`${arch}.context_length`]: gguf.u32(targetContext),
    [`${arch}.rope.scaling.type`]: gguf.string(useLongrope ? "longrope" : "none"),
    [`${arch}.rope.scaling.original_context_length`]: gguf.u32(writtenOriginal),
    [`${arch}.rope.scaling.attn_factor`]: gguf.f32(attnFactor),
  };
  await patchGguf(modelPath, outPath, {
    tensors,
    metadata,
    // The factors are absolute; a linear factor would be applied on top of them.
    removeMetadata: [`${arch}.rope.scaling.factor`],
    // llama.cpp refuses files with tensors it does not use.
    removeTensors: useLongrope ? ["rope_freqs.weight"] : ["rope_factors_long.weight", "rope_factors_short.weight"],
    signal: options.signal,
    onProgress: options.onProgress,
  });
  const sidecar: ExtendedModelSidecar = {
    kind: "longrope-qa.extended-model",
    version: 1,
    sourceModel: path.resolve(modelPath),
    sourceModelBytes: header.fileSize,
    architecture: arch,
    method: options.method ?? "longrope",
    scale,
    targetContext,
    originalContext,
    attnFactor,
    ...(options.nHat !== undefined ? { nHat: options.nHat } : {}),
    ...(options.source !== undefined ? { source: options.source } : {}),
    storage: useLongrope ? "rope_factors_long/short" : "rope_freqs",
    longFactors: [...longFactors],
    ...(options.shortFactors ? { shortFactors: [...options.shortFactors] } : {}),
    createdAt: new Date().toISOString(),
  };
  try {
    await writeFile(outPath + sidecarSuffix, JSON.stringify(sidecar, null, 2) + "\n");
  } catch (e) {
    await rm(outPath, { force: true });
    throw e;
  }
  return sidecar;
}

async function currentLongFactors(modelPath: string, header: GgufHeader, arch: string) {
  for (const [name, storage] of [["rope_factors_long.weight", "rope_factors_long/short"], ["rope_freqs.weight", "rope_freqs"]] as const) {
    const factors = await readF32Tensor(modelPath, header, name);
    if (factors) {
      const originalContext = metadataNumber(header, `${arch}.rope.scaling.original_context_length`) ?? metadataNumber(header, `${arch}.context_length`)!;
      return { factors, storage, originalContext };
    }
  }
  return { factors: undefined, storage: undefined, originalContext: undefined };
}

function checkFactors(factors: readonly number[], pairs: number, which: string): void {
  if (factors.length !== pairs || !factors.every((f) => Number.isFinite(f) && f > 0)) {
    throw new RepoQaError(`The ${which} factors must be ${pairs} positive numbers (one per RoPE pair of this model), got ${factors.length}.`, "bad-input");
  }
}

/** Where an extended copy goes: `model.gguf` → `model.longrope-32k.gguf`, next to it (where findExtendedModel looks). */
export function extendedModelPath(modelPath: string, targetContext: number): string {
  const size = targetContext % 1024 === 0 ? `${targetContext / 1024}k` : String(targetContext);
  return path.join(path.dirname(modelPath), `${path.basename(modelPath, ".gguf")}.longrope-${size}.gguf`);
}

/** Human description of an extended copy, e.g. "LongRoPE ×8 factors, searched on …". */
export function describeExtendedModel(sidecar: ExtendedModelSidecar): string {
  const name = sidecar.method === "longrope" ? "LongRoPE" : sidecar.method.toUpperCase();
  const scale = Number(sidecar.scale.toFixed(2));
  const nHat = sidecar.nHat ? `, n̂ = ${sidecar.nHat}` : "";
  return `${name} ×${scale} factors${nHat}${sidecar.source ? `, ${sidecar.source}` : ""}`;
}

/**
 * An extended copy of `modelPath` next to it (same folder) whose context is at least `neededContext`; the smallest
 * such, so short repos keep the least-stretched factors. Undefined when there is none.
 */
export async function findExtendedModel(modelPath: string, neededContext: number): Promise<ExtendedModel | undefined> {
  const dir = path.dirname(path.resolve(modelPath));
  const modelBytes = await stat(modelPath).then((s) => s.size, () => -1);
  const names = await readdir(dir).catch(() => [] as string[]);
  let best: ExtendedModel | undefined;
  for (const name of names.filter((n) => n.endsWith(sidecarSuffix))) {
    const sidecar = await readSidecar(path.join(dir, name));
    if (!sidecar) continue;
    const samePath = sidecar.sourceModel === path.resolve(modelPath);
    const sameFile = path.basename(sidecar.sourceModel) === path.basename(modelPath) && sidecar.sourceModelBytes === modelBytes;
    if (!(samePath || sameFile) || sidecar.targetContext < neededContext) continue;
    const extendedPath = path.join(dir, name.slice(0, -sidecarSuffix.length));
    if (!(await stat(extendedPath).then((s) => s.isFile(), () => false))) continue;
    if (best && best.contextLength <= sidecar.targetContext) continue;
    best = { path: extendedPath, contextLength: sidecar.targetContext, description: describeExtendedModel(sidecar) };
  }
  return best;
}

export async function readSidecar(file: string): Promise<ExtendedModelSidecar | undefined> {
  try {
    const value = JSON.parse(await readFile(file, "utf8")) as Partial<ExtendedModelSidecar>;
    if (value.kind !== "longrope-qa.extended-model" || typeof value.targetContext !== "number") return undefined;
    return value as ExtendedModelSidecar;
  } catch {
    return undefined;
  }
}
