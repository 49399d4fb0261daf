/**
 * The prompt format (documented in docs/prompt-format.md): an instruction, a directory tree, then each file in a
 * `<file path="…">` block whose every LINE_NUMBER_EVERY-th line starts with its number and "|". Numbering every line
 * costs ~21% of the tokens with Llama's tokenizer (digits are one token each); every 5th keeps the whole framing
 * under 8% while leaving the model at most four lines to count from a marker.
 */
export const LINE_NUMBER_EVERY = 5;

export const INSTRUCTION = [
  "You are answering questions about a code repository. Its directory tree comes first, then the full text of",
  "every packed file inside <file path=\"...\"> blocks. Answer only from these files and say so when they do not",
  "contain the answer. Cite the lines you rely on as path:line (for example src/app.ts:42). Line 1 is the first",
  `line after the opening tag; every ${ordinal(LINE_NUMBER_EVERY)} line starts with its line number and "|".`,
].join("\n");

function ordinal(n: number): string {
  return n === 1 ? "" : n === 2 ? "2nd" : n === 3 ? "3rd" : `${n}th`;
}

export function renderHeader(treeText: string): string {
  return `${INSTRUCTION}\n\n<tree>\n${treeText}</tree>\n\n`;
}

/** One file's block, ending with a newline. Text has "\n" line endings. */
export function frameFile(path: string, text: string): string {
  const body = text.endsWith("\n") ? text.slice(0, -1) : text;
  const lines = body === "" ? [] : body.split("\n");
  for (let i = LINE_NUMBER_EVERY - 1; i < lines.length; i += LINE_NUMBER_EVERY) lines[i] = `${i + 1}|${lines[i]}`;
  const content = lines.length > 0 ? `${lines.join("\n")}\n` : "";
  return `<file path="${path}">\n${content}</file>\n`;
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
