/** Commands the integration suite drives the page with. Registered only in test mode; they read the real DOM. */
import * as vscode from "vscode";
import type { ChatViewProvider } from "./chatViewProvider";
import type { TranscriptSnapshot } from "./protocol";

export function isTestMode(context: vscode.ExtensionContext): boolean {
  return context.extensionMode === vscode.ExtensionMode.Test || process.env.LONGROPE_QA_TEST === "1";
}

export function registerTestHooks(view: ChatViewProvider): vscode.Disposable {
  return vscode.Disposable.from(
    vscode.commands.registerCommand(
      "longropeQa.test.readTranscript",
      (): Promise<TranscriptSnapshot> => view.request({ type: "readTranscript" }),
    ),
    vscode.commands.registerCommand("longropeQa.test.clickInWebview", (selector: unknown): Promise<boolean> => {
      if (typeof selector !== "string" || !selector) return Promise.resolve(false);
      return view.request({ type: "click", selector });
    }),
  );
}
