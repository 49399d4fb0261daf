/**
 * What the chat's welcome view says about a model before anything is loaded: its file name and its own context
 * window, from the GGUF header alone (a few KB read, no node-llama-cpp in the calling process).
 */
import path from "node:path";
import { metadataNumber, metadataString, readGgufHeader } from "../longrope/gguf/index";
import { describeError } from "../util/errors";

export interface ModelSummary {
  readonly fileName: string;
  /** `<arch>.context_length` from the header, when present. */
  readonly contextSize?: number;
  /** Why the file cannot be described (missing, not a GGUF); the question will say the same in full. */
  readonly problem?: string;
}

export async function summarizeModelFile(modelPath: string): Promise<ModelSummary> {
  const fileName = path.basename(modelPath);
  try {
    const header = await readGgufHeader(modelPath);
    const arch = metadataString(header, "general.architecture") ?? "llama";
    return { fileName, contextSize: metadataNumber(header, `${arch}.context_length`) };
  } catch (error) {
    const code = (error as { code?: string }).code;
    return { fileName, problem: code === "ENOENT" ? "the file does not exist" : describeError(error) };
  }
}
