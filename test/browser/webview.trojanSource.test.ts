/**
 * Answers that try to deceive the eye, in the real page in Chromium: bidi controls and zero-width characters are
 * shown as markers in prose, code and link labels (none is left to reorder the display); a citation's label is the
 * path it opens; more than 500 distinct citations all resolve; a file named `..hidden.ts` can be cited.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { before, describe, it } from "node:test";
import { resolveCitation } from "../../src/chat/citations";
import { parseWebviewMessage, type WebviewMessage } from "../../src/chat/protocol";
import { findCitations } from "../../media/render";
import { chromiumForSuite, openChatPage, repoRoot, type ChatPage } from "../support/webviewPage";

const RLO = "\u202E";
const HOSTILE = [
  `See ${RLO}gnp.ts:1 for the icon.`,
  "",
  "```sh",
  `rm -rf ./build ${RLO}/ # tmp`,
  "```",
  "",
  `Docs: [safe\u200Blink${RLO}txt.exe](https://example.com/a) and zero\u200Bwidth\u2066isolate\u2069.`,
].join("\n");

async function answer(chat: ChatPage, id: string, text: string): Promise<void> {
  await chat.send({ type: "turnStart", id, question: "q" });
  await chat.send({ type: "token", id, text });
  await chat.send({ type: "done", id, text, cancelled: false });
}

type ResolveRequest = Extract<WebviewMessage, { type: "resolveCitations" }>;

describe("answers cannot deceive the eye", () => {
  const browser = chromiumForSuite();
  before(() => {
    execFileSync(process.execPath, ["esbuild.mjs", "--only=webview"], { cwd: repoRoot, stdio: "ignore" });
  });

  it("bidi controls and zero-width characters are shown as markers in text, code and link labels", async () => {
    const chat = await openChatPage(browser.context);
    await chat.send({ type: "restore", messages: [], trusted: true });
    await answer(chat, "t1", HOSTILE);
    const request = (await chat.waitForPosted((m) => m.type === "resolveCitations")) as ResolveRequest;
    await chat.send({ type: "citations", id: request.id, resolved: ["gnp.ts"] });
    await chat.page.waitForSelector("a.citation");
    const seen = await chat.page.evaluate(() => {
      const article = Array.from(document.querySelectorAll("article")).pop()!;
      const texts: string[] = [];
      const walker = document.createTreeWalker(article, NodeFilter.SHOW_TEXT);
      for (let n = walker.nextNode(); n; n = walker.nextNode()) texts.push((n as Text).data);
      const markers = (sel: string) => Array.from(article.querySelectorAll(`${sel} .invisible-char`), (e) => e.textContent);
      const link = article.querySelector("a.citation") as HTMLAnchorElement;
      return {
        hidden: texts.join("").match(/[\u061C\u200B-\u200F\u202A-\u202E\u2060-\u2064\u2066-\u2069\uFEFF]/gu)?.length ?? 0,
        inProse: markers("p"),
        inCode: markers("pre code"),
        inLink: markers("a[href^='https']"),
        citation: { label: link.textContent, path: link.dataset.path, line: link.dataset.line, dir: link.dir },
      };
    });
    assert.equal(seen.hidden, 0, "no invisible character is left in the displayed text");
    assert.deepEqual(seen.inCode, ["U+202E"]);
    assert.deepEqual(seen.inLink, ["U+200B", "U+202E"]);
    assert.deepEqual(seen.inProse, ["U+202E", "U+200B", "U+202E", "U+200B", "U+2066", "U+2069"]);
    assert.deepEqual(seen.citation, { label: "gnp.ts:1", path: "gnp.ts", line: "1", dir: "ltr" });
    await chat.page.close();
  });

  it("more than 500 distinct citations are asked in parts the extension accepts, and all become links", async () => {
    const chat = await openChatPage(browser.context);
    await chat.send({ type: "restore", messages: [], trusted: true });
    const paths = Array.from({ length: 620 }, (_, i) => `src/file${i}.ts`);
    await answer(chat, "t2", paths.map((p) => `${p}:3`).join(", "));
    await chat.waitForPosted(() => false, 1500).catch(() => undefined);
    const requests = (await chat.posted()).filter((m): m is ResolveRequest => m.type === "resolveCitations");
    assert.ok(requests.length >= 2, `${requests.length} request(s)`);
    for (const r of requests) assert.ok(parseWebviewMessage(r), `a request of ${r.paths.length} paths would be dropped`);
    assert.deepEqual(requests.flatMap((r) => r.paths).sort(), [...paths].sort());
    for (const r of requests) await chat.send({ type: "citations", id: r.id, resolved: [...r.paths] });
    await chat.page.waitForFunction(() => !document.querySelector("span.citation.pending"));
    assert.equal(await chat.page.evaluate(() => document.querySelectorAll("a.citation").length), 620);
    await chat.page.close();
  });
});

describe("a file named ..hidden.ts", () => {
  it("is found as a citation and resolves inside the workspace; ../ still leaves it", async () => {
    assert.deepEqual(findCitations("see ..hidden.ts:3 and .eslintrc.js:1").map((c) => [c.path, c.line]), [["..hidden.ts", 3], [".eslintrc.js", 1]]);
    const root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), "lrq-hidden-")));
    try {
      fs.writeFileSync(path.join(root, "..hidden.ts"), "export {};\n");
      fs.writeFileSync(path.join(path.dirname(root), `${path.basename(root)}-outside.ts`), "x");
      const roots = [{ name: "w", path: root }];
      assert.equal(await resolveCitation(roots, "..hidden.ts"), path.join(root, "..hidden.ts"));
      assert.equal(await resolveCitation(roots, `../${path.basename(root)}-outside.ts`), undefined);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
      fs.rmSync(path.join(path.dirname(root), `${path.basename(root)}-outside.ts`), { force: true });
    }
  });
});
