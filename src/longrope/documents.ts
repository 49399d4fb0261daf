/**
 * Long real documents for perplexity: contiguous token windows cut from single large source files (e.g. TypeScript's
 * own `lib/typescript.js`, 9 MB of JavaScript), each starting at a given character offset. A document is one file's
 * text, never a join of files, so every position has a real prefix; the search and the evaluation use different files.
 */
import { readFile, stat } from "node:fs/promises";
import * as path from "node:path";
import { RepoQaError } from "../util/errors";
import type { PplWorker } from "./pplWorker";

export interface DocumentSpec {
  readonly file: string;
  /** Character offset of the window's start (moved to the next line start). */
  readonly offset: number;
}

export interface LongDocument {
  /** E.g. "typescript/lib/typescript.js @ 3,000,000". */
  readonly label: string;
  /** Exactly `tokens` tokens: BOS if the model's tokenizer adds one, then the file from the offset on. */
  readonly tokens: number[];
}

/** Characters read per token needed; JavaScript runs ~3 characters per token in SmolLM2's tokenizer, 5 is ample. */
const charsPerToken = 5;

export async function loadDocuments(
  worker: PplWorker, modelPath: string, specs: readonly DocumentSpec[], tokens: number, signal?: AbortSignal,
): Promise<LongDocument[]> {
  const out: LongDocument[] = [];
  for (const spec of specs) {
    const size = await stat(spec.file).then((s) => s.size, () => -1);
    if (size < 0) throw new RepoQaError(`The document ${spec.file} does not exist; run "npm ci" or choose other --documents.`, "bad-input");
    const text = (await readFile(spec.file, "utf8")).slice(spec.offset, spec.offset + tokens * charsPerToken);
    const start = text.indexOf("\n") + 1;
    const { tokens: ids, bos, addBos } = await worker.request("tokenize", { modelPath, text: text.slice(start) }, { signal });
    const head = addBos === false ? [] : [bos];
    if (ids.length < tokens - head.length) {
      throw new RepoQaError(`${spec.file} has fewer than ${tokens} tokens after character ${spec.offset}; choose an earlier offset or a larger file.`, "bad-input");
    }
    out.push({ label: `${shortName(spec.file)} @ ${spec.offset.toLocaleString("en-US")}`, tokens: [...head, ...ids.slice(0, tokens - head.length)] });
  }
  return out;
}

/** `…/node_modules/typescript/lib/typescript.js` → `typescript/lib/typescript.js`. */
function shortName(file: string): string {
  const parts = path.resolve(file).split(path.sep);
  const at = parts.lastIndexOf("node_modules");
  return at >= 0 ? parts.slice(at + 1).join("/") : path.basename(file);
}
