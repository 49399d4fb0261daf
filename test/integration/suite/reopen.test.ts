/** Phase "reopen": the same workspace in a new window after the first one closed (same browser profile). */
import * as assert from "node:assert/strict";
import * as vscode from "vscode";
import { CITATION_QUESTION } from "./citation.test";
import { extension, readTranscript, waitFor } from "./helpers";
import { QUESTIONS } from "./main.test";

export function reopenPhaseSuites(): void {
  describe("LongRoPE Repo QA after the window is reopened", () => {
    it("opening the chat view activates the extension", async () => {
      await vscode.commands.executeCommand("workbench.view.extension.longropeQa");
      await waitFor("activation through the view", () => (extension().isActive ? true : undefined), 20_000);
    });

    it("the conversation survives the reload, citation links included", async () => {
      const t = await waitFor("the restored conversation in the page", async () => {
        const snapshot = await readTranscript();
        return snapshot.messages.length > 0 ? snapshot : undefined;
      }, 20_000);
      const questions = t.messages.filter((m) => m.role === "user").map((m) => m.text);
      assert.deepEqual(questions.slice(0, QUESTIONS.length + 1), [...QUESTIONS, CITATION_QUESTION]);
      const answers = t.messages.filter((m) => m.role === "assistant");
      assert.ok(answers.length >= 4 && answers.every((a, i) => i === 1 || a.text.length > 0), "restored answers are missing or empty");
      // Restored citations are checked against the workspace again before they become links.
      const cited = await waitFor("the restored citation to become a link", async () =>
        (await readTranscript()).messages.find((m) => m.text === CITATION_QUESTION && m.links.length > 0), 15_000,
      ).catch(async (error: Error) => {
        const shown = (await readTranscript()).messages.find((m) => m.text === CITATION_QUESTION);
        throw new Error(`${error.message}; the page shows ${JSON.stringify(shown)}`);
      });
      assert.deepEqual(cited.links.map((l) => [l.path, l.line]), [["src/greet.ts", 4]]);
    });
  });
}
