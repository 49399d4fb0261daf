/** "LongRoPE QA: Manage saved repo states": how much disk the saved KV caches take, and a way to clear them. */
import * as vscode from "vscode";
import type { RepoQaService } from "../engine/api";
import { describeError } from "../util/errors";

export function registerSavedStatesCommand(service: RepoQaService, log: vscode.LogOutputChannel): vscode.Disposable {
  return vscode.commands.registerCommand("longropeQa.manageSavedStates", async () => {
    try {
      const info = await service.savedStates();
      const size = `${(info.bytes / 2 ** 20).toFixed(1)} MiB`;
      const message = info.count
        ? `Saved repo states: ${info.count} (${size}) in ${info.directory}. They let a reopened window skip re-reading the repo.`
        : `No saved repo states (${info.directory}).`;
      const choice = await vscode.window.showInformationMessage(message, ...(info.count ? ["Clear"] : []));
      if (choice === "Clear") {
        await service.clearSavedStates();
        log.info(`Cleared ${info.count} saved repo states (${size}).`);
        void vscode.window.showInformationMessage(`Cleared ${info.count} saved repo states (${size}).`);
      }
    } catch (error) {
      log.error(`Saved states: ${describeError(error)}`);
      void vscode.window.showErrorMessage(describeError(error));
    }
  });
}
