/**
 * New chat: the red status bar of a failed question goes, and the empty chat welcomes with the model and its
 * window, a Choose-model button, example questions and what will be read. Screenshots at two sidebar widths.
 */
import * as assert from "node:assert/strict";
import * as vscode from "vscode";
import { askAndWatch } from "./asking";
import { CITATION_QUESTION } from "./citation.test";
import { requestScreenshot } from "./exchange";
import { readComposer, readTranscript, setSetting, waitFor, workbenchText } from "./helpers";

export function welcomeSuite(): void {
  it("New chat clears the red status bar and the meter; the empty chat welcomes with the model and examples", async () => {
    const model = vscode.workspace.getConfiguration("longropeQa").get<string>("modelPath");
    await setSetting("longropeQa.modelPath", "/nonexistent/other.gguf");
    try {
      const watched = await askAndWatch("Will this fail?");
      assert.equal(watched.result, undefined);
      await waitFor("the status bar to show the error", async () => (/Error/.test(await workbenchText('.statusbar-item:has-text("LongRoPE QA")')) ? true : undefined), 10_000);
      assert.equal((await readComposer()).meter, "", "the meter shows no figures of the model that worked before");
    } finally {
      await setSetting("longropeQa.modelPath", model);
    }
    await vscode.commands.executeCommand("longropeQa.newChat");
    const composer = await waitFor("the welcome view", async () => {
      const c = await readComposer();
      return c.welcome && /stories260K\.gguf/.test(c.welcome.text) ? c : undefined;
    }, 10_000);
    assert.doesNotMatch(await workbenchText('.statusbar-item:has-text("LongRoPE QA")'), /Error/, "New chat cleared the error state");
    assert.equal((await readTranscript()).messages.length, 0);
    const welcome = composer.welcome!;
    assert.match(welcome.text, /Model: stories260K\.gguf · 2,048-token window/);
    assert.match(welcome.text, /every file in tiny-repo/);
    assert.equal(welcome.examples.length, 3);
    assert.ok(welcome.buttons.includes("Choose another model…"));
    await requestScreenshot("sidebar-welcome");
    await requestScreenshot("sidebar-welcome-narrow", { width: 240 });
    await requestScreenshot("sidebar-welcome-wide", { width: 420 });
  });

  it("a citation asked after New chat is the conversation the reopened window restores", async () => {
    const watched = await askAndWatch(CITATION_QUESTION);
    assert.ok(watched.result && !watched.result.cancelled);
  });
}
