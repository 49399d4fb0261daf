/**
 * XSS in real Chromium: model answers, questions quoting file contents, error messages, model names and cited paths
 * carrying payloads. The page runs with a CSP that ALLOWS inline script, so only the sanitizer stands between a
 * payload and execution; a positive control proves the flag check would see an execution.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { before, describe, it } from "node:test";
import { chromiumForSuite, openChatPage, repoRoot, type ChatPage } from "../support/webviewPage";

/** Each payload sets window.__xss to its number if it ever runs. */
export const PAYLOADS: readonly (readonly [name: string, text: string])[] = [
  ["script tag", "<script>window.__xss=1</script>"],
  ["img onerror", '<img src=x onerror="window.__xss=2">'],
  ["svg onload", '<svg onload="window.__xss=3"><circle r=1 /></svg>'],
  ["svg script", "<svg><script>window.__xss=4</script></svg>"],
  ["markdown javascript: link", "[click me](javascript:window.__xss=5)"],
  ["mixed-case javascript: link", "[click me](JaVaScRiPt:window.__xss=6)"],
  ["entity-encoded javascript: link", "[click me](&#106;avascript:window.__xss=7)"],
  ["javascript: autolink", "<javascript:window.__xss=8>"],
  ["javascript: reference link", "[click me][ref]\n\n[ref]: javascript:window.__xss=9"],
  ["data: URL link", "[click me](data:text/html;base64,PHNjcmlwdD53aW5kb3cuX194c3M9MTA8L3NjcmlwdD4=)"],
  ["markdown image onerror", '![x](x" onerror="window.__xss=11)'],
  ["comment splitting img", '<!--><img src=x onerror="window.__xss=12">-->'],
  ["comment splitting script", "<scr<!-- -->ipt>window.__xss=13</scr<!-- -->ipt>"],
  ["comment inside tag", '<img src=x <!-- --> onerror="window.__xss=14">'],
  ["html in link text", "[<img src=x onerror=window.__xss=15>](https://example.com)"],
  ["link title breakout", '[x](https://example.com "t\\" onmouseover=\\"window.__xss=16")'],
  ["code fence breakout", "```\n</code></pre><img src=x onerror=window.__xss=17>\n```"],
  ["fence info-string breakout", '```" onerror="window.__xss=18\ncode\n```'],
  ["command: URI link", "[run](command:workbench.action.terminal.new)"],
  ["raw anchor javascript:", '<a href="javascript:window.__xss=19">x</a>'],
  ["iframe srcdoc", '<iframe srcdoc="<script>parent.__xss=20</script>"></iframe>'],
  ["mXSS math/style", "<math><mtext><table><mglyph><style><img src=x onerror=window.__xss=21></style></mglyph></table></mtext></math>"],
  ["linkify quote breakout", 'www.example.com/"onmouseover="window.__xss=22'],
  ["inline code html", "`<img src=x onerror=window.__xss=23>`"],
  ["vbscript: link", "[x](vbscript:msgbox(24))"],
  ["form action", '<form action="javascript:window.__xss=25"><button>go</button></form>'],
  ["object data", '<object data="javascript:window.__xss=26"></object>'],
  ["citation with markup", "see `a<img src=x onerror=window.__xss=27>.ts:1` and x<svg/onload=window.__xss=28>.ts:2"],
];

async function assertInert(chat: ChatPage, label: string): Promise<void> {
  await chat.page.waitForTimeout(150); // image errors and loads fire asynchronously
  const found = await chat.page.evaluate(() => {
    // Everything the page fills from messages (the page's own form and nonce script are not in these).
    const roots = Array.from(document.querySelectorAll("#transcript, #meter, #status, #announcer"));
    const all = (selector: string) => roots.flatMap((r) => Array.from(r.querySelectorAll(selector)));
    const live = all("script, img, svg, math, iframe, object, embed, form, style, link, meta, input, textarea").map((el) => el.tagName);
    const handlers = [...roots, ...all("*")].flatMap((el) =>
      Array.from(el.attributes).filter((a) => a.name.startsWith("on")).map((a) => `${el.tagName}[${a.name}]`));
    const hrefs = all("a[href]")
      .map((a) => a.getAttribute("href")!)
      .filter((h) => h !== "#" && !/^(https?:|mailto:)/i.test(h));
    return { flag: (window as unknown as { __xss?: unknown }).__xss, live, handlers, hrefs };
  });
  assert.deepEqual(found, { flag: undefined, live: [], handlers: [], hrefs: [] }, label);
}

