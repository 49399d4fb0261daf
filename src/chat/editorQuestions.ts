/** "Ask about selection" / "Ask about this file" from an editor: an attachment chip for the question box. */
import * as path from "node:path";
import * as vscode from "vscode";
import { promptPathOf } from "../config";
import type { Attachment } from "./protocol";
import { selectionAttachment } from "./quote";

function displayPath(uri: vscode.Uri): string {
  return promptPathOf(uri) ?? path.basename(uri.fsPath);
}

export function selectionOf(editor: vscode.TextEditor): Attachment | undefined {
  const { selection, document } = editor;
  if (selection.isEmpty) return undefined;
  // A selection ending at column 0 of a line does not include that line.
  const endsAtLineStart = selection.end.character === 0 && selection.end.line > selection.start.line;
  return selectionAttachment({
    path: displayPath(document.uri),
    firstLine: selection.start.line + 1,
    lastLine: endsAtLineStart ? selection.end.line : selection.end.line + 1,
    languageId: document.languageId,
    text: document.getText(selection),
  });
}

export function fileOf(uri: vscode.Uri): Attachment {
  return { path: displayPath(uri) };
}
