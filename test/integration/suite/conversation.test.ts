/**
 * A conversation on stories260K's 2,048-token window with 1,024-token answers: the repository no longer fits the
 * budget that leaves (512 tokens for 872), so each answer says how many files it read and which; follow-ups never
 * fail for the conversation's length.
 */
import * as assert from "node:assert/strict";
import * as vscode from "vscode";
import { askAndWatch } from "./asking";
import { requestScreenshot } from "./exchange";
import { clickInWebview, readReport, readTranscript, setSetting, waitFor } from "./helpers";

export function conversationSuite(): void {
  it('an answer from a partial pack says "read N of M files" and lists them; follow-ups never overflow', async () => {
    await setSetting("longropeQa.maxAnswerTokens", 1024);
    await vscode.commands.executeCommand("longropeQa.newChat"); // a clean conversation for the README's screenshot
    try {
      const first = await askAndWatch("What does this repository do?");
      assert.ok(first.result && !first.result.cancelled, "the first answer did not complete");
      let t = await readTranscript();
      const answer = t.messages.at(-1)!;
      const coverage = answer.coverage;
      assert.ok(coverage, "the answer shows the files it read");
      const read = first.result.context?.filesRead ?? [];
      assert.ok(read.length > 0 && read.length < 4, `read ${read.length} of 4 files`);
      assert.equal(coverage.partial, `Read ${read.length} of 4 files — see the context report`);
      assert.deepEqual(coverage.files, read);
      await requestScreenshot("sidebar-partial-answer");
      // Its link opens the report saying what this answer read: the report packs anew (other editors may be open by
      // then, and a follow-up has earlier turns), so its own figures need not match the answer's.
      assert.ok(await clickInWebview('article.assistant .coverage button[data-action="showContextReport"]'));
      const report = await waitFor("the report opened from the answer", async () => {
        const r = await readReport();
        return !r.busy && r.forAnswer ? r : undefined;
      }, 60_000);
      assert.equal(report.forAnswer.split(". Below")[0], `The answer to “What does this repository do?” read ${read.length} of 4 files: ${read.join(", ")}`);
      await requestScreenshot("context-report-for-answer", { part: "editor" });
      await vscode.commands.executeCommand("workbench.action.closeActiveEditor");
      const errorsBefore = t.messages.filter((m) => m.role === "error").length;
      for (const q of ["Tell me more, at length."]) {
        const followUp = await askAndWatch(q);
        t = await readTranscript();
        const errors = t.messages.filter((m) => m.role === "error");
        assert.equal(errors.length, errorsBefore, `"${q}" failed: ${errors.at(-1)?.text}`);
        assert.ok(followUp.result && !followUp.result.cancelled, `"${q}" was not answered`);
      }
    } finally {
      await setSetting("longropeQa.maxAnswerTokens", undefined);
    }
  });
}
