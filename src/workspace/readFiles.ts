/**
 * Stage 2: read each candidate, leaving out files over the size limit (decided from the size on disk, before
 * reading; a file that grew past it while being read is left out too), binary files, and files that vanished or cannot be read. Text is decoded as UTF-8; invalid sequences
 * become U+FFFD and the file is flagged, never a crash. Line endings are normalised to "\n".
 */
import { isUtf8 } from "node:buffer";
import { open } from "node:fs/promises";
import { isBinaryFile } from "isbinaryfile";
import { errorDetail, type Candidate } from "./collect";
import type { ExcludedFile } from "./types";

export interface TextFile extends Candidate {
  readonly bytes: number;
  readonly mtimeMs: number;
  readonly text: string;
  readonly invalidUtf8: boolean;
}

const READ_BATCH = 32;

export async function readCandidates(
  candidates: readonly Candidate[],
  maxFileBytes: number,
  excluded: ExcludedFile[],
  signal?: AbortSignal,
): Promise<TextFile[]> {
  const files: TextFile[] = [];
  for (let i = 0; i < candidates.length; i += READ_BATCH) {
    if (signal?.aborted) break;
    const batch = candidates.slice(i, i + READ_BATCH);
    const results = await Promise.all(batch.map((c) => readCandidate(c, maxFileBytes)));
    for (const result of results) {
      if ("reason" in result) excluded.push(result);
      else files.push(result);
    }
  }
  return files;
}

async function readCandidate(candidate: Candidate, maxFileBytes: number): Promise<TextFile | ExcludedFile> {
  let bytes: number;
  let mtimeMs: number;
  let buffer: Buffer | undefined;
  try {
    // One open for size, mtime and content: a file over the limit is never read.
    const handle = await open(candidate.absolutePath, "r");
    try {
      ({ size: bytes, mtimeMs } = await handle.stat());
      if (bytes <= maxFileBytes) buffer = await handle.readFile();
    } finally {
      await handle.close();
    }
  } catch (error) {
    return { path: candidate.path, reason: "unreadable", detail: errorDetail(error) };
  }
  if (!buffer || buffer.length > maxFileBytes) {
    return { path: candidate.path, reason: "too-large", detail: `${buffer?.length ?? bytes} bytes, limit ${maxFileBytes}` };
  }
  if (await isBinary(buffer)) return { path: candidate.path, reason: "binary" };
  const utf16 = buffer[0] === 0xff && buffer[1] === 0xfe;
  const invalidUtf8 = !utf16 && !isUtf8(buffer);
  let text = buffer.toString(utf16 ? "utf16le" : "utf8");
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  if (text.includes("\r")) text = text.replace(/\r\n?/g, "\n");
  return { ...candidate, bytes: buffer.length, mtimeMs, text, invalidUtf8 };
}

const SNIFF_BYTES = 8000;

/**
 * isbinaryfile decides first; it also flags short text in a legacy encoding (a Latin-1 file with a few accents), so
 * a file it calls binary stays text unless it has a NUL or more than 1% control bytes in its first 8,000 bytes (git's
 * own test is a NUL there).
 */
async function isBinary(buffer: Buffer): Promise<boolean> {
  if (buffer.length === 0 || !(await isBinaryFile(buffer, buffer.length))) return false;
  const n = Math.min(buffer.length, SNIFF_BYTES);
  let control = 0;
  for (let i = 0; i < n; i++) {
    const b = buffer[i]!;
    if (b === 0) return true;
    if (b < 8 || (b > 13 && b < 32 && b !== 27)) control++;
  }
  return control * 100 > n;
}
