/**
 * Phase "main": a fresh window on the fixture repo, the real engine and stories260K (settings written by the
 * runner). Every check reads the chat back from the webview's DOM through the runner's browser, not from the
 * extension's state, and clicks happen there too.
 */
import * as assert from "node:assert/strict";
import * as vscode from "vscode";
import { findTestModel } from "../../../src/engine/testModels";
import { recordFact, requestScreenshot } from "./exchange";
import { isAlive } from "../../support/processAlive";
import { askAndWatch, assistantMessages } from "./asking";
import { citationSuite } from "./citation.test";
import { conversationSuite } from "./conversation.test";
import { enginePids, extension, readComposer, readTranscript, setSetting } from "./helpers";
import { editorSuite } from "./editor.test";
import { remoteSettingsSuite } from "./remote.test";
import { contextReportSuite } from "./report.test";
import { welcomeSuite } from "./welcome.test";

export const QUESTIONS = ["What does greet do?", "Tell me a long story about this repo.", "Which files add numbers?"];

export function mainPhaseSuites(): void {
  describe("LongRoPE Repo QA in a real VS Code window", () => {
    /** The run's model, set again after the two SmolLM2 questions. */
    let storiesPath: string | undefined;

    // The runner checks, after the window closed, that no engine worker seen here still runs.
    after(() => recordFact("enginePidAtEnd", enginePids()[0]));

    it("is installed and stays inactive until its command or view is used", () => {
      const ext = extension();
      const events = (ext.packageJSON as { activationEvents?: string[] }).activationEvents ?? [];
      assert.ok(!events.some((e) => e === "*" || e === "onStartupFinished"), `activates at startup: ${events.join(", ")}`);
      assert.equal(ext.isActive, false, "the extension activated without its command or view being used");
    });

    it('"Ask about this repo" activates it and streams an answer into the sidebar', async () => {
      const rssBefore = process.memoryUsage().rss; // this suite runs inside the extension host
      const watched = await askAndWatch(QUESTIONS[0]!);
      recordFact("activationMs", (extension().exports as { activationMs?: number } | undefined)?.activationMs);
      recordFact("hostRssGrowthMiB", (process.memoryUsage().rss - rssBefore) / 2 ** 20);
      assert.ok(extension().isActive, "the command did not activate the extension");
      assert.ok(watched.result && !watched.result.cancelled, "the answer did not complete");
      assert.ok(watched.result.generatedTokens > 0, "no token was generated");
      // The first answer can end before the browser finds the new view; partials are checked on a later question.
      recordFact("firstAnswerPartialsSeen", watched.partialsSeen);
      const t = await readTranscript();
      assert.equal(t.streaming, false);
      assert.deepEqual(t.messages.map((m) => m.role), ["user", "assistant"]);
      assert.equal(t.messages[0]!.text, QUESTIONS[0]);
      assert.ok(t.messages[1]!.text.length > 0, "the answer shown in the page is empty");
      assert.equal(t.messages[1]!.coverage?.summary, "Used 4 files", "the answer lists the files it read");
      assert.match((await readComposer()).meter, /stories260K\.gguf/, "the meter names the model file");

      const [pid] = enginePids();
      assert.equal(typeof pid, "number", "no engine worker process while a model is loaded");
      assert.ok(isAlive(pid!), `engine worker pid ${pid} is not running`);
      recordFact("enginePid", pid);
      await requestScreenshot("sidebar-answer");
    });

    it("Stop cancels the answer being generated", async () => {
      // llama-2-tiny-random (random weights, a 4,096-token window) practically never ends an answer by itself, and
      // Stop is clicked the moment it shows (while the model reads the repo or starts answering): stories260K often
      // ends its story before a click arrives. The next test switches back.
      const random = findTestModel("llama-2-tiny-random", __dirname);
      assert.ok(random, "llama-2-tiny-random is missing: run `node --import tsx scripts/fetch-models.ts`");
      storiesPath = vscode.workspace.getConfiguration("longropeQa").get<string>("modelPath");
      await setSetting("longropeQa.modelPath", random);
      await setSetting("longropeQa.maxAnswerTokens", 1500);
      const watched = await askAndWatch(QUESTIONS[1]!, { stopWithSelector: "#stop", stopWhen: "started" });
      assert.ok(watched.stopClicked, "the Stop button could not be clicked while the answer streamed");
      assert.ok(watched.result, "the question failed instead of stopping");
      assert.equal(watched.result.cancelled, true, "the answer ran to its end instead of stopping");
      assert.ok(watched.result.generatedTokens < 1500, `${watched.result.generatedTokens} tokens generated`);
      const t = await readTranscript();
      assert.equal(t.streaming, false, "the page still shows an answer streaming after Stop");
      assert.equal(t.messages.filter((m) => m.role === "error").length, 0, "Stop is not an error");
      const answers = assistantMessages(t);
      assert.equal(answers.length, 2);
      assert.equal(answers[1]!.label, "LongRoPE QA (stopped)");
      assert.equal(answers[1]!.actions.find((a) => a.text === "Copy answer")?.disabled, answers[1]!.text === "", "Copy is off exactly when there is nothing to copy");
    });

    it("answers a second question after a stop, streaming it into the page", async () => {
      // 300 random tokens take several of the page's 50 ms render intervals, so partial answers show.
      await setSetting("longropeQa.maxAnswerTokens", 300);
      const watched = await askAndWatch(QUESTIONS[2]!).finally(async () => {
        await setSetting("longropeQa.maxAnswerTokens", undefined);
        await setSetting("longropeQa.modelPath", storiesPath);
      });
      assert.ok(watched.result && !watched.result.cancelled, "the second answer did not complete");
      assert.ok(watched.partialsSeen >= 1, "the page never showed a partial answer while streaming");
      const t = await readTranscript();
      assert.deepEqual(t.messages.filter((m) => m.role === "user").map((m) => m.text), QUESTIONS);
      const answers = assistantMessages(t);
      assert.equal(answers.length, 3);
      assert.ok(answers[2]!.text.length > 0, "the second answer shown in the page is empty");
    });

    citationSuite();
    editorSuite();
    remoteSettingsSuite();
    conversationSuite();
    contextReportSuite();
    welcomeSuite();
  });
}
