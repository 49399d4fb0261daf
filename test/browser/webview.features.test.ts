/**
 * The chat page's first contact and its honesty, in real headless Chromium: the welcome state, the attachment chip,
 * the "read N of M files" line with the files an answer read, notes about dropped turns, an interrupted answer kept
 * before its error, notices, and focus. Screenshots go to test/output/.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { before, describe, it } from "node:test";
import type { WelcomeInfo } from "../../src/chat/protocol";
import { chromiumForSuite, openChatPage, repoRoot } from "../support/webviewPage";

const welcome: WelcomeInfo = {
  modelFile: "SmolLM2-135M-Instruct.Q4_1.gguf",
  contextSize: 8192,
  defaultModel: "Phi-4-mini-instruct (128k-token window, about 2.5 GB), downloaded on the first question",
  folders: ["tiny-repo"],
  include: [],
};

describe("chat webview: welcome, chips, coverage", () => {
  const browser = chromiumForSuite();
  before(() => {
    execFileSync(process.execPath, ["esbuild.mjs", "--only=webview"], { cwd: repoRoot, stdio: "ignore" });
  });

  it("an empty chat welcomes with the model, its window, a Choose-model button and example questions", async () => {
    const chat = await openChatPage(browser.context);
    const { page } = chat;
    await chat.send({ type: "restore", messages: [], trusted: true, welcome });
    const view = await chat.composer();
    assert.ok(view.welcome, "the welcome view is shown");
    assert.match(view.welcome.text, /Model: SmolLM2-135M-Instruct\.Q4_1\.gguf · 8,192-token window/);
    assert.match(view.welcome.text, /every file in tiny-repo/);
    assert.equal(view.welcome.examples.length, 3);
    assert.deepEqual(view.welcome.buttons, ["Choose another model…", "See what will be read"]);
    assert.equal(view.focused, true, "the question box has the keyboard focus");
    fs.mkdirSync(path.join(repoRoot, "test/output"), { recursive: true });
    await page.screenshot({ path: path.join(repoRoot, "test/output/webview-welcome.png") });

    await page.click("button.example >> nth=0");
    const ask = await chat.waitForPosted((m) => m.type === "ask");
    assert.equal((ask as { question: string }).question, view.welcome.examples[0]);
    await page.click('#welcome button[data-action="chooseModel"]');
    assert.equal(((await chat.waitForPosted((m) => m.type === "runAction")) as { action: string }).action, "chooseModel");

    await chat.send({ type: "turnStart", id: "t1", question: view.welcome.examples[0]! });
    assert.equal((await chat.composer()).welcome, undefined, "the welcome gives way to the conversation");
    await chat.send({ type: "cleared" });
    assert.ok((await chat.composer()).welcome, "New chat brings the welcome back");

    await chat.send({ type: "welcome", welcome: { ...welcome, modelFile: undefined, contextSize: undefined } });
    const none = await chat.composer();
    assert.match(none.welcome!.text, /No model yet\. The default, Phi-4-mini-instruct/);
    assert.deepEqual(none.welcome!.buttons, ["Choose model file…", "See what will be read"]);
    await page.close();
  });

  it("Ask about selection attaches a chip; the question goes with it and shows it", async () => {
    const chat = await openChatPage(browser.context);
    const { page } = chat;
    await chat.send({ type: "restore", messages: [], trusted: true });
    await page.click("#new-chat"); // focus elsewhere first
    const attachment = { path: "src/greet.ts", firstLine: 3, lastLine: 5, languageId: "typescript", text: "export function greet() {}\n" };
    await chat.send({ type: "prefill", attachment });
    const view = await chat.composer();
    assert.deepEqual(view.chips, ["src/greet.ts:3-5"]);
    assert.equal(view.value, "", "no code is pasted into the box");
    assert.equal(view.focused, true);
    await page.keyboard.type("Why does it return?");
    await page.keyboard.press("Enter");
    const ask = (await chat.waitForPosted((m) => m.type === "ask")) as { question: string; attachment?: unknown };
    assert.deepEqual([ask.question, ask.attachment], ["Why does it return?", attachment]);
    assert.deepEqual((await chat.composer()).chips, [], "the chip went with the question");

    await chat.send({ type: "turnStart", id: "s1", question: "Why does it return?", attachment });
    const asked = (await chat.waitForPosted((m) => m.type === "resolveCitations")) as { id: string; paths: readonly string[] };
    assert.deepEqual(asked.paths, ["src/greet.ts"]);
    await chat.send({ type: "citations", id: asked.id, resolved: ["src/greet.ts"] });
    const shown = (await chat.transcript()).messages[0];
    assert.equal(shown?.text, "src/greet.ts:3-5\nWhy does it return?");
    assert.deepEqual(shown.links.map((l) => [l.path, l.line]), [["src/greet.ts", 3]], "the chip is a citation of the lines");

    await chat.send({ type: "prefill", attachment: { path: "src/math.ts" } });
    await page.click("#chips .chip-remove");
    assert.deepEqual((await chat.composer()).chips, []);
    await page.close();
  });

  it("an answer from a partial pack says how many files it read and lists them; notes say what was left out", async () => {
    const chat = await openChatPage(browser.context);
    const { page } = chat;
    await chat.send({ type: "restore", messages: [], trusted: true });
    await chat.send({ type: "turnStart", id: "c1", question: "What does this repo do?" });
    await chat.send({ type: "token", id: "c1", text: "It greets." });
    const notes = ["Left out the oldest earlier question and answers so this one fits the model's 2,048-token window."];
    await chat.send({ type: "done", id: "c1", text: "It greets.", cancelled: false, coverage: { read: ["README.md", "src/greet.ts"], readCount: 2, total: 181 }, notes });
    const answer = (await chat.transcript()).messages[1];
    assert.equal(answer?.coverage?.partial, "Read 2 of 181 files — see the context report");
    assert.equal(answer.coverage.summary, "Used 2 files");
    assert.deepEqual(answer.coverage.files, ["README.md", "src/greet.ts"]);
    assert.deepEqual(answer.notes, notes);
    await page.click("article.assistant .coverage summary");
    await page.click('a.file-link[data-path="src/greet.ts"]');
    const open = (await chat.waitForPosted((m) => m.type === "openCitation")) as { path: string; line: number };
    assert.deepEqual([open.path, open.line], ["src/greet.ts", 1]);
    await page.click('article.assistant .coverage button[data-action="showContextReport"]');
    const report = (await chat.waitForPosted((m) => m.type === "runAction")) as { action: string; turnId?: string };
    assert.deepEqual([report.action, report.turnId], ["showContextReport", "c1"], "the link names its answer, so the report can say what that answer read");
    await page.screenshot({ path: path.join(repoRoot, "test/output/webview-coverage.png") });

    await chat.send({ type: "turnStart", id: "c2", question: "Everything?" });
    await chat.send({ type: "done", id: "c2", text: "Yes.", cancelled: false, coverage: { read: ["a.ts"], readCount: 1, total: 1 } });
    const full = (await chat.transcript()).messages[3];
    assert.deepEqual([full?.coverage?.partial, full?.coverage?.summary], ["", "Used 1 file"], "a complete pack has no 'read N of M' line");
    await page.close();
  });

  it("a failure mid-answer keeps the partial answer marked interrupted, then the error; notices show as lines", async () => {
    const chat = await openChatPage(browser.context);
    await chat.send({ type: "restore", messages: [], trusted: true });
    await chat.send({ type: "turnStart", id: "x1", question: "Tell me a story." });
    await chat.send({ type: "token", id: "x1", text: "Once upon a time" });
    await chat.send({ type: "error", id: "x1", message: "The engine process was killed (SIGKILL); ask again to restart it.", actions: ["openLogs"], partial: "Once upon a time" });
    await chat.send({ type: "notice", id: "n1", text: "Model set to stories260K.gguf. Asking again." });
    const t = await chat.transcript();
    assert.equal(t.streaming, false);
    assert.deepEqual(t.messages.map((m) => [m.role, m.label, m.text]), [
      ["user", "You", "Tell me a story."],
      ["assistant", "LongRoPE QA (interrupted)", "Once upon a time"],
      ["error", "Error", "The engine process was killed (SIGKILL); ask again to restart it."],
      ["notice", "LongRoPE QA", "Model set to stories260K.gguf. Asking again."],
    ]);
    const saved = (await chat.state()) as { messages: { id: string; interrupted?: boolean }[] };
    assert.deepEqual(saved.messages.map((m) => [m.id, m.interrupted ?? false]), [["x1:q", false], ["x1:a", true], ["x1:e", false], ["n1", false]], "the page keeps the same messages under the same ids");
    await chat.page.close();
  });

  it("follows a long answer to its last line, unless the reader scrolled away; a new question shows again", async () => {
    const chat = await openChatPage(browser.context);
    const { page } = chat;
    const position = () => page.evaluate(() => {
      const t = document.getElementById("transcript")!;
      return { fromBottom: t.scrollHeight - t.scrollTop - t.clientHeight, top: t.scrollTop };
    });
    const stream = async (id: string) => {
      await chat.send({ type: "turnStart", id, question: "Tell me a long story." });
      const long = "Lily went to the park and saw a big tree. ".repeat(120);
      for (let i = 0; i < long.length; i += 200) await chat.send({ type: "token", id, text: long.slice(i, i + 200) });
      return long;
    };
    await chat.send({ type: "restore", messages: [], trusted: true });
    const text = await stream("s1");
    await chat.send({ type: "done", id: "s1", text, cancelled: false, coverage: { read: ["a.ts"], readCount: 1, total: 4 } });
    assert.ok((await position()).fromBottom <= 1, "the end of the answer and its files are in view");

    const second = await stream("s2");
    // The reader scrolls up and the answer ends before the next frame delivers the scroll event (CI's loaded machine
    // did this): the page must tell from the position it last set itself, not wait for the event.
    await page.evaluate((done) => new Promise<void>((resolve) => {
      document.getElementById("transcript")!.scrollTo({ top: 0 });
      window.addEventListener("message", (e: MessageEvent) => (e.data as { type?: string }).type === "done" && setTimeout(resolve), { once: false });
      window.postMessage(done, "*");
    }), { type: "done", id: "s2", text: second, cancelled: false });
    await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => setTimeout(r))));
    assert.equal((await position()).top, 0, "a reader who scrolled up is not pulled down");
    await chat.send({ type: "turnStart", id: "s3", question: "Again?" });
    assert.ok((await position()).fromBottom <= 1, "a new question is shown");
    await page.close();
  });

  it("a focus frame puts the keyboard in the question box", async () => {
    const chat = await openChatPage(browser.context);
    await chat.send({ type: "restore", messages: [], trusted: true });
    await chat.page.click("#new-chat");
    assert.equal((await chat.composer()).focused, false);
    await chat.send({ type: "focus" });
    assert.equal((await chat.composer()).focused, true);
    await chat.page.close();
  });
});
