/** Asks through the public command and watches the answer arrive in the webview's DOM. */
import * as vscode from "vscode";
import { clickInWebview, readTranscript, sleep, type Transcript } from "./helpers";

/** What `longropeQa.ask` resolves to when an answer ended (undefined when the turn failed or was aborted early). */
export interface AskOutcome {
  readonly cancelled: boolean;
  readonly text: string;
  readonly generatedTokens: number;
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

export function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The answer shown after the last time `question` was asked, if the page shows one yet. */
function answerTo(t: Transcript, question: string) {
  let index = -1;
  t.messages.forEach((m, i) => {
    if (m.role === "user" && m.text === question) index = i;
  });
  return index >= 0 ? t.messages[index + 1] : undefined;
}

/**
 * Runs `longropeQa.ask` with the question as its argument and polls the page until the command settles.
 * With `stopWithSelector`, clicks that element in the page as soon as a partial answer is visible.
 */
export async function askAndWatch(question: string, options: { stopWithSelector?: string; timeoutMs?: number } = {}): Promise<Watched> {
  let settled = false;
  const asked = Promise.resolve(vscode.commands.executeCommand<AskOutcome | undefined>("longropeQa.ask", question)).finally(
    () => (settled = true),
  );
  const partials = new Set<string>();
  let stopClicked = false;
  const deadline = Date.now() + (options.timeoutMs ?? 180_000);
  while (!settled) {
    if (Date.now() > deadline) throw new Error(`"${question}" was not answered within ${options.timeoutMs ?? 180_000} ms`);
    let t: Transcript | undefined;
    try {
      t = await readTranscript();
    } catch {
      // the chat's commands are registered once activation finished; the page may still be loading
    }
    const answer = t && answerTo(t, question);
    if (t?.streaming && answer?.role === "assistant" && answer.text) {
      partials.add(answer.text);
      if (options.stopWithSelector && !stopClicked) stopClicked = await clickInWebview(options.stopWithSelector);
    }
    await sleep(40);
  }
  return { result: await asked, partialsSeen: partials.size, stopClicked };
}
