/**
 * Checks a model file before llama.cpp sees it: a missing, non-GGUF, truncated or unsupported file becomes one
 * sentence naming the path, instead of a native error (or a crash) during loading.
 */
import fs from "node:fs/promises";
import type { GgufFileInfo, GgufInsights, Llama } from "node-llama-cpp";
import { RepoQaError, firstLine } from "../../util/errors";

const settingHint = "Set longropeQa.modelPath (or --model) to a GGUF file.";

export interface CheckedModelFile {
  readonly info: GgufFileInfo;
  readonly insights: GgufInsights;
}

/** `general.*` of a GGUF: node-llama-cpp types it as always there, but a hand-made or hostile file may lack it. */
export function generalMetadata(info: GgufFileInfo): Partial<GgufFileInfo["metadata"]["general"]> | undefined {
  return (info.metadata as Partial<GgufFileInfo["metadata"]>).general;
}

export async function checkModelFile(llama: Llama, modelPath: string): Promise<CheckedModelFile> {
  const { readGgufFileInfo, GgufInsights } = await import("node-llama-cpp");
  const size = await fileSize(modelPath);
  let info: GgufFileInfo;
  try {
    info = await readGgufFileInfo(modelPath, { sourceType: "filesystem" });
  } catch (error) {
    throw new RepoQaError(
      `${modelPath} is not a readable GGUF model (${firstLine(error)}). ${settingHint}`,
      "model-invalid",
      { cause: error },
    );
  }
  const insights = await GgufInsights.from(info, llama);
  const tensors = info.fullTensorInfo ?? info.tensorInfo ?? [];
  const first = tensors[0];
  if (first !== undefined && info.splicedParts <= 1) {
    const dataStart = Number(BigInt(first.fileOffset) - BigInt(first.offset));
    const expected = dataStart + insights.modelSize;
    if (size < expected) {
      throw new RepoQaError(
        `${modelPath} is truncated (${size} of ${expected} bytes); download it again or ${lowerFirst(settingHint)}`,
        "model-invalid",
      );
    }
  }
  const architecture = generalMetadata(info)?.architecture ?? "unknown";
  if (!insights.isSupportedByLlamaCpp) {
    throw new RepoQaError(
      `${modelPath} uses the architecture "${architecture}", which this llama.cpp build does not support; ${lowerFirst(settingHint)}`,
      "model-invalid",
    );
  }
  return { info, insights };
}

async function fileSize(modelPath: string): Promise<number> {
  try {
    const stat = await fs.stat(modelPath);
    if (!stat.isFile()) throw new Error("not a file");
    return stat.size;
  } catch (error) {
    throw new RepoQaError(`Model file not found: ${modelPath}. ${settingHint}`, "model-not-found", { cause: error });
  }
}

function lowerFirst(text: string): string {
  return text.charAt(0).toLowerCase() + text.slice(1);
}
