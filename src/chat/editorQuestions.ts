/** "Ask about selection" / "Ask about this file" from an editor: the question box is pre-filled. */
import * as path from "node:path";
import * as vscode from "vscode";
import { promptPathOf } from "../config";
import { fileQuestion, selectionQuestion } from "./quote";

function displayPath(uri: vscode.Uri): string {
  return promptPathOf(uri) ?? path.basename(uri.fsPath);
}

export function questionAboutSelection(editor: vscode.TextEditor): string | undefined {
  const { selection, document } = editor;
  if (selection.isEmpty) return undefined;
  // A selection ending at column 0 of a line does not include that line.
  const endsAtLineStart = selection.end.character === 0 && selection.end.line > selection.start.line;
  return selectionQuestion({
    path: displayPath(document.uri),
    firstLine: selection.start.line + 1,
    lastLine: endsAtLineStart ? selection.end.line : selection.end.line + 1,
    languageId: document.languageId,
    text: document.getText(selection),
  });
}

export function questionAboutFile(uri: vscode.Uri): string {
  return fileQuestion(displayPath(uri));
}
