/**
 * Where the model file comes from: the configured path (checked at once, so a typo is one sentence within
 * milliseconds), or the default LongRoPE model, downloaded once into `<storageDir>/models` by the worker. Before a
 * download, huggingface.co is probed with a short timeout: node-llama-cpp's downloader itself retries for ~12 minutes
 * when offline.
 */
import fs from "node:fs/promises";
import path from "node:path";
import { RepoQaError } from "../util/errors";
import { readGgufHeader, tensorByteSize, type GgufHeader } from "../longrope/gguf/index";
import type { EngineHost } from "./engineHost";
import { checkGgufPlausible } from "./ggufPlausibility";
import type { ProgressFrame } from "./protocol";

/** Phi-4-mini-instruct: LongRoPE-extended to 128k tokens, grouped-query attention; Q4_K_M quantization. */
export const defaultModel = {
  uri: "hf:unsloth/Phi-4-mini-instruct-GGUF/Phi-4-mini-instruct-Q4_K_M.gguf",
  fileName: "Phi-4-mini-instruct-Q4_K_M.gguf",
  probeUrl: "https://huggingface.co",
} as const;

export const reachabilityTimeoutMs = 3000;

/** Files whose header passed the check, by path → "size:mtime" (a follow-up question does not read it again). */
const checkedFiles = new Map<string, string>();

export interface ResolveModelOptions {
  readonly modelPath: string;
  readonly storageDir: string;
  readonly host: EngineHost;
  readonly signal?: AbortSignal;
  readonly onDownload?: (frame: ProgressFrame) => void;
  /** Overridable for tests; default: a HEAD request to huggingface.co. */
  readonly probeUrl?: string;
}

export async function resolveModelPath(options: ResolveModelOptions): Promise<string> {
  if (options.modelPath) return checkModelPath(options.modelPath);
  const directory = path.join(options.storageDir, "models");
  const target = path.join(directory, defaultModel.fileName);
  if (await isFile(target)) return target;
  await checkReachable(options.probeUrl ?? defaultModel.probeUrl, options.signal);
  await fs.mkdir(directory, { recursive: true });
  const { modelPath } = await options.host.request(
    { type: "downloadModel", uri: defaultModel.uri, directory, fileName: defaultModel.fileName },
    { signal: options.signal, onProgress: options.onDownload },
  );
  return modelPath;
}

/**
 * A missing, non-GGUF or truncated file is one sentence naming the path, found here in milliseconds from the header
 * alone, before a worker starts. The worker checks again (and whether llama.cpp supports the architecture).
 */
export async function checkModelPath(modelPath: string): Promise<string> {
  const hint = "Set longropeQa.modelPath (or --model) to a GGUF file.";
  const stat = await fs.stat(modelPath).catch(() => undefined);
  if (!stat?.isFile()) throw new RepoQaError(`Model file not found: ${modelPath}. ${hint}`, "model-not-found");
  const version = `${stat.size}:${stat.mtimeMs}`;
  if (checkedFiles.get(modelPath) === version) return modelPath;
  let header: GgufHeader;
  try {
    // Only the shape is needed here, in the extension host: the vocabulary arrays are stepped over, not built.
    header = await readGgufHeader(modelPath, { maxArrayItems: 65_536 });
  } catch (error) {
    throw new RepoQaError(`${modelPath} is not a readable GGUF model file. ${hint}`, "model-invalid", { cause: error });
  }
  checkGgufPlausible(modelPath, header);
  let end = header.dataOffset;
  for (const tensor of header.tensors) {
    end = Math.max(end, header.dataOffset + tensor.offset + (tensorByteSize(tensor.type, tensor.dims) ?? 0));
  }
  if (header.fileSize < end) {
    throw new RepoQaError(`${modelPath} is truncated (${header.fileSize} of ${end} bytes); download it again or ${hint.charAt(0).toLowerCase()}${hint.slice(1)}`, "model-invalid");
  }
  checkedFiles.set(modelPath, version);
  return modelPath;
}

async function checkReachable(url: string, signal?: AbortSignal): Promise<void> {
  const timeout = AbortSignal.timeout(reachabilityTimeoutMs);
  try {
    await fetch(url, { method: "HEAD", signal: signal ? AbortSignal.any([signal, timeout]) : timeout });
  } catch (error) {
    signal?.throwIfAborted();
    throw new RepoQaError(
      `offline: set longropeQa.modelPath / --model (the default model cannot be downloaded because ${new URL(url).host} is unreachable).`,
      "offline",
      { cause: error },
    );
  }
}

async function isFile(file: string): Promise<boolean> {
  return (await fs.stat(file).catch(() => undefined))?.isFile() ?? false;
}
