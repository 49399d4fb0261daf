/**
 * Citations: a `path:line` in the chat becomes a link that opens the file at that line. stories260K never writes
 * one, so the question carries them: the page renders user and assistant messages through the same citation code,
 * and the click goes through the same message to the extension.
 */
import * as assert from "node:assert/strict";
import * as path from "node:path";
import * as vscode from "vscode";
import { askAndWatch } from "./asking";
import { requestScreenshot } from "./exchange";
import { clickInWebview, lastOf, readTranscript, waitFor } from "./helpers";

export const CITATION_QUESTION = "What does src/greet.ts:4 do, and what is in /etc/hostname:1?";

export function citationSuite(): void {
  it("a citation link opens the right file at the right line; paths outside the workspace stay text", async () => {
    const watched = await askAndWatch(CITATION_QUESTION);
    // The question follows long answers from another model: it must be answered, not refused for length.
    assert.ok(watched.result && !watched.result.cancelled, "the question carrying the citations was not answered");
    const asked = await waitFor("the citation to resolve to a link", async () => {
      const t = await readTranscript();
      const message = lastOf(t.messages, (m) => m.role === "user" && m.text === CITATION_QUESTION);
      return message?.links.length ? message : undefined;
    });
    assert.deepEqual(asked.links.map((l) => [l.path, l.line]), [["src/greet.ts", 4]], "only the workspace file is a link");

    const clicked = await clickInWebview('article[data-role="user"] a.citation[data-path="src/greet.ts"][data-line="4"]');
    assert.ok(clicked, "the citation link could not be clicked");
    const editor = await waitFor("src/greet.ts to open in an editor", () => {
      const e = vscode.window.activeTextEditor;
      return e && e.document.uri.fsPath.endsWith(path.join("src", "greet.ts")) ? e : undefined;
    }, 10_000);
    assert.equal(editor.selection.active.line + 1, 4, "the editor is not at the cited line");
    const root = vscode.workspace.workspaceFolders![0]!.uri.fsPath;
    assert.equal(editor.document.uri.fsPath, path.join(root, "src", "greet.ts"));
    await requestScreenshot("sidebar-citation");
  });
}
