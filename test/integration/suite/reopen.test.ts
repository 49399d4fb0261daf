/** Phase "reopen": the same workspace in a new window after the first one closed (same browser profile). */
import * as assert from "node:assert/strict";
import * as vscode from "vscode";
import { CITATION_QUESTION } from "./citation.test";
import { askAndWatch } from "./asking";
import { recordFact } from "./exchange";
import { enginePids, extension, readComposer, readTranscript, waitFor, type Transcript } from "./helpers";

/**
 * The main window's conversation after New chat (welcome.test.ts) starts with this question; the server suite
 * (endpoint.test.ts) adds two turns after it, the last stopped before its first token (an empty answer).
 */
const EXPECTED_QUESTIONS = [CITATION_QUESTION];

/** The page first shows its own saved copy, then the extension's: wait for a complete conversation. */
function complete(t: Transcript): boolean {
  const questions = t.messages.filter((m) => m.role === "user").map((m) => m.text);
  const answers = t.messages.filter((m) => m.role === "assistant");
  return EXPECTED_QUESTIONS.every((q, i) => questions[i] === q) && answers.length >= EXPECTED_QUESTIONS.length &&
    answers.slice(0, EXPECTED_QUESTIONS.length).every((a) => a.text.length > 0);
}

function summary(t: Transcript | undefined): string {
  return JSON.stringify(t?.messages.map((m) => `${m.role}: ${m.text.slice(0, 40)} [${m.links.length} links]`));
}

export function reopenPhaseSuites(): void {
  describe("LongRoPE Repo QA after the window is reopened", () => {
    it("opening the chat view activates the extension", async () => {
      await vscode.commands.executeCommand("workbench.view.extension.longropeQa");
      await waitFor("activation through the view", () => (extension().isActive ? true : undefined), 20_000);
    });

    it("the conversation survives the reload, citation links included", async () => {
      let last: Transcript | undefined;
      const restored = await waitFor("the whole conversation with resolved citations", async () => {
        last = await readTranscript();
        const cited = last.messages.find((m) => m.role === "user" && m.text === CITATION_QUESTION);
        return complete(last) && cited?.links.length ? last : undefined;
      }, 20_000).catch((error: Error) => {
        throw new Error(`${error.message}; the page shows ${summary(last)}`);
      });
      const cited = restored.messages.find((m) => m.text === CITATION_QUESTION)!;
      assert.deepEqual(cited.links.map((l) => [l.path, l.line]), [["src/greet.ts", 4]]);
      const citedAnswer = restored.messages[restored.messages.indexOf(cited) + 1];
      assert.equal(citedAnswer?.role, "assistant");
      assert.ok(citedAnswer.coverage?.files.length, "the files the answer read were restored with it");
    });

    it("answers a follow-up question with the restored conversation", async () => {
      const watched = await askAndWatch("And what does multiply do?");
      assert.ok(watched.result && !watched.result.cancelled, "the follow-up answer did not complete");
      const t = await readTranscript();
      assert.equal(t.messages.at(-1)?.role, "assistant");
      assert.ok(t.messages.at(-1)!.text.length > 0, "the follow-up answer shown in the page is empty");
      recordFact("enginePidAtEnd", enginePids()[0]);
    });

    it('"New chat" empties the conversation in the page and shows the welcome', async () => {
      await vscode.commands.executeCommand("longropeQa.newChat");
      await waitFor("an empty transcript", async () => ((await readTranscript()).messages.length === 0 ? true : undefined), 10_000);
      assert.ok((await readComposer()).welcome, "the welcome view is back");
    });
  });
}
