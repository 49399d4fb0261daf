/** What the chat's buttons do: fixed commands, nothing built from text the page sent. */
import * as path from "node:path";
import * as vscode from "vscode";
import { openSetting, writeModelPath } from "../config";
import type { AnswerReportTarget } from "../commands/reportModel";
import type { ErrorAction } from "./protocol";

/** Lets the user pick a GGUF file and stores it in `longropeQa.modelPath`; the chosen path, or undefined. */
export async function chooseModelFile(): Promise<string | undefined> {
  const picked = await vscode.window.showOpenDialog({
    canSelectMany: false,
    openLabel: "Use this model",
    title: "Choose a GGUF model for LongRoPE QA",
    filters: { "GGUF model": ["gguf"] },
  });
  const file = picked?.[0];
  if (!file) return undefined;
  await writeModelPath(file.fsPath);
  return file.fsPath;
}

export interface ActionOutcome {
  /** A sentence for the chat saying what changed (e.g. the model now in use). */
  readonly notice?: string;
  /** The failed question is worth asking again. */
  readonly retry: boolean;
}

/** `answer`: the button belongs to an answer (its "see the context report"); the report then says what it read. */
export async function runErrorAction(action: ErrorAction, log: vscode.LogOutputChannel, answer?: AnswerReportTarget): Promise<ActionOutcome> {
  switch (action) {
    case "chooseModel": {
      const chosen = await chooseModelFile();
      return chosen ? { notice: `Model set to ${path.basename(chosen)}.`, retry: true } : { retry: false };
    }
    case "openSettings":
      await openSetting();
      return { retry: false };
    case "showContextReport":
      await vscode.commands.executeCommand("longropeQa.showContextReport", answer);
      return { retry: false };
    case "openLogs":
      log.show(true);
      return { retry: false };
    case "trustWorkspace":
      await vscode.commands.executeCommand("workbench.trust.manage");
      return { retry: false };
  }
}
