/**
 * Writes a LongRoPE-extended copy of a GGUF model: per-pair factors as `rope_freqs` (llama, one set) or as
 * `rope_factors_long` / `rope_factors_short` with scaling type `longrope` (phi3, or llama with a short set), plus the
 * context length, original context and attention factor. Factors are absolute against the model's ORIGINAL window
 * (phi3: 4,096 for Phi-4-mini, not its 131,072), so a model that already ships long factors is extended from them:
 * without given factors, its own are rescaled to the new ratio by the paper's rule. A sidecar `<out>.longrope.json`
 * says what was written, so the engine can find the copy and tell the user which factors it runs.
 */
import { readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import * as path from "node:path";
import { RepoQaError } from "../util/errors";
import { attentionScale, rescaleFactors, type RopeMethod } from "./factors";
import { gguf, patchGguf, readGgufHeader, type GgufPatch, type GgufValue } from "./gguf/index";
import { readModelRopeInfo, shippedScale, shipsLongFactors, type ModelRopeInfo } from "./modelShape";

export interface ExtendModelOptions {
  readonly modelPath: string;
  readonly outPath: string;
  /**
   * One λ per RoPE pair against the original window, used beyond it (or always, for llama without short factors).
   * Default: the model's own long factors rescaled to the new ratio, λ' = 1 + (λ − 1)(s' − 1)/(s − 1); a model
   * without long factors needs them given.
   */
  readonly longFactors?: readonly number[];
  /** Used when the configured context is at most the original window. Default: kept from the model, else all ones. */
  readonly shortFactors?: readonly number[];
  readonly targetContext: number;
  /** Default: the model's original window (`ModelRopeInfo.originalContext`). */
  readonly originalContext?: number;
  /** Default: sqrt(1 + ln s' / ln L_orig) with s' = target ÷ original context. */
  readonly attnFactor?: number;
  /** Default: "longrope". */
  readonly method?: RopeMethod;
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
  /** s' = target context ÷ original context. */
  readonly scale: number;
  readonly targetContext: number;
  readonly originalContext: number;
  /** How the original window was found (see `ModelRopeInfo.originalContextFrom`), or "given". */
  readonly originalContextFrom: ModelRopeInfo["originalContextFrom"] | "given";
  readonly attnFactor: number;
  /** Set when the long factors are the model's own rescaled: the ratio they were made for. */
  readonly rescaledFromScale?: number;
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
  const { modelPath, outPath, targetContext } = options;
  const info = await readModelRopeInfo(modelPath);
  const arch = info.architecture;
  if (arch !== "llama" && arch !== "phi3") {
    throw new RepoQaError(`${modelPath} has architecture "${arch}"; LongRoPE extension supports llama and phi3 models only.`, "bad-input");
  }
  const originalContext = options.originalContext ?? info.originalContext;
  if (!(targetContext > 0 && originalContext > 0 && Number.isInteger(targetContext) && Number.isInteger(originalContext))) {
    throw new RepoQaError("Target and original context must be positive whole numbers of tokens.", "bad-input");
  }
  const pairs = info.dimensionCount / 2;
  const scale = targetContext / originalContext;
  const chosen: { factors: readonly number[]; fromScale?: number } = options.longFactors
    ? { factors: options.longFactors }
    : ownFactorsRescaled(info, modelPath, originalContext, scale);
  const longFactors = chosen.factors;
  checkFactors(longFactors, pairs, "long");
  if (options.shortFactors) checkFactors(options.shortFactors, pairs, "short");
  const attnFactor = options.attnFactor ?? attentionScale(scale, originalContext);
  const header = await readGgufHeader(modelPath);
  const useLongrope = arch === "phi3" || options.shortFactors !== undefined || info.factorStorage === "rope_factors_long/short";
  const shortFactors = useLongrope ? options.shortFactors ?? info.shortFactors ?? new Array<number>(pairs).fill(1) : undefined;
  const tensors: Record<string, Float32Array> = shortFactors
    ? { "rope_factors_long.weight": Float32Array.from(longFactors), "rope_factors_short.weight": Float32Array.from(shortFactors) }
    : { "rope_freqs.weight": Float32Array.from(longFactors) };
  const metadata: Record<string, GgufValue> = {
    [`${arch}.context_length`]: gguf.u32(targetContext),
    [`${arch}.rope.scaling.type`]: gguf.string(useLongrope ? "longrope" : "none"),
    // Always written, so that a later extension of this copy knows what the factors are relative to.
    [`${arch}.rope.scaling.original_context_length`]: gguf.u32(originalContext),
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
    originalContextFrom: options.originalContext !== undefined ? "given" : info.originalContextFrom,
    attnFactor,
    ...(chosen.fromScale !== undefined ? { rescaledFromScale: chosen.fromScale } : {}),
    ...(options.source !== undefined ? { source: options.source } : chosen.fromScale !== undefined ? { source: `the model's own factors rescaled from ×${+chosen.fromScale.toFixed(2)}` } : {}),
    storage: useLongrope ? "rope_factors_long/short" : "rope_freqs",
    longFactors: [...longFactors],
    ...(shortFactors ? { shortFactors: [...shortFactors] } : {}),
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

/** The model's own long factors rescaled from the ratio they were made for to `scale` (both against `originalContext`). */
function ownFactorsRescaled(info: ModelRopeInfo, modelPath: string, originalContext: number, scale: number) {
  if (!shipsLongFactors(info)) {
    throw new RepoQaError(`${path.basename(modelPath)} ships no long RoPE factors to rescale; pass --factors (from "longrope search" or "longrope factors --json").`, "bad-input");
  }
  const fromScale = info.contextLength / originalContext;
  if (!(fromScale > 1) || scale <= fromScale) {
    throw new RepoQaError(`${path.basename(modelPath)} already covers ${info.contextLength} tokens (×${+shippedScale(info).toFixed(2)} of its ${originalContext}); choose a target context above ${info.contextLength}.`, "bad-input");
  }
  return { factors: rescaleFactors(info.longFactors, fromScale, scale), fromScale };
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
  return `${name} ×${scale} factors${sidecar.source ? `, ${sidecar.source}` : ""}`;
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
