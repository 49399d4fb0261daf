/** Asks through the public command and watches the answer arrive in the webview's DOM. */
import * as vscode from "vscode";
import { drive } from "./exchange";
import { clickInWebview, type Transcript } from "./helpers";

/** What `longropeQa.ask` resolves to when an answer ended (undefined when the turn failed or was superseded). */
export interface AskOutcome {
  readonly cancelled: boolean;
  readonly text: string;
  readonly generatedTokens: number;
  readonly context?: { readonly filesRead: readonly string[]; readonly filesTotal: number; readonly droppedTurns: number };
}

export interface Watched {
  readonly result: AskOutcome | undefined;
  /** Distinct non-empty partial answers the page showed while it was streaming. */
  readonly partialsSeen: number;
  readonly stopClicked: boolean;
}

export function assistantMessages(t: Transcript) {
  return t.messages.filter((m) => m.role === "assistant");
}

export interface AskOptions {
  /** Clicks this element in the chat page while the turn runs. */
  readonly stopWithSelector?: string;
  /** When to click: as soon as it shows (the model may still be reading the repo), or once answer text shows. */
  readonly stopWhen?: "started" | "streaming";
  readonly timeoutMs?: number;
}

/**
 * Runs `longropeQa.ask` with the question as its argument while the page records every text the streaming answer
 * shows (a MutationObserver in the webview). With `stopWithSelector`, clicks that element while the turn runs.
 */
export async function askAndWatch(question: string, options: AskOptions = {}): Promise<Watched> {
  const observing = await drive("page", { view: "chat", reader: "observeStreaming", ifOpen: true });
  const asked = Promise.resolve(vscode.commands.executeCommand<AskOutcome | undefined>("longropeQa.ask", question));
  if (observing === null) {
    // The command opens the view: watch from the moment the turn shows (before the model has read the repo).
    await drive("waitFor", { view: "chat", selector: "#transcript article", timeoutMs: 60_000 }, 70_000);
    await drive("page", { view: "chat", reader: "observeStreaming" });
  }
  let stopClicked = false;
  if (options.stopWithSelector && options.stopWhen === "started") {
    stopClicked = await drive<boolean>("clickWhenVisible", { view: "chat", selector: options.stopWithSelector, timeoutMs: 60_000 }, 70_000);
  } else if (options.stopWithSelector) {
    const selector = "#transcript article.streaming .body :is(p, h1, h2, h3, li, pre)";
    await drive("waitFor", { view: "chat", selector, timeoutMs: options.timeoutMs ?? 180_000 }, (options.timeoutMs ?? 180_000) + 10_000);
    stopClicked = await clickInWebview(options.stopWithSelector);
  }
  const timeoutMs = options.timeoutMs ?? 180_000;
  let timer: NodeJS.Timeout | undefined;
  const result = await Promise.race([
    asked,
    new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`"${question}" was not answered within ${timeoutMs} ms`)), timeoutMs))),
  ]).finally(() => clearTimeout(timer));
  // The command resolves in the extension host; the page may still be handling the turn's last frames.
  await drive("waitFor", { view: "chat", selector: "#transcript article.streaming", state: "detached", timeoutMs: 20_000 }, 30_000).catch(() => undefined);
  const streamed = await drive<string[]>("page", { view: "chat", reader: "takeStreamed" }).catch(() => []);
  return { result, partialsSeen: streamed.length, stopClicked };
}
