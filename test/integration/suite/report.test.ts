/**
 * The context report as a view in the host: the summary by reason first, folders with token totals, a path that
 * opens its file, and the two actions writing .longropeignore and longropeQa.alwaysInclude.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import * as vscode from "vscode";
import { requestScreenshot } from "./exchange";
import { clickIn, readReport, setSetting, waitFor, type ReportView } from "./helpers";

const loaded = (r: ReportView | undefined) => (r && !r.busy && r.figures.length > 0 ? r : undefined);

export function contextReportSuite(): void {
  it("the context report is a view: summary by reason, folders with token totals, paths that open, and its actions", async () => {
    const root = vscode.workspace.workspaceFolders![0]!.uri.fsPath;
    const ignoreFile = path.join(root, ".longropeignore");
    await setSetting("longropeQa.maxAnswerTokens", 1024); // the repository no longer fits: some files are left out
    try {
      // Open editors are read first; with none open, the budget alone decides what is read.
      await vscode.commands.executeCommand("workbench.action.closeAllEditors");
      await vscode.commands.executeCommand("longropeQa.showContextReport");
      const report = await waitFor("the report", async () => loaded(await readReport()), 60_000);
      assert.match(report.figures[0] ?? "", /^Context window: 2,048 tokens \(stories260K\.gguf\) = 512 for the repository \+ 1,024 for the answer/);
      assert.match(report.summary[0] ?? "", /^Read into the prompt \d files? [\d,]+ tokens$/);
      assert.ok(report.summary.some((r) => /^Left out: over the token budget \d files?$/.test(r)), report.summary.join(" / "));
      const src = report.folders.find((f) => f.path === "src");
      assert.ok(src && /^src\/ \d files? · [\d,]+ tokens/.test(src.label), JSON.stringify(report.folders));
      await requestScreenshot("context-report", { part: "editor" });

      const dropped = report.leftOut[0]?.split(" ")[0];
      assert.ok(dropped, `a file left out for the budget: ${report.leftOut.join(" / ")}`);
      assert.ok(await clickIn("report", `.left-out li:has(a[data-path="${dropped}"]) button[data-action="alwaysInclude"]`));
      await waitFor(`${dropped} in longropeQa.alwaysInclude`, () =>
        vscode.workspace.getConfiguration("longropeQa").get<string[]>("alwaysInclude")?.includes(dropped) ? true : undefined, 10_000);
      const pinned = await waitFor("the report to read the always-included file", async () => {
        const r = loaded(await readReport());
        return r?.files.includes(dropped) ? r : undefined;
      }, 60_000).catch((error: Error) => {
        throw new Error(`${error.message}; left out now: ${report.leftOut.join(" / ")}`);
      });
      assert.ok(pinned.files.includes(dropped), "an always-included file is read first");

      const opened = pinned.files.find((f) => !f.includes("/")) ?? pinned.files[0]!;
      assert.ok(await clickIn("report", `.tree a.file-link[data-path="${opened}"]`));
      await waitFor(`${opened} to open`, () => (vscode.window.activeTextEditor?.document.uri.fsPath === path.join(root, opened) ? true : undefined), 10_000);

      assert.ok(await clickIn("report", 'details.folder[data-path="src"] > summary button[data-action="excludeFolder"]'));
      await waitFor(".longropeignore to list src/", () => (fs.existsSync(ignoreFile) && fs.readFileSync(ignoreFile, "utf8").split("\n").includes("src/") ? true : undefined), 10_000);
      const after = await waitFor("the report without src/", async () => {
        const r = loaded(await readReport());
        return r && r.folders.every((f) => f.path !== "src") && r.summary.some((s) => s.startsWith("Left out by .gitignore or .longropeignore")) ? r : undefined;
      }, 60_000);
      assert.ok(after.leftOut.some((l) => l.startsWith("src/ ")), `src/ is listed as left out: ${after.leftOut.join(" / ")}`);
    } catch (error) {
      await requestScreenshot("failed-context-report", { part: "editor" });
      throw error;
    } finally {
      fs.rmSync(ignoreFile, { force: true });
      await vscode.workspace.getConfiguration("longropeQa").update("alwaysInclude", undefined, vscode.ConfigurationTarget.Workspace);
      await setSetting("longropeQa.maxAnswerTokens", undefined);
      await vscode.commands.executeCommand("workbench.action.closeAllEditors");
    }
  });
}
