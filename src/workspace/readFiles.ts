/**
 * Stage 2: read each candidate, leaving out files over the size limit (decided from the size on disk, before
 * reading; a file that grew past it meanwhile is left out too), binary files, and files that vanished or cannot be
 * read. Text is decoded as UTF-8; invalid sequences become U+FFFD and the file is flagged, never a crash. Line
 * endings are normalised to "\n".
 *
 * Reads are synchronous in time slices of a few milliseconds, yielding to the event loop between slices: for source
 * files (mostly a few KB) the thread-pool round trips of async fs cost ~3x the syscalls themselves, and the slices
 * keep the extension host responsive. Every read goes through ./guardedRead (regular files only, never past the limit).
 */
import { isUtf8 } from "node:buffer";
import { isBinaryFileSync } from "isbinaryfile";
import type { Candidate } from "./collect";
import { unsafeNameDetail } from "./framing";
import { isGuardedSkip, readGuarded } from "./guardedRead";
import type { ExcludedFile } from "./types";

export interface TextFile extends Candidate {
  readonly bytes: number;
  readonly mtimeMs: number;
  readonly text: string;
  readonly invalidUtf8: boolean;
}

const SLICE_MS = 8;

/**
 * The most `maxFileBytes` may be, whatever the setting says: 64 MiB of text is ~16M tokens, past any context, while a
 * workspace's `maxFileBytes: 1e12` read a 1.5 GB sparse file whole and a 600 MB file broke the whole pack ("Cannot
 * create a string longer than…").
 */
export const MAX_FILE_BYTES_LIMIT = 64 * 1024 * 1024;

const DEFAULT_MAX_FILE_BYTES = 1024 * 1024;

/** The limit actually applied: at most MAX_FILE_BYTES_LIMIT; a value that is not a positive number means the default. */
export function boundedMaxFileBytes(maxFileBytes: number): number {
  if (Number.isNaN(maxFileBytes) || maxFileBytes < 1) return DEFAULT_MAX_FILE_BYTES;
  return Math.min(Math.floor(maxFileBytes), MAX_FILE_BYTES_LIMIT);
}

export async function readCandidates(
  candidates: readonly Candidate[],
  maxFileBytes: number,
  excluded: ExcludedFile[],
  signal?: AbortSignal,
  onFile?: (asText: boolean) => void,
): Promise<TextFile[]> {
  const files: TextFile[] = [];
  const limit = boundedMaxFileBytes(maxFileBytes);
  let sliceStart = Date.now();
  for (const candidate of candidates) {
    if (Date.now() - sliceStart >= SLICE_MS) {
      await new Promise((resolve) => setImmediate(resolve));
      if (signal?.aborted) break;
      sliceStart = Date.now();
    }
    const result = readCandidate(candidate, limit);
    if ("reason" in result) excluded.push(result);
    else files.push(result);
    onFile?.(!("reason" in result));
  }
  return files;
}

function readCandidate(candidate: Candidate, maxFileBytes: number): TextFile | ExcludedFile {
  const { path } = candidate;
  const unsafe = unsafeNameDetail(path);
  if (unsafe) return { path, reason: "unsafe-name", detail: unsafe };
  // One open for size, mtime and content: a file over the limit is never read.
  const read = readGuarded(candidate.absolutePath, { maxBytes: maxFileBytes });
  if (isGuardedSkip(read)) return { path, reason: read.skip === "too-large" ? "too-large" : "unreadable", detail: read.detail };
  const { buffer, mtimeMs } = read;
  if (isBinary(buffer)) return { path, reason: "binary" };
  const utf16 = buffer[0] === 0xff && buffer[1] === 0xfe;
  const invalidUtf8 = !utf16 && !isUtf8(buffer);
  let text: string;
  try {
    text = buffer.toString(utf16 ? "utf16le" : "utf8");
  } catch (error) {
    return { path, reason: "too-large", detail: `cannot be held as text (${(error as Error).message})` };
  }
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
function isBinary(buffer: Buffer): boolean {
  if (buffer.length === 0 || !isBinaryFileSync(buffer, buffer.length)) return false;
  const n = Math.min(buffer.length, SNIFF_BYTES);
  let control = 0;
  for (let i = 0; i < n; i++) {
    const b = buffer[i]!;
    if (b === 0) return true;
    if (b < 8 || (b > 13 && b < 32 && b !== 27)) control++;
  }
  return control * 100 > n;
}
