/** "Ask about selection" / "Ask about this file": the question box is pre-filled, the user finishes the question. */
import * as path from "node:path";
import * as vscode from "vscode";
import { promptPathOf } from "../config";

/** The selection is quoted only up to this many characters: the whole file is in the prompt anyway. */
const MAX_QUOTE = 4000;

function fence(text: string): string {
  let ticks = "```";
  while (text.includes(ticks)) ticks += "`";
  return ticks;
}

function displayPath(uri: vscode.Uri): string {
  return promptPathOf(uri) ?? path.basename(uri.fsPath);
}

export function selectionQuestion(editor: vscode.TextEditor): string | undefined {
  const selection = editor.selection;
  if (selection.isEmpty) return undefined;
  const text = editor.document.getText(selection);
  const quoted = text.length > MAX_QUOTE ? `${text.slice(0, MAX_QUOTE)}\n…` : text;
  const first = selection.start.line + 1;
  const last = selection.end.character === 0 && selection.end.line > selection.start.line ? selection.end.line : selection.end.line + 1;
  const where = first === last ? `${displayPath(editor.document.uri)}:${first}` : `${displayPath(editor.document.uri)}:${first}-${last}`;
  const f = fence(quoted);
  return `About ${where}:\n${f}${editor.document.languageId}\n${quoted}\n${f}\n`;
}

export function fileQuestion(uri: vscode.Uri): string {
  return `About ${displayPath(uri)}: `;
}
