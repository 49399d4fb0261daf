/** Loads the configured model once per settings: the llama.cpp backend (per GPU choice), the checked GGUF, the model. */
import type { Llama, LlamaModel } from "node-llama-cpp";
import type { GpuChoice, LoadModelSettings, ModelInfo } from "../protocol";
import { attentionShapeFrom, kvBytesPerToken, type AttentionShape } from "../memoryPlan";
import { clampThreads } from "../../util/threads";
import { checkModelFile, generalMetadata } from "./ggufCheck";
import { RepoQaError, firstLine } from "../../util/errors";

export interface LoadedModel {
  readonly llama: Llama;
  /** Default: on with a GPU backend, off on CPU (slower there for small models). */
  readonly flashAttention: boolean;
  readonly model: LlamaModel;
  readonly settings: LoadModelSettings;
  readonly threads: number;
  readonly shape: AttentionShape;
  readonly info: ModelInfo;
}

let backend: { gpu: GpuChoice; llama: Llama } | undefined;

export async function getBackend(gpu: GpuChoice): Promise<Llama> {
  if (backend?.gpu === gpu) return backend.llama;
  await backend?.llama.dispose();
  backend = undefined;
  const { getLlama, LlamaLogLevel } = await import("node-llama-cpp");
  try {
    const llama = await getLlama({
      build: "never",
      gpu: gpu === "cpu" ? false : gpu,
      logLevel: LlamaLogLevel.warn,
      logger: (level, message) => process.stderr.write(`[llama ${level}] ${message}\n`),
    });
    backend = { gpu, llama };
    return llama;
  } catch (error) {
    throw new RepoQaError(
      `The GPU backend "${gpu}" cannot start on this machine (${firstLine(error)}); set longropeQa.gpu to "auto" or "cpu".`,
      "internal",
      { cause: error },
    );
  }
}

export async function loadModel(settings: LoadModelSettings, onProgress: (fraction: number) => void): Promise<LoadedModel> {
  const llama = await getBackend(settings.gpu ?? "auto");
  const { info: gguf, insights } = await checkModelFile(llama, settings.modelPath);
  const threads = clampThreads(settings.threads) || Math.max(1, llama.cpuMathCores);
  llama.maxThreads = threads;
  let model: LlamaModel;
  try {
    model = await llama.loadModel({
      modelPath: settings.modelPath,
      gpuLayers: settings.vocabOnly ? 0 : (settings.gpuLayers ?? "auto"),
      vocabOnly: settings.vocabOnly,
      onLoadProgress: onProgress,
    });
  } catch (error) {
    const outOfMemory = /memory|alloc/i.test(String(error));
    throw new RepoQaError(
      outOfMemory
        ? `Not enough memory to load ${settings.modelPath} (${firstLine(error)}); lower longropeQa.gpuLayers or choose a smaller model.`
        : `llama.cpp could not load ${settings.modelPath} (${firstLine(error)}); set longropeQa.modelPath (or --model) to another GGUF file.`,
      outOfMemory ? "out-of-memory" : "model-invalid",
      { cause: error },
    );
  }
  const arch = gguf.architectureMetadata as Record<string, unknown> & { rope?: { scaling?: { type?: string; factor?: number } } };
  const shape = attentionShapeFrom((key) => nestedValue(arch, key), insights.totalLayers);
  const trainContextSize = model.trainContextSize;
  const kvType = settings.kvCacheType ?? "f16";
  const flashAttention = settings.flashAttention ?? llama.gpu !== false;
  const info: ModelInfo = {
    modelPath: settings.modelPath,
    name: generalMetadata(gguf)?.name ?? settings.modelPath.split(/[\\/]/).pop() ?? "model",
    architecture: generalMetadata(gguf)?.architecture ?? "unknown",
    trainContextSize,
    maxContextSize: settings.maxContextSize ?? trainContextSize,
    gpu: llama.gpu,
    ropeScaling: describeRopeScaling(arch.rope?.scaling, (gguf.fullTensorInfo ?? []).map((t) => t.name)),
    kvBytesPerToken: kvBytesPerToken(shape, kvType, flashAttention ? kvType : "f16"),
  };
  return { llama, model, settings, threads, shape, info, flashAttention };
}

/** node-llama-cpp nests architecture metadata by key part: "attention.head_count" is `attention.head_count`. */
function nestedValue(object: Record<string, unknown>, dottedKey: string): unknown {
  return dottedKey.split(".").reduce<unknown>((value, part) => (value as Record<string, unknown> | undefined)?.[part], object);
}

function describeRopeScaling(scaling: { type?: string; factor?: number } | undefined, tensors: string[]): string {
  if (tensors.includes("rope_factors_long.weight")) return "LongRoPE long/short factors (GGUF)";
  if (tensors.includes("rope_freqs.weight")) return "per-dimension RoPE factors (GGUF rope_freqs)";
  if (scaling?.type && scaling.type !== "none") return `${scaling.type}${scaling.factor ? ` ×${scaling.factor}` : ""}`;
  return "none";
}
