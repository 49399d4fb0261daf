/** The pre-filled question for "Ask about selection" / "Ask about this file" (pure, so it is unit-tested). */

/** The selection is quoted only up to this many characters: the whole file is in the prompt anyway. */
export const MAX_QUOTE = 4000;

/** A fence longer than any backtick run in the text, so quoted code cannot close it early. */
function fenceFor(text: string): string {
  const longest = Math.max(2, ...Array.from(text.matchAll(/`+/g), (m) => m[0].length));
  return "`".repeat(longest + 1);
}

export interface QuotedSelection {
  /** Path as the model cites it (workspace-relative), or a file name for files outside the workspace. */
  readonly path: string;
  /** 1-based, inclusive. */
  readonly firstLine: number;
  readonly lastLine: number;
  readonly languageId: string;
  readonly text: string;
}

export function selectionQuestion(s: QuotedSelection): string {
  const quoted = s.text.length > MAX_QUOTE ? `${s.text.slice(0, MAX_QUOTE)}\n…` : s.text;
  const where = s.firstLine === s.lastLine ? `${s.path}:${s.firstLine}` : `${s.path}:${s.firstLine}-${s.lastLine}`;
  const fence = fenceFor(quoted);
  const lang = /^[\w+#.-]*$/.test(s.languageId) ? s.languageId : "";
  return `About ${where}:\n${fence}${lang}\n${quoted}\n${fence}\n`;
}

export function fileQuestion(path: string): string {
  return `About ${path}: `;
}
