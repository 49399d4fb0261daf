/**
 * The chat page in real headless Chromium: streaming render, highlighting, citations, Stop, keyboard, state restore,
 * error actions and the context meter. Screenshots (light and dark) go to test/output/.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { before, describe, it } from "node:test";
import { chromiumForSuite, openChatPage, repoRoot, type ChatPage } from "../support/webviewPage";

const ANSWER = [
  "## Where the packer starts\n\n",
  "The entry point is `packWorkspace` in src/workspace/pack.ts:12, and the CLI calls it from src/cli.ts:40-44.\n\n",
  "```ts\nexport async function packWorkspace(options: PackOptions): Promise<PackResult> {\n  const files = await collect(options);\n  return { text: render(files), included: files, excluded: [] };\n}\n```\n\n",
  "- honours **.gitignore**\n- skips binaries (see /etc/passwd:1)\n",
].join("");

/** Splits like a tokenizer would: a few characters at a time. */
function tokens(text: string, size = 3): string[] {
  const out: string[] = [];
  for (let i = 0; i < text.length; i += size) out.push(text.slice(i, i + size));
  return out;
}

async function streamAnswer(chat: ChatPage, id: string, question: string, answer: string): Promise<void> {
  await chat.send({ type: "turnStart", id, question });
  await chat.page.evaluate(
    ({ id, parts }) => parts.forEach((text) => window.postMessage({ type: "token", id, text }, "*")),
    { id, parts: tokens(answer) },
  );
}

const transcriptOf = (chat: ChatPage) => chat.transcript();