async function clickEveryLink(chat: ChatPage): Promise<void> {
  await chat.page.evaluate(() => document.querySelectorAll<HTMLElement>("#transcript a").forEach((a) => a.click()));
}

describe("chat webview XSS", () => {
  const browser = chromiumForSuite();
  let chat: ChatPage;
  before(async () => {
    execFileSync(process.execPath, ["esbuild.mjs", "--only=webview"], { cwd: repoRoot, stdio: "ignore" });
    chat = await openChatPage(browser.context, { csp: "weak" });
    await chat.send({ type: "restore", messages: [], trusted: true });
  });

  it("positive control: with this CSP an unsanitized payload does run and is detected", async () => {
    const control = await openChatPage(browser.context, { csp: "weak" });
    await control.page.evaluate(() => document.body.insertAdjacentHTML("beforeend", '<img src=x onerror="window.__xss=99">'));
    await control.page.waitForFunction(() => (window as unknown as { __xss?: number }).__xss === 99);
    await control.page.close();
  });

  for (const [index, [name, payload]] of PAYLOADS.entries()) {
    it(`answer streamed and final: ${name}`, async () => {
      const id = `x${index}`;
      await chat.send({ type: "turnStart", id, question: `payload ${index}` });
      for (let i = 0; i < payload.length; i += 4) await chat.send({ type: "token", id, text: payload.slice(i, i + 4) });
      await chat.page.waitForTimeout(80); // at least one throttled patch of a partial payload
      await assertInert(chat, `${name} (streaming)`);
      await chat.send({ type: "done", id, text: `Before\n\n${payload}\n\nafter.`, cancelled: false });
      await chat.page.waitForSelector(`article[data-id="${id}:a"]:not(.streaming)`);
      // The worst case: the extension says every cited path is inside the workspace.
      for (const m of await chat.posted()) {
        if (m.type === "resolveCitations") await chat.send({ type: "citations", id: m.id, resolved: m.paths });
      }
      await clickEveryLink(chat);
      await assertInert(chat, `${name} (final)`);
      const shown = await chat.page.textContent(`article[data-id="${id}:a"] .body`);
      assert.match((shown ?? "").trim(), /^Before[\s\S]*after\.$/, "the answer around the payload is still rendered");
    });
  }

  it("questions quoting file contents (Ask about selection), errors and model names", async () => {
    const file = PAYLOADS.map(([, p]) => p).join("\n");
    await chat.send({ type: "prefill", text: `About src/evil.html:1-30:\n\`\`\`html\n${file}\n\`\`\`\n` });
    assert.equal(await chat.page.inputValue("#question"), `About src/evil.html:1-30:\n\`\`\`html\n${file}\n\`\`\`\n`);
    await chat.page.click("#send");
    const ask = (await chat.waitForPosted((m) => m.type === "ask")) as { question: string };
    await chat.send({ type: "turnStart", id: "q1", question: ask.question });
    await chat.send({ type: "turnStart", id: "q2", question: file }); // unfenced: the question as markdown
    await chat.send({ type: "error", id: "q2", message: file, actions: ["openLogs", "javascript:alert(1)" as never] });
    await chat.send({
      type: "status",
      status: { state: "ready", meter: { repoTokens: 1, contextSize: 2, modelName: file, ropeScaling: file, filesIncluded: 0, filesExcluded: 0 } },
    });
    await chat.send({ type: "status", status: { state: "error", message: file } });
    for (const m of await chat.posted()) {
      if (m.type === "resolveCitations") await chat.send({ type: "citations", id: m.id, resolved: m.paths });
    }
    await clickEveryLink(chat);
    await assertInert(chat, "questions, errors, meter");
    const links = await chat.page.$$eval("a.citation", (els) => els.map((e) => e.getAttribute("data-path")));
    assert.ok(links.includes("src/evil.html"), "the quoted file's citation became a link (links were exercised)");
    assert.equal(await chat.page.locator("article.error button").count(), 1, "an unknown action gets no button");
    assert.ok((await chat.page.textContent("#meter .meter-model"))!.includes("<script>window.__xss=1</script>"));
  });

  it("a hostile window message of an unknown type or shape is ignored", async () => {
    await chat.page.evaluate(() => {
      window.postMessage({ type: "eval", code: "window.__xss=100" }, "*");
      window.postMessage("<img src=x onerror=window.__xss=101>", "*");
      window.postMessage(null, "*");
    });
    await assertInert(chat, "unknown messages");
  });
});
