/**
 * The prompt format (documented in docs/prompt-format.md): an instruction, a directory tree, then each file in a
 * `<file path="…">` block whose every LINE_NUMBER_EVERY-th line starts with its number and "|". Numbering every line
 * costs ~21% of the tokens with Llama's tokenizer (digits are one token each); every 5th keeps the whole framing
 * under 8% while leaving the model at most four lines to count from a marker.
 */
import { assertSafePath, neutraliseMarkers } from "./framing";

export const LINE_NUMBER_EVERY = 5;

/** How the packed text is laid out; the defaults are what docs/answer-quality.md measured best. */
export interface PromptFormat {
  /** Every how many lines a line starts with its number and "|" (1: every line; 0: none). */
  readonly lineNumberEvery: number;
  /** The instruction before the tree (default) or after the last file. */
  readonly instruction: "before" | "after";
}

export const DEFAULT_FORMAT: PromptFormat = { lineNumberEvery: LINE_NUMBER_EVERY, instruction: "before" };

export function instructionFor(lineNumberEvery: number): string {
  const numbering =
    lineNumberEvery === 0
      ? "."
      : lineNumberEvery === 1
        ? '; every line starts with its line number and "|".'
        : `; every ${ordinal(lineNumberEvery)} line starts with its line number and "|".`;
  return [
    "You are answering questions about a code repository. Its directory tree comes first, then the full text of",
    "every packed file inside <file path=\"...\"> blocks. Answer only from these files and say so when they do not",
    "contain the answer. Cite the lines you rely on as path:line (for example src/app.ts:42). Line 1 is the first",
    `line after the opening tag${numbering}`,
  ].join("\n");
}

export const INSTRUCTION = instructionFor(LINE_NUMBER_EVERY);

function ordinal(n: number): string {
  return n === 2 ? "2nd" : n === 3 ? "3rd" : `${n}th`;
}

export function renderHeader(treeText: string, format: PromptFormat = DEFAULT_FORMAT): string {
  const tree = `<tree>\n${treeText}</tree>\n\n`;
  return format.instruction === "before" ? `${instructionFor(format.lineNumberEvery)}\n\n${tree}` : tree;
}

/** What follows the last file: the instruction when it goes after the files, else nothing. */
export function renderFooter(format: PromptFormat = DEFAULT_FORMAT): string {
  return format.instruction === "after" ? `\n${instructionFor(format.lineNumberEvery)}\n` : "";
}

/** One file's block, ending with a newline. Text has "\n" line endings. */
export function frameFile(path: string, raw: string, every = LINE_NUMBER_EVERY): string {
  assertSafePath(path);
  const text = neutraliseMarkers(raw);
  const parts = [`<file path="${path}">\n`];
  if (every === 0) return `${parts[0]}${text}${text.length > 0 && !text.endsWith("\n") ? "\n" : ""}</file>\n`;
  if (every === 1 && text.length > 0) parts.push("1|");
  let lineStart = 0;
  let line = 1;
  // Slices between markers instead of splitting every line: a 17 MB tree frames in a third of the time.
  while (lineStart < text.length) {
    let next = lineStart;
    const nextMarked = (Math.floor(line / every) + 1) * every;
    for (let skip = nextMarked - line; skip > 0; skip--) {
      const newline = text.indexOf("\n", next);
      if (newline === -1) {
        next = text.length;
        break;
      }
      next = newline + 1;
      line++;
    }
    parts.push(text.slice(lineStart, next));
    if (next >= text.length) break;
    parts.push(`${line}|`);
    lineStart = next;
  }
  if (text.length > 0 && !text.endsWith("\n")) parts.push("\n");
  parts.push("</file>\n");
  return parts.join("");
}

export function countLines(text: string): number {
  if (text === "") return 0;
  const body = text.endsWith("\n") ? text.slice(0, -1) : text;
  let lines = 1;
  for (let i = body.indexOf("\n"); i !== -1; i = body.indexOf("\n", i + 1)) lines++;
  return lines;
}

/** The directory tree of the given paths: one entry per line, two spaces of indent per level, folders end in "/". */
export function renderTree(paths: readonly string[]): string {
  const sorted = [...paths].sort();
  const out: string[] = [];
  let previous: string[] = [];
  for (const p of sorted) {
    const parts = p.split("/");
    let common = 0;
    while (common < parts.length - 1 && common < previous.length - 1 && parts[common] === previous[common]) common++;
    for (let depth = common; depth < parts.length - 1; depth++) out.push(`${"  ".repeat(depth)}${parts[depth]}/`);
    out.push(`${"  ".repeat(parts.length - 1)}${parts[parts.length - 1]}`);
    previous = parts;
  }
  return out.length > 0 ? `${out.join("\n")}\n` : "";
}
