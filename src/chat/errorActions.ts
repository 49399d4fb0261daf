/** Which buttons an error in the chat offers, and what each one does (fixed commands, nothing built from text). */
import * as vscode from "vscode";
import { RepoQaError } from "../util/errors";
import type { ErrorAction } from "./protocol";

export function actionsFor(error: unknown): ErrorAction[] {
  const code = error instanceof RepoQaError ? error.code : "internal";
  switch (code) {
    case "model-not-found":
    case "model-invalid":
    case "offline":
      return ["chooseModel", "openSettings"];
    case "bad-input":
      return ["openSettings"];
    case "context-overflow":
    case "out-of-memory":
      return ["showContextReport", "openSettings"];
    case "empty-workspace":
      return [];
    default:
      return ["openLogs"];
  }
}

/** Lets the user pick a GGUF file and stores it in `longropeQa.modelPath` (machine scope, so user settings). */
export async function chooseModelFile(): Promise<string | undefined> {
  const picked = await vscode.window.showOpenDialog({
    canSelectMany: false,
    openLabel: "Use this model",
    title: "Choose a GGUF model for LongRoPE QA",
    filters: { "GGUF model": ["gguf"] },
  });
  const file = picked?.[0];
  if (!file) return undefined;
  await vscode.workspace.getConfiguration("longropeQa").update("modelPath", file.fsPath, vscode.ConfigurationTarget.Global);
  return file.fsPath;
}

export async function runErrorAction(action: ErrorAction, log: vscode.LogOutputChannel): Promise<void> {
  switch (action) {
    case "chooseModel":
      await chooseModelFile();
      return;
    case "openSettings":
      await vscode.commands.executeCommand("workbench.action.openSettings", "longropeQa.modelPath");
      return;
    case "showContextReport":
      await vscode.commands.executeCommand("longropeQa.showContextReport");
      return;
    case "openLogs":
      log.show(true);
      return;
    case "trustWorkspace":
      await vscode.commands.executeCommand("workbench.trust.manage");
      return;
  }
}
