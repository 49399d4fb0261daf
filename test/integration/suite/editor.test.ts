/** From the editor: the keyboard reaches the question box, and a selection becomes a chip on the question. */
import * as assert from "node:assert/strict";
import * as path from "node:path";
import * as vscode from "vscode";
import { drive } from "./exchange";
import { lastOf, readComposer, readTranscript, waitFor, workbenchText } from "./helpers";

async function openGreet(): Promise<vscode.TextEditor> {
  const root = vscode.workspace.workspaceFolders![0]!.uri;
  const doc = await vscode.workspace.openTextDocument(vscode.Uri.joinPath(root, "src", "greet.ts"));
  return vscode.window.showTextDocument(doc, { viewColumn: vscode.ViewColumn.One, preview: false });
}

export function editorSuite(): void {
  it("the palette command and its keybinding put the keyboard in the question box", async () => {
    await openGreet();
    await vscode.commands.executeCommand("workbench.action.focusActiveEditorGroup");
    assert.equal((await readComposer()).focused, false, "the question box had the focus before the command");
    await vscode.commands.executeCommand("longropeQa.ask");
    await waitFor("the question box to have the focus", async () => ((await readComposer()).focused ? true : undefined), 10_000);

    await vscode.commands.executeCommand("workbench.action.focusActiveEditorGroup");
    await waitFor("the editor to have the focus", async () => (!(await readComposer()).focused ? true : undefined), 10_000);
    await drive("press", { key: "Control+Alt+KeyQ" });
    await waitFor("Ctrl+Alt+Q to focus the question box", async () => ((await readComposer()).focused ? true : undefined), 10_000);
  });

  it("Ask about selection attaches the code as a chip, from a context menu named after the extension", async () => {
    const editor = await openGreet();
    editor.selection = new vscode.Selection(2, 0, 5, 0); // lines 3-5
    await drive("rightClick", { selector: ".editor-instance .view-lines" });
    const menu = await workbenchText(".context-view .monaco-menu");
    await drive("press", { key: "Escape" });
    assert.match(menu, /LongRoPE QA/, `the editor's context menu: ${menu.replace(/\n/g, " | ")}`);
    assert.doesNotMatch(menu, /^Ask about selection$/m, "a bare 'Ask about selection' does not say whose it is");
    editor.selection = new vscode.Selection(2, 0, 5, 0); // the right click moved the cursor

    await vscode.commands.executeCommand("longropeQa.askAboutSelection");
    const composer = await waitFor("the chip", async () => {
      const c = await readComposer();
      return c.chips.length > 0 ? c : undefined;
    }, 10_000);
    assert.deepEqual(composer.chips, [`src${path.posix.sep}greet.ts:3-5`]);
    assert.equal(composer.value, "", "no code was pasted into the question box");
    assert.equal(composer.focused, true);

    const question = "What does this return?";
    await drive("type", { view: "chat", selector: "#question", text: question, press: "Enter" });
    const answered = await waitFor("the answer to the question with the chip", async () => {
      const t = await readTranscript();
      const asked = lastOf(t.messages, (m) => m.role === "user");
      const answer = t.messages.at(-1);
      return asked?.text === `src/greet.ts:3-5\n${question}` && answer?.role === "assistant" && !t.streaming ? t : undefined;
    }, 120_000);
    const asked = lastOf(answered.messages, (m) => m.role === "user")!;
    assert.deepEqual(asked.links.map((l) => [l.path, l.line]), [["src/greet.ts", 3]], "the chip cites the selected lines");
    assert.deepEqual((await readComposer()).chips, [], "the chip went with the question");
  });
}
