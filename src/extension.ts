/** Activation and wiring only: every registration goes into context.subscriptions; deactivate stops the engine. */
import * as vscode from "vscode";
import { readConfig } from "./config";
import { RepoQa } from "./engine/repoQa";
import { registerChat } from "./chat/register";
import { registerContextReport } from "./commands/contextReport";
import { registerExtendModelCommand } from "./commands/extendModel";

let service: RepoQa | undefined;

export function activate(context: vscode.ExtensionContext): void {
  const started = performance.now();
  const log = vscode.window.createOutputChannel("LongRoPE Repo QA", { log: true });
  context.subscriptions.push(log);

  const repoQa = new RepoQa({
    workerPath: context.asAbsolutePath("dist/engineWorker.mjs"),
    storageDir: context.globalStorageUri.fsPath,
    log: (level, message) => log[level](message),
  });
  service = repoQa;
  // Registered first so it is disposed last; deactivate() also awaits the worker's exit.
  context.subscriptions.push({ dispose: () => void repoQa.dispose() });

  context.subscriptions.push(
    registerChat(context, { service: repoQa, readConfig, log }),
    registerContextReport(context, { service: repoQa, log }),
    registerExtendModelCommand(context, { log }),
  );

  if (context.extensionMode === vscode.ExtensionMode.Test || process.env.LONGROPE_QA_TEST === "1") {
    context.subscriptions.push(
      vscode.commands.registerCommand("longropeQa.test.enginePid", () => repoQa.enginePid),
    );
  }
  log.info(`Activated in ${(performance.now() - started).toFixed(1)} ms`);
}

export async function deactivate(): Promise<void> {
  const s = service;
  service = undefined;
  await s?.dispose();
}
