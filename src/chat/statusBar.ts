/** The status-bar item: the engine's state at a glance; a click opens the chat. */
import * as vscode from "vscode";
import type { EngineStatus } from "../engine/api";
import { CHAT_VIEW_ID } from "./chatViewProvider";
import { describeStatus } from "./statusText";

export function createStatusBarItem(): { readonly item: vscode.StatusBarItem; update(status: EngineStatus | undefined): void } {
  const item = vscode.window.createStatusBarItem("longropeQa.engine", vscode.StatusBarAlignment.Right, 100);
  item.name = "LongRoPE QA engine";
  item.command = `${CHAT_VIEW_ID}.focus`;
  const update = (status: EngineStatus | undefined) => {
    const text = describeStatus(status);
    item.text = `$(${text.icon}) LongRoPE QA${status && status.state !== "idle" ? `: ${text.label}` : ""}`;
    item.tooltip = status?.state === "error" ? `LongRoPE QA: ${status.message}` : `LongRoPE QA: ${text.label}. Click to open the chat.`;
    item.backgroundColor =
      status?.state === "error" ? new vscode.ThemeColor("statusBarItem.errorBackground") : undefined;
  };
  update(undefined);
  item.show();
  return { item, update };
}
