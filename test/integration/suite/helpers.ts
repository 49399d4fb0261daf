/** What the integration tests share: the extension under test and the page as the browser shows it. */
import * as fs from "node:fs";
import * as vscode from "vscode";
import type { ComposerView, ReportView, Transcript } from "../../support/pageReaders.cjs";
import { drive } from "./exchange";

export type { ComposerView, ReportView, Transcript, TranscriptLink, TranscriptMessage } from "../../support/pageReaders.cjs";

export const EXTENSION_ID = "longrope-qa.longrope-repo-qa";

export function extension(): vscode.Extension<unknown> {
  const ext = vscode.extensions.getExtension(EXTENSION_ID);
  if (!ext) throw new Error(`Extension ${EXTENSION_ID} is not installed in this window.`);
  return ext;
}

const pause = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

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
    await pause(100);
  }
}

/** The chat as the webview's DOM shows it, read by the runner's browser. */
export function readTranscript(): Promise<Transcript> {
  return drive<Transcript>("page", { view: "chat", reader: "readTranscript" });
}

export function readComposer(): Promise<ComposerView> {
  return drive<ComposerView>("page", { view: "chat", reader: "readComposer" });
}

export function readReport(): Promise<ReportView> {
  return drive<ReportView>("page", { view: "report", reader: "readReport" });
}

/** A real mouse click on the first element matching `selector` in a webview. */
export function clickIn(view: "chat" | "report", selector: string): Promise<boolean> {
  return drive<boolean>("click", { view, selector });
}

export function clickInWebview(selector: string): Promise<boolean> {
  return clickIn("chat", selector);
}

/** Text of a workbench element ("" when absent). */
export function workbenchText(selector: string, timeoutMs = 5000): Promise<string> {
  return drive<string>("workbenchText", { selector, timeoutMs }, timeoutMs + 10_000);
}

export function lastOf<T>(items: readonly T[], predicate: (item: T) => boolean): T | undefined {
  for (let i = items.length - 1; i >= 0; i--) {
    const item = items[i];
    if (item !== undefined && predicate(item)) return item;
  }
  return undefined;
}

export async function setSetting(key: string, value: unknown): Promise<void> {
  await vscode.workspace.getConfiguration().update(key, value, vscode.ConfigurationTarget.Global);
}

/**
 * Pids of the engine worker processes this extension host started (its children running engineWorker.mjs), read
 * from /proc: the product carries no command that reports them.
 */
export function enginePids(): number[] {
  const pids: number[] = [];
  for (const entry of fs.readdirSync("/proc").filter((e) => /^\d+$/.test(e))) {
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (ppid === process.pid && fs.readFileSync(`/proc/${entry}/cmdline`, "utf8").includes("engineWorker")) pids.push(Number(entry));
    } catch {
      // the process ended while we looked
    }
  }
  return pids;
}
