/** What the empty chat shows: the model it will use (read from the GGUF header, nothing loaded) and what it reads. */
import * as fs from "node:fs/promises";
import * as path from "node:path";
import * as vscode from "vscode";
import { configuredModelPath, includePatterns } from "../config";
import { defaultModel } from "../engine/modelSource";
import { summarizeModelFile } from "../engine/modelSummary";
import type { WelcomeInfo } from "./protocol";

const DEFAULT_MODEL_TEXT = "Phi-4-mini-instruct (128k-token window, about 2.5 GB), downloaded on the first question";

export async function welcomeInfo(storageDir: string): Promise<WelcomeInfo> {
  const folders = (vscode.workspace.workspaceFolders ?? []).map((f) => f.name);
  const base = { defaultModel: DEFAULT_MODEL_TEXT, folders, include: includePatterns() };
  const configured = configuredModelPath();
  const downloaded = path.join(storageDir, "models", defaultModel.fileName);
  const modelPath = configured || ((await fs.access(downloaded).then(() => true, () => false)) ? downloaded : "");
  if (!modelPath) return base;
  if (!path.isAbsolute(modelPath)) return { ...base, modelFile: modelPath, modelProblem: "the setting is not an absolute path" };
  const summary = await summarizeModelFile(modelPath);
  return { ...base, modelFile: summary.fileName, contextSize: summary.contextSize, modelProblem: summary.problem };
}
