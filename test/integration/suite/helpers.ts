/** What the integration tests share: the extension under test and ways to wait for the real page. */
import * as vscode from "vscode";

export const EXTENSION_ID = "longrope-qa.longrope-repo-qa";

export interface TranscriptLink {
  readonly text: string;
  readonly path: string;
  readonly line: number;
}
export interface Transcript {
  readonly messages: readonly { readonly role: "user" | "assistant" | "error"; readonly text: string; readonly links: readonly TranscriptLink[] }[];
  readonly streaming: boolean;
}

export function extension(): vscode.Extension<unknown> {
  const ext = vscode.extensions.getExtension(EXTENSION_ID);
  if (!ext) throw new Error(`Extension ${EXTENSION_ID} is not installed in this window.`);
  return ext;
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Polls `probe` until it returns a value other than undefined; fails naming `what` after `timeoutMs`. */
export async function waitFor<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      const why = lastError instanceof Error ? ` (last error: ${lastError.message})` : "";
      throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}${why}`);
    }
    await sleep(100);
  }
}

/** The chat as the webview's DOM shows it (through the test-only command the chat registers in test mode). */
export function readTranscript(): Promise<Transcript> {
  return vscode.commands.executeCommand<Transcript>("longropeQa.test.readTranscript") as Promise<Transcript>;
}

export function clickInWebview(selector: string): Promise<boolean> {
  return vscode.commands.executeCommand<boolean>("longropeQa.test.clickInWebview", selector) as Promise<boolean>;
}

export function lastOf<T>(items: readonly T[], predicate: (item: T) => boolean): T | undefined {
  for (let i = items.length - 1; i >= 0; i--) if (predicate(items[i]!)) return items[i];
  return undefined;
}

export async function setSetting(key: string, value: unknown): Promise<void> {
  await vscode.workspace.getConfiguration().update(key, value, vscode.ConfigurationTarget.Global);
}
