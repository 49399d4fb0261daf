/**
 * The context report view in real headless Chromium, fed a real pack of the tiny fixture repo (stories260K's
 * tokenizer, the budget a 1,024-token answer leaves in its 2,048-token window): figures that add up, the summary by
 * reason first, folders with token totals, paths that open, and the two actions. Screenshot in test/output/.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import { reportPageHtml } from "../../src/commands/reportHtml";
import { answerLine, reportModel, treeOf, type ReportModel } from "../../src/commands/reportModel";
import type { ReportRequest } from "../../src/commands/reportProtocol";
import { RepoQa } from "../../src/engine/repoQa";
import { readReport } from "../support/pageReaders.cjs";
import { sharedModels } from "../support/models";
import { chromiumForSuite, openChatPage, repoRoot } from "../support/webviewPage";

describe("context report view", () => {
  const browser = chromiumForSuite();
  let model: ReportModel;
  let temp: string;
  before(async () => {
    execFileSync(process.execPath, ["esbuild.mjs", "--only=report"], { cwd: repoRoot, stdio: "ignore" });
    execFileSync(process.execPath, ["esbuild.mjs", "--only=engineWorker"], { cwd: repoRoot, stdio: "ignore" });
    temp = fs.mkdtempSync(path.join(os.tmpdir(), "lrq-report-"));
    const qa = new RepoQa({ workerPath: path.join(repoRoot, "dist/engineWorker.mjs"), storageDir: path.join(temp, "storage"), log: () => undefined });
    try {
      const repo = path.join(repoRoot, "test/fixtures/tiny-repo");
      const config = { pack: { roots: [{ name: "tiny-repo", path: repo }] }, engine: { modelPath: sharedModels.stories, threads: 1 } };
      const result = await qa.pack(config, {}, 1024);
      model = reportModel(result, result.budget, "Memory: (estimate)");
    } finally {
      await qa.dispose();
    }
  });
  after(() => fs.rmSync(temp, { recursive: true, force: true }));

  it("its figures agree: window = repository budget + answer + question; the prompt stays within the budget", () => {
    const [window, prompt, files] = model.figures;
    const n = (s: string | undefined, re: RegExp) => Number(re.exec(s ?? "")?.[1]?.replace(/,/g, ""));
    const context = n(window, /^Context window: ([\d,]+) tokens/);
    const budget = n(window, /= ([\d,]+) for the repository/);
    const answer = n(window, /\+ ([\d,]+) for the answer/);
    const question = n(window, /\+ ([\d,]+) for the question/);
    assert.equal(context, 2048);
    assert.equal(budget + answer + question, context, window);
    assert.ok(n(prompt, /prompt: ([\d,]+) tokens/) <= budget, prompt);
    assert.match(files ?? "", /^Files read: \d of 4 \(\d did not fit\)$/);
    const read = model.groups[0]!;
    assert.equal(read.reason, "read");
    assert.equal(model.tree.fileCount, read.files.length);
  });

  it("folders carry the tokens of everything under them", () => {
    const tree = treeOf([
      { path: "src/a/x.ts", name: "x.ts", tokens: 10 },
      { path: "src/b.ts", name: "b.ts", tokens: 5 },
      { path: "README.md", name: "README.md", tokens: 7 },
    ]);
    assert.deepEqual([tree.tokens, tree.fileCount], [22, 3]);
    const src = tree.folders[0]!;
    assert.deepEqual([src.path, src.tokens, src.fileCount, src.folders[0]?.path, src.folders[0]?.tokens], ["src", 15, 2, "src/a", 10]);
  });

  it("shows the summary first, folders that fold, paths that open, and the two actions", async () => {
    const chat = await openChatPage(browser.context, { page: { html: reportPageHtml, script: "dist/report.js", style: "media/report.css" } });
    const { page } = chat;
    const posted = async () => (await chat.posted()) as unknown as ReportRequest[];
    assert.deepEqual((await posted())[0], { type: "ready" });
    await chat.send({ type: "report", report: model } as never);
    const view = await page.evaluate(readReport);
    assert.equal(view.title, "Context report");
    assert.equal(view.figures.length, 4);
    assert.match(view.summary[0] ?? "", /^Read into the prompt \d files? \d+ tokens$/);
    assert.match(view.summary[1] ?? "", /^Left out: over the token budget \d files?$/);
    const src = view.folders.find((f) => f.path === "src");
    assert.ok(src, JSON.stringify(view.folders));
    assert.match(src.label, /^src\/ \d files? · \d+ tokens/);

    await page.click('details.folder[data-path="src"] > summary .folder-name');
    assert.equal((await page.evaluate(readReport)).folders.find((f) => f.path === "src")?.open, !src.open, "a folder folds");
    await page.click('details.folder[data-path="src"] > summary button[data-action="excludeFolder"]');
    assert.deepEqual((await posted()).at(-1), { type: "excludeFolder", path: "src" });
    assert.equal((await page.evaluate(readReport)).folders.find((f) => f.path === "src")?.open, !src.open, "the button does not fold the folder");

    const first = view.files[0]!;
    await page.evaluate(() => document.querySelectorAll("details").forEach((d) => (d.open = true)));
    await page.click(`a.file-link[data-path="${first}"] >> nth=0`);
    assert.deepEqual((await posted()).at(-1), { type: "openFile", path: first });
    const dropped = model.groups.find((g) => g.reason === "budget")!.files[0]!.path;
    await page.click(`.left-out li:has(a[data-path="${dropped}"]) button[data-action="alwaysInclude"]`);
    assert.deepEqual((await posted()).at(-1), { type: "alwaysInclude", path: dropped });
    await page.click("#refresh");
    assert.deepEqual((await posted()).at(-1), { type: "refresh" });

    const answer = answerLine({ question: "What does <b>this</b> do?", read: ["README.md", "src/a.ts"], readCount: 2, total: 9 });
    await chat.send({ type: "report", report: model, changed: "Added src/ to .longropeignore.", answer } as never);
    assert.equal(await page.textContent(".changed"), "Added src/ to .longropeignore.");
    assert.equal(await page.textContent(".for-answer"), answer, "what the answer read shows above the report, as text");
    assert.equal(await page.locator(".for-answer b").count(), 0);
    fs.mkdirSync(path.join(repoRoot, "test/output"), { recursive: true });
    await page.setViewportSize({ width: 900, height: 700 });
    await page.screenshot({ path: path.join(repoRoot, "test/output/webview-report.png") });
    assert.deepEqual(await page.evaluate(() => (window as unknown as { __cspViolations: string[] }).__cspViolations), []);
    await page.close();
  });
});
