/** Activation and wiring only: every registration goes into context.subscriptions; deactivate stops the engine. */
import * as vscode from "vscode";
import { readConfig, saveStatesToDisk } from "./config";
import { RepoQa } from "./engine/repoQa";
import { registerChat } from "./chat/register";
import { registerContextReport } from "./commands/contextReport";
import { registerExtendModelCommand } from "./commands/extendModel";
import { registerSavedStatesCommand } from "./commands/savedStates";
import { stateKeyFromSecrets } from "./stateKeySecret";
import { isWorkspaceNoise } from "./util/workspaceNoise";

let service: RepoQa | undefined;

/** What activate returns (the extension's exports); tests read the activation time from it. */
export interface RepoQaExports {
  readonly activationMs: number;
}

export function activate(context: vscode.ExtensionContext): RepoQaExports {
  const started = performance.now();
  const log = vscode.window.createOutputChannel("LongRoPE Repo QA", { log: true });
  context.subscriptions.push(log);

  const repoQa = new RepoQa({
    workerPath: context.asAbsolutePath("dist/engineWorker.mjs"),
    storageDir: context.globalStorageUri.fsPath,
    log: (level, message) => log[level](message),
    stateKey: stateKeyFromSecrets(context.secrets),
    saveStates: saveStatesToDisk,
  });
  service = repoQa;
  // Stops the worker even if deactivate() is never called; both paths share one graceful shutdown.
  context.subscriptions.push({ dispose: () => void repoQa.dispose({ graceMs: 3000 }) });

  const chat = registerChat(context, { service: repoQa, readConfig, log });
  context.subscriptions.push(
    chat,
    registerContextReport(context, { service: repoQa, log }),
    registerExtendModelCommand(context, { log }),
    registerSavedStatesCommand(repoQa, log),
    watchWorkspace(() => repoQa.onWorkspaceChanged((status) => chat.reportStatus(status))),
  );
  const activationMs = performance.now() - started;
  log.info(`Activated in ${activationMs.toFixed(1)} ms`);
  return { activationMs };
}

/** Edits re-read only the changed tail of the cached prompt (debounced in RepoQa); VCS and dependency churn is ignored. */
function watchWorkspace(onChange: () => void): vscode.Disposable {
  const watcher = vscode.workspace.createFileSystemWatcher("**/*");
  const handle = (uri: vscode.Uri) => {
    if (!isWorkspaceNoise(uri.fsPath)) onChange();
  };
  return vscode.Disposable.from(watcher, watcher.onDidChange(handle), watcher.onDidCreate(handle), watcher.onDidDelete(handle));
}

export async function deactivate(): Promise<void> {
  const s = service;
  service = undefined;
  await s?.dispose({ graceMs: 3000 });
}
