/**
 * Phase "main", after the local-engine tests: the same sidebar answered by a real OpenAI-compatible server
 * (llama-cpp-python serving SmolLM2, built by scripts/ensure-llama-server.sh and started here, inside the extension
 * host, on a free loopback port). Also: a workspace's own settings cannot point the extension at a server.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import * as vscode from "vscode";
import { readConfig } from "../../../src/config";
import { findTestModel } from "../../../src/engine/testModels";
import { startLlamaServer, type LlamaServer } from "../../support/llamaServer";
import { askAndWatch, assistantMessages } from "./asking";
import { readTranscript, setSetting, waitFor } from "./helpers";

const chatRequests = (log: string) => log.match(/POST \/v1\/chat\/completions HTTP\/1\.1" 200/g)?.length ?? 0;

function workspaceFolder(): string {
  const folder = vscode.workspace.workspaceFolders?.[0];
  if (!folder) throw new Error("The test window has no workspace folder.");
  return folder.uri.fsPath;
}

export function endpointSuites(): void {
  describe("The same chat answered by an OpenAI-compatible server", () => {
    let server: LlamaServer | undefined;
    // The runner's short answers (48 tokens) must outlive this suite: the reopen window answers with them.
    const answerTokens = vscode.workspace.getConfiguration("longropeQa").inspect<number>("maxAnswerTokens")?.globalValue;

    before(async () => {
      const model = findTestModel("smollm2", path.resolve(__dirname, "../../.."));
      if (!model) throw new Error("SmolLM2-135M-Instruct is missing; run: node --import tsx scripts/fetch-models.ts");
      server = await startLlamaServer({ modelPath: model, nCtx: 4096 });
      await setSetting("longropeQa.endpoint", server.url);
      await waitFor("longropeQa.endpoint to apply", () => (readConfig().remote?.endpoint === server!.url ? true : undefined), 10_000);
    });

    after(async () => {
      await setSetting("longropeQa.endpoint", undefined);
      await setSetting("longropeQa.maxAnswerTokens", answerTokens);
      await server?.stop();
    });

    it("the sidebar streams an answer from the server", async () => {
      const before = chatRequests(server!.log());
      const watched = await askAndWatch("Which file defines the multiply function?");
      assert.ok(watched.result && !watched.result.cancelled, "the answer did not complete");
      assert.ok(watched.result.generatedTokens > 0, "no token was generated");
      assert.ok(watched.partialsSeen >= 1, "the page never showed a partial answer while streaming");
      assert.equal(chatRequests(server!.log()), before + 1, "the server did not answer exactly one chat request");
      const answer = assistantMessages(await readTranscript()).at(-1);
      assert.ok(answer && answer.text.length > 0, "the answer shown in the page is empty");
    });

    it("Stop cancels it: the HTTP request is aborted and the server sees the client go", async () => {
      await setSetting("longropeQa.maxAnswerTokens", 700);
      // SmolLM2 answers this one at length (about 150 tokens, 5 s here); a story it tells in a sentence.
      const watched = await askAndWatch("Write a long tutorial on how to use this library, with many examples.", { stopWithSelector: "#stop", stopWhen: "started" });
      assert.ok(watched.stopClicked, "the Stop button could not be clicked while the answer streamed");
      assert.ok(!watched.result || watched.result.cancelled, "the answer ran to its end instead of stopping");
      // llama-cpp-python notices a closed stream at its next token and says so.
      await waitFor("the server to notice the closed request", () => (/disconnected/i.test(server!.log()) ? true : undefined), 30_000);
      assert.equal((await readTranscript()).streaming, false, "the page still shows an answer streaming after Stop");
    });

    it("a workspace's .vscode/settings.json cannot set longropeQa.endpoint", async () => {
      await setSetting("longropeQa.endpoint", undefined);
      const dir = path.join(workspaceFolder(), ".vscode");
      const marker = "workspace-settings-were-read/**";
      fs.mkdirSync(dir, { recursive: true });
      fs.writeFileSync(path.join(dir, "settings.json"), JSON.stringify({ "longropeQa.endpoint": "http://127.0.0.1:9/v1", "longropeQa.exclude": [marker] }));
      try {
        // The same file's workspace-scoped setting applies: the file was read.
        await waitFor("the workspace settings file to be read", () => (readConfig().pack.exclude?.includes(marker) ? true : undefined), 15_000);
        assert.equal(readConfig().remote, undefined, "a workspace setting chose the server");
        assert.equal(vscode.workspace.getConfiguration("longropeQa").get("endpoint"), "", "VS Code applied a machine-scoped setting from the workspace");
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });
  });
}