describe("chat webview in Chromium", () => {
  const browser = chromiumForSuite();
  before(() => {
    execFileSync(process.execPath, ["esbuild.mjs", "--only=webview"], { cwd: repoRoot, stdio: "ignore" });
  });

  it("streams markdown, patches blocks instead of resetting them, and highlights code", async () => {
    const chat = await openChatPage(browser.context);
    const { page } = chat;
    await chat.send({ type: "restore", messages: [], trusted: true });
    await chat.send({ type: "turnStart", id: "t1", question: "Where does packing start?" });
    await chat.send({ type: "token", id: "t1", text: "## Where the packer starts\n\nThe entry" });
    await page.waitForSelector("article.streaming .body h2");
    assert.equal(await page.getAttribute("article.streaming", "aria-busy"), "true");
    await page.evaluate(() => {
      const w = window as unknown as Record<string, unknown>;
      w.__firstBlock = document.querySelector("article.streaming .body h2");
      w.__patches = 0;
      new MutationObserver(() => (w.__patches as number)++).observe(document.querySelector("article.streaming .body")!, {
        childList: true,
      });
    });
    const rest = ANSWER.slice("## Where the packer starts\n\nThe entry".length);
    await page.evaluate((parts) => parts.forEach((text) => window.postMessage({ type: "token", id: "t1", text }, "*")), tokens(rest));
    await page.waitForSelector("article.streaming .body pre code .hljs-keyword");
    await page.waitForFunction(() => document.querySelector("article.streaming .body ul li:nth-child(2)"));
    const { kept, patches } = await page.evaluate(() => {
      const w = window as unknown as { __firstBlock: Element; __patches: number };
      return { kept: w.__firstBlock.isConnected, patches: w.__patches };
    });
    assert.ok(kept, "the unchanged heading block kept its DOM node while later tokens streamed");
    assert.ok(patches < tokens(rest).length / 4, `DOM patched ${patches} times for ${tokens(rest).length} tokens`);
    await chat.send({ type: "done", id: "t1", text: ANSWER, cancelled: false });
    await page.waitForSelector("article.message.assistant:not(.streaming)");
    assert.equal(await page.textContent("#announcer"), "Answer complete.");
    const keywords = await page.$$eval("pre code .hljs-keyword", (els) => els.map((e) => e.textContent));
    assert.ok(keywords.includes("async") && keywords.includes("return"), `highlighted keywords: ${keywords.join(",")}`);
    assert.equal(await page.textContent(".code-toolbar span"), "ts");

    await page.click(".copy-code");
    const copy = await chat.waitForPosted((m) => m.type === "copyText");
    assert.match((copy as { text: string }).text, /^export async function packWorkspace/);
    await page.click(".copy-answer");
    const copied = await chat.waitForPosted((m) => m.type === "copyText" && m.text === ANSWER);
    assert.ok(copied, "Copy answer copies the answer's markdown");
    assert.equal(await page.textContent(".copy-answer"), "Copied", "the button says the answer was copied");
    assert.equal(await page.textContent("#announcer"), "Answer copied.");
    const snapshot = await transcriptOf(chat);
    assert.equal(snapshot.streaming, false);
    assert.deepEqual(snapshot.messages.map((m) => m.role), ["user", "assistant"]);
    assert.match(snapshot.messages[1]!.text, /honours \.gitignore/);
    assert.deepEqual(await page.evaluate(() => (window as unknown as { __cspViolations: string[] }).__cspViolations), []);
    await page.close();
  });

  it("turns workspace citations into links that post openCitation; other paths stay text", async () => {
    const chat = await openChatPage(browser.context);
    const { page } = chat;
    await chat.send({ type: "restore", messages: [], trusted: true });
    await streamAnswer(chat, "t1", "q", ANSWER);
    await chat.send({ type: "done", id: "t1", text: ANSWER, cancelled: false });
    const asked = (await chat.waitForPosted((m) => m.type === "resolveCitations")) as { id: string; paths: readonly string[] };
    assert.deepEqual([...asked.paths].sort(), ["/etc/passwd", "src/cli.ts", "src/workspace/pack.ts"]);
    await page.waitForSelector("span.citation.pending");
    await chat.send({ type: "citations", id: asked.id, resolved: ["src/workspace/pack.ts", "src/cli.ts"] });
    await page.waitForFunction(() => !document.querySelector("span.citation.pending"));
    const snapshot = await transcriptOf(chat);
    assert.deepEqual(snapshot.messages[1]!.links, [
      { text: "src/workspace/pack.ts:12", path: "src/workspace/pack.ts", line: 12 },
      { text: "src/cli.ts:40-44", path: "src/cli.ts", line: 40 },
    ]);
    assert.match(snapshot.messages[1]!.text, /see \/etc\/passwd:1\)/, "an outside path stays plain text");
    await page.click('a.citation[data-path="src/cli.ts"]');
    const open = await chat.waitForPosted((m) => m.type === "openCitation");
    assert.deepEqual({ ...open, id: undefined }, { type: "openCitation", id: undefined, path: "src/cli.ts", line: 40 });
    await page.close();
  });

  it("web links post openLink; links to other schemes are not links at all", async () => {
    const chat = await openChatPage(browser.context);
    const text = "Docs: [llama.cpp](https://github.com/ggml-org/llama.cpp), <https://example.com/a?b=1>, [mail](mailto:a@b.c), [file](file:///etc/passwd).";
    await chat.send({ type: "restore", messages: [{ id: "a1", role: "assistant", text }], trusted: true });
    const hrefs = await chat.page.$$eval("article a", (as) => as.map((a) => a.getAttribute("href")));
    assert.deepEqual(hrefs, ["https://github.com/ggml-org/llama.cpp", "https://example.com/a?b=1", "mailto:a@b.c"]);
    await chat.page.click('a[href^="https://github.com"]');
    const open = await chat.waitForPosted((m) => m.type === "openLink");
    assert.equal((open as { url: string }).url, "https://github.com/ggml-org/llama.cpp");
    await chat.page.click('a[href^="mailto:"]');
    // Clicks are handled in order: once the next web link's message is there, the mailto click posted nothing.
    await chat.page.click('a[href^="https://example.com"]');
    await chat.waitForPosted((m) => m.type === "openLink" && m.url.startsWith("https://example.com"));
    assert.deepEqual((await chat.posted()).filter((m) => m.type === "openLink").map((m) => (m as { url: string }).url),
      ["https://github.com/ggml-org/llama.cpp", "https://example.com/a?b=1"], "only http(s) links are opened");
    assert.equal(chat.page.url(), "https://webview.test/index.html", "a click never navigates the page");
    await chat.page.close();
  });

  it("Stop and Escape post cancel for the streaming turn; a stopped answer is marked", async () => {
    const chat = await openChatPage(browser.context);
    const { page } = chat;
    await chat.send({ type: "restore", messages: [], trusted: true });
    await streamAnswer(chat, "turn-7", "q", "Once upon a time");
    await page.waitForSelector("#stop:not([hidden])");
    assert.equal(await page.isDisabled("#send"), true);
    await page.click("#stop");
    const cancel = await chat.waitForPosted((m) => m.type === "cancel");
    assert.equal((cancel as { targetId: string }).targetId, "turn-7");
    await page.keyboard.press("Escape");
    await page.waitForFunction(() => (window as unknown as { __posted: { type: string }[] }).__posted.filter((m) => m.type === "cancel").length === 2);
    await chat.send({ type: "done", id: "turn-7", text: "Once upon a time", cancelled: true });
    await page.waitForSelector("#stop[hidden]", { state: "attached" });
    assert.equal(await page.textContent("article.assistant .role"), "LongRoPE QA (stopped)");
    assert.equal(await page.textContent("#announcer"), "Answer stopped.");
    await page.close();
  });

  it("Enter sends, Shift+Enter makes a new line, and the composer is off in Restricted Mode", async () => {
    const chat = await openChatPage(browser.context);
    const { page } = chat;
    await chat.send({ type: "restore", messages: [], trusted: true });
    await page.click("#question");
    await page.keyboard.type("What does");
    await page.keyboard.press("Shift+Enter");
    await page.keyboard.type("pack do?");
    await page.keyboard.press("Enter");
    const ask = await chat.waitForPosted((m) => m.type === "ask");
    assert.equal((ask as { question: string }).question, "What does\npack do?");
    assert.equal(await page.inputValue("#question"), "");
    // A question is shown as typed, not as markdown.
    await chat.send({ type: "turnStart", id: "u1", question: "What is __init__.py *for*?\n  indented" });
    assert.equal(await page.textContent("article.user .body"), "What is __init__.py *for*?\n  indented");
    await chat.send({ type: "done", id: "u1", text: "", cancelled: true });
    assert.equal(await page.isDisabled("article.assistant .copy-answer"), true, "an empty answer has nothing to copy");
    await chat.send({ type: "restore", messages: [], trusted: false });
    assert.equal(await page.isVisible("#restricted"), true);
    assert.equal(await page.isDisabled("#question"), true);
    await page.click("#restricted button");
    assert.equal(((await chat.waitForPosted((m) => m.type === "runAction")) as { action: string }).action, "trustWorkspace");
    await page.close();
  });

  it("restores the conversation from getState after a reload, before the extension answers", async () => {
    const first = await openChatPage(browser.context);
    await first.send({ type: "restore", messages: [], trusted: true });
    await streamAnswer(first, "t1", "Where does packing start?", ANSWER);
    await first.send({ type: "done", id: "t1", text: ANSWER, cancelled: false });
    await first.page.waitForSelector("article.assistant:not(.streaming)");
    await first.page.fill("#question", "a draft");
    const saved = (await first.state()) as { messages: unknown[]; draft: { text: string } };
    assert.equal(saved.messages.length, 2);
    assert.equal(saved.draft.text, "a draft");
    await first.page.close();

    const second = await openChatPage(browser.context, { initialState: saved });
    const snapshot = await transcriptOf(second);
    assert.deepEqual(snapshot.messages.map((m) => m.role), ["user", "assistant"]);
    assert.equal(snapshot.messages[0]!.text, "Where does packing start?");
    assert.equal(await second.page.inputValue("#question"), "a draft");
    // The restored answer's citations were asked about before the extension's restore; the restore asks again.
    const early = (await second.waitForPosted((m) => m.type === "resolveCitations")) as { id: string };
    await second.send({ type: "restore", messages: saved.messages as never, trusted: true });
    const again = (await second.waitForPosted((m) => m.type === "resolveCitations" && m.id !== early.id)) as { id: string };
    await second.send({ type: "citations", id: again.id, resolved: ["src/cli.ts"] });
    await second.page.waitForSelector('a.citation[data-path="src/cli.ts"]');
    await second.send({ type: "citations", id: early.id, resolved: ["src/workspace/pack.ts"] }); // stale: ignored
    assert.deepEqual((await transcriptOf(second)).messages[1]!.links.map((l) => l.path), ["src/cli.ts"]);
    await second.send({ type: "cleared" });
    assert.equal((await transcriptOf(second)).messages.length, 0);
    await second.page.close();
  });

  it("shows errors with action buttons and the context meter from a ready status", async () => {
    const chat = await openChatPage(browser.context);
    const { page } = chat;
    await chat.send({ type: "restore", messages: [], trusted: true });
    await chat.send({ type: "turnStart", id: "e1", question: "q" });
    await chat.send({ type: "error", id: "e1", message: "The model file /m.gguf does not exist.", actions: ["chooseModel", "openLogs"] });
    await page.waitForSelector("article.error");
    assert.equal(await page.locator("article.streaming").count(), 0);
    assert.equal(await page.locator("article.assistant").count(), 0, "a turn that failed before any token leaves no empty answer");
    assert.deepEqual(await page.$$eval("article.error button", (b) => b.map((x) => x.textContent)), ["Choose model file…", "Open logs"]);
    await page.click('article.error button[data-action="chooseModel"]');
    const action = (await chat.waitForPosted((m) => m.type === "runAction")) as { action: string; turnId?: string };
    assert.deepEqual([action.action, action.turnId], ["chooseModel", "e1"], "the button names the failed turn, so it can be asked again");
    const meter = { repoTokens: 48_213, contextSize: 131_072, modelName: "phi3", modelFile: "Phi-4-mini-instruct-Q4_K_M.gguf", ropeScaling: "LongRoPE long factors (GGUF)", filesIncluded: 87, filesExcluded: 12 };
    await chat.send({ type: "status", status: { state: "ingesting", done: 10, total: 40, tokensPerSecond: 900, etaMs: 3000 } });
    assert.equal(await page.textContent("#status"), "Reading the repository 25%, 3 s left…");
    await chat.send({ type: "status", status: { state: "ready", meter } });
    await page.waitForSelector("#meter:not([hidden])");
    assert.equal(await page.textContent("#meter .meter-numbers"), "48.2k / 128k tokens");
    assert.equal(await page.textContent("#meter .meter-model"), "Phi-4-mini-instruct-Q4_K_M.gguf", "the meter names the model file, not the GGUF's architecture");
    assert.equal(await page.textContent("#meter .meter-rope"), "RoPE: LongRoPE long factors (GGUF)");
    // A small repository gets a small allocation; the meter still measures it against the model's window.
    await chat.send({ type: "status", status: { state: "ready", meter: { ...meter, repoTokens: 388, contextSize: 1024, windowTokens: 8192 } } });
    assert.equal(await page.textContent("#meter .meter-numbers"), "388 / 8,192 tokens");
    assert.equal(await page.getAttribute("#meter", "title"), "388 of the model's 8,192-token window hold the repository (1,024 allocated for now; more as the conversation needs)");
    assert.equal(await page.getAttribute("#meter progress", "max"), "8192");
    // A server without a tokenizer endpoint: the figure is an estimate, and the meter names where the answer comes from.
    const remote = { repoTokens: 3000, contextSize: 8192, windowTokens: 8192, modelName: "smollm2", modelFile: "smollm2", ropeScaling: "server", filesIncluded: 4, filesExcluded: 0, server: "gpu-box:8000", tokensEstimated: true };
    await chat.send({ type: "status", status: { state: "ready", meter: remote } });
    assert.equal(await page.textContent("#meter .meter-numbers"), "~3,000 / 8,192 tokens");
    assert.equal(await page.textContent("#meter .meter-model"), "smollm2 at gpu-box:8000");
    assert.match((await page.getAttribute("#meter", "title")) ?? "", /\(estimated from its size: .*answered by the server at gpu-box:8000$/);
    assert.equal(await page.textContent("#status"), "");
    await chat.send({ type: "status", status: { state: "error", message: "The model file /other.gguf does not exist." } });
    assert.equal(await page.isHidden("#meter"), true, "after a failure the meter does not keep the previous model's figures");
    await page.close();
  });

  it("keeps each throttled patch short on a long answer", async (t) => {
    const chat = await openChatPage(browser.context);
    await chat.send({ type: "restore", messages: [], trusted: true });
    const section = (i: number) =>
      `### Part ${i}\n\nSee src/part${i}.ts:${i + 1} for details; it **matters**.\n\n` +
      `\`\`\`ts\nexport function part${i}(x: number): number {\n  return x * ${i} + 1; // step ${i}\n}\n\`\`\`\n\n`;
    const answer = Array.from({ length: 60 }, (_, i) => section(i)).join("");
    await chat.send({ type: "turnStart", id: "long", question: "q" });
    const parts = tokens(answer, 4);
    for (let i = 0; i < parts.length; i += 40) {
      await chat.page.evaluate((batch) => batch.forEach((text) => window.postMessage({ type: "token", id: "long", text }, "*")), parts.slice(i, i + 40));
      await chat.page.waitForTimeout(20);
    }
    await chat.send({ type: "done", id: "long", text: answer, cancelled: false });
    await chat.page.waitForSelector("article.assistant:not(.streaming)");
    const patches = await chat.page.evaluate(() => performance.getEntriesByName("lrq-patch").map((e) => e.duration));
    const sorted = [...patches].sort((a, b) => a - b);
    const median = sorted[Math.floor(sorted.length / 2)]!;
    const worst = sorted.at(-1)!;
    // Durations are reported, not asserted: the machine is shared and timings under contention are noise.
    t.diagnostic(`${answer.length} chars in ${parts.length} tokens: ${patches.length} patches, median ${median.toFixed(1)} ms, worst ${worst.toFixed(1)} ms; all: ${patches.map((p) => p.toFixed(0)).join(" ")}`);
    assert.ok(patches.length < parts.length / 5, "patches are throttled, not one per token");
    assert.equal(await chat.page.locator("article.assistant pre").count(), 60);
    await chat.page.close();
  });

  it("renders in light, dark and high-contrast themes (screenshots in test/output/)", async () => {
    const out = path.join(repoRoot, "test/output");
    fs.mkdirSync(out, { recursive: true });
    const backgrounds = { light: "rgb(248, 248, 248)", dark: "rgb(24, 24, 24)", "high-contrast": "rgb(0, 0, 0)" };
    for (const theme of ["light", "dark", "high-contrast"] as const) {
      const chat = await openChatPage(browser.context, { theme });
      await chat.send({ type: "restore", messages: [], trusted: true, status: { state: "ready", meter: { repoTokens: 48_213, contextSize: 131_072, modelName: "Phi-4-mini-instruct", ropeScaling: "LongRoPE long factors (GGUF)", filesIncluded: 87, filesExcluded: 12 } } });
      await streamAnswer(chat, "t1", "Where does packing start?", ANSWER);
      await chat.send({ type: "done", id: "t1", text: ANSWER, cancelled: false });
      const asked = (await chat.waitForPosted((m) => m.type === "resolveCitations")) as { id: string };
      await chat.send({ type: "citations", id: asked.id, resolved: ["src/workspace/pack.ts", "src/cli.ts"] });
      await chat.page.waitForFunction(() => !document.querySelector("span.citation.pending"));
      const file = path.join(out, `webview-${theme}.png`);
      await chat.page.screenshot({ path: file });
      assert.ok(fs.statSync(file).size > 10_000);
      const bg = await chat.page.evaluate(() => getComputedStyle(document.body).backgroundColor);
      assert.equal(bg, backgrounds[theme]);
      await chat.page.close();
    }
  });
});
