/** Loads the configured model once per settings: the llama.cpp backend (per GPU choice), the checked GGUF, the model. */
import type { Llama, LlamaModel } from "node-llama-cpp";
import type { EngineSettings, GpuChoice, ModelInfo } from "../protocol";
import { kvBytesPerToken, type AttentionShape } from "../memoryPlan";
import { clampThreads } from "../../util/threads";
import { checkModelFile } from "./ggufCheck";
import { WorkerError, firstLine } from "./workerError";

export interface LoadedModel {
  readonly llama: Llama;
  /** Default: on with a GPU backend, off on CPU (slower there for small models). */
  readonly flashAttention: boolean;
  readonly model: LlamaModel;
  readonly settings: EngineSettings;
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
    throw new WorkerError(
      "internal",
      `The GPU backend "${gpu}" cannot start on this machine (${firstLine(error)}); set longropeQa.gpu to "auto" or "cpu".`,
      { cause: error },
    );
  }
}

export async function loadModel(settings: EngineSettings, onProgress: (fraction: number) => void): Promise<LoadedModel> {
  const llama = await getBackend(settings.gpu ?? "auto");
  const { info: gguf, insights } = await checkModelFile(llama, settings.modelPath);
  const threads = clampThreads(settings.threads) || Math.max(1, llama.cpuMathCores);
  llama.maxThreads = threads;
  let model: LlamaModel;
  try {
    model = await llama.loadModel({
      modelPath: settings.modelPath,
      gpuLayers: settings.gpuLayers ?? "auto",
      onLoadProgress: onProgress,
    });
  } catch (error) {
    const outOfMemory = /memory|alloc/i.test(String(error));
    throw new WorkerError(
      outOfMemory ? "out-of-memory" : "model-invalid",
      outOfMemory
        ? `Not enough memory to load ${settings.modelPath} (${firstLine(error)}); lower longropeQa.gpuLayers or choose a smaller model.`
        : `llama.cpp could not load ${settings.modelPath} (${firstLine(error)}); set longropeQa.modelPath (or --model) to another GGUF file.`,
      { cause: error },
    );
  }
  const arch = gguf.architectureMetadata as {
    block_count?: number;
    embedding_length?: number;
    attention?: { head_count?: number | number[]; head_count_kv?: number | number[]; key_length?: number; value_length?: number };
    rope?: { scaling?: { type?: string; factor?: number } };
  };
  const heads = firstNumber(arch.attention?.head_count) ?? 1;
  const headDim = Math.round((arch.embedding_length ?? 0) / heads);
  const shape: AttentionShape = {
    layers: arch.block_count ?? insights.totalLayers,
    headCountKv: firstNumber(arch.attention?.head_count_kv) ?? heads,
    keyLength: arch.attention?.key_length ?? headDim,
    valueLength: arch.attention?.value_length ?? headDim,
  };
  const trainContextSize = model.trainContextSize;
  const kvType = settings.kvCacheType ?? "f16";
  const flashAttention = settings.flashAttention ?? llama.gpu !== false;
  const info: ModelInfo = {
    modelPath: settings.modelPath,
    name: gguf.metadata.general?.name ?? settings.modelPath.split(/[\\/]/).pop() ?? "model",
    architecture: gguf.metadata.general?.architecture ?? "unknown",
    trainContextSize,
    maxContextSize: settings.maxContextSize ?? trainContextSize,
    gpu: llama.gpu,
    ropeScaling: describeRopeScaling(arch.rope?.scaling, (gguf.fullTensorInfo ?? []).map((t) => t.name)),
    kvBytesPerToken: kvBytesPerToken(shape, kvType, flashAttention ? kvType : "f16"),
  };
  return { llama, model, settings, threads, shape, info, flashAttention };
}

function firstNumber(value: number | number[] | undefined): number | undefined {
  return Array.isArray(value) ? Math.max(...value) : value;
}

function describeRopeScaling(scaling: { type?: string; factor?: number } | undefined, tensors: string[]): string {
  if (tensors.includes("rope_factors_long.weight")) return "LongRoPE long/short factors (GGUF)";
  if (tensors.includes("rope_freqs.weight")) return "per-dimension RoPE factors (GGUF rope_freqs)";
  if (scaling?.type && scaling.type !== "none") return `${scaling.type}${scaling.factor ? ` ×${scaling.factor}` : ""}`;
  return "none";
}

export async function disposeBackend(): Promise<void> {
  await backend?.llama.dispose();
  backend = undefined;
}
