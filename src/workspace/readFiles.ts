/**
 * Stage 2: read each candidate, leaving out files over the size limit (decided from the size on disk, before
 * reading; a file that grew past it meanwhile is left out too), binary files, and files that vanished or cannot be
 * read. Text is decoded as UTF-8; invalid sequences become U+FFFD and the file is flagged, never a crash. Line
 * endings are normalised to "\n".
 *
 * Reads are synchronous in time slices of a few milliseconds, yielding to the event loop between slices: for source
 * files (mostly a few KB) the thread-pool round trips of async fs cost ~3x the syscalls themselves, and the slices
 * keep the extension host responsive.
 */
import { isUtf8 } from "node:buffer";
import { closeSync, constants, fstatSync, openSync, readSync } from "node:fs";
import { isBinaryFileSync } from "isbinaryfile";
import { errorDetail, type Candidate } from "./collect";
import type { ExcludedFile } from "./types";

export interface TextFile extends Candidate {
  readonly bytes: number;
  readonly mtimeMs: number;
  readonly text: string;
  readonly invalidUtf8: boolean;
}

const SLICE_MS = 8;
// O_NONBLOCK: opening a FIFO that slipped through must not block the walk.
const OPEN_FLAGS = constants.O_RDONLY | (constants.O_NONBLOCK ?? 0);

export async function readCandidates(
  candidates: readonly Candidate[],
  maxFileBytes: number,
  excluded: ExcludedFile[],
  signal?: AbortSignal,
  onFile?: (asText: boolean) => void,
): Promise<TextFile[]> {
  const files: TextFile[] = [];
  let sliceStart = Date.now();
  for (const candidate of candidates) {
    if (Date.now() - sliceStart >= SLICE_MS) {
      await new Promise((resolve) => setImmediate(resolve));
      if (signal?.aborted) break;
      sliceStart = Date.now();
    }
    const result = readCandidate(candidate, maxFileBytes);
    if ("reason" in result) excluded.push(result);
    else files.push(result);
    onFile?.(!("reason" in result));
  }
  return files;
}

function readCandidate(candidate: Candidate, maxFileBytes: number): TextFile | ExcludedFile {
  const { path } = candidate;
  let buffer: Buffer;
  let mtimeMs: number;
  try {
    const fd = openSync(candidate.absolutePath, OPEN_FLAGS);
    try {
      // One open for size, mtime and content: a file over the limit is never read.
      const stats = fstatSync(fd);
      mtimeMs = stats.mtimeMs;
      if (!stats.isFile()) return { path, reason: "unreadable", detail: "not a regular file" };
      if (stats.size > maxFileBytes) return { path, reason: "too-large", detail: `${stats.size} bytes, limit ${maxFileBytes}` };
      buffer = readUpTo(fd, stats.size, maxFileBytes);
    } finally {
      closeSync(fd);
    }
  } catch (error) {
    return { path, reason: "unreadable", detail: errorDetail(error) };
  }
  if (buffer.length > maxFileBytes) return { path, reason: "too-large", detail: `more than ${maxFileBytes} bytes` };
  if (isBinary(buffer)) return { path, reason: "binary" };
  const utf16 = buffer[0] === 0xff && buffer[1] === 0xfe;
  const invalidUtf8 = !utf16 && !isUtf8(buffer);
  let text = buffer.toString(utf16 ? "utf16le" : "utf8");
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  if (text.includes("\r")) text = text.replace(/\r\n?/g, "\n");
  return { ...candidate, bytes: buffer.length, mtimeMs, text, invalidUtf8 };
}

/** Reads to the end (the file may have grown since fstat), stopping one byte past the limit. */
function readUpTo(fd: number, expected: number, maxFileBytes: number): Buffer {
  let buffer = Buffer.allocUnsafe(Math.min(expected, maxFileBytes) + 1);
  let length = 0;
  for (;;) {
    if (length === buffer.length) {
      if (length > maxFileBytes) break;
      const bigger = Buffer.allocUnsafe(Math.min(buffer.length * 2, maxFileBytes + 1));
      buffer.copy(bigger, 0, 0, length);
      buffer = bigger;
    }
    const n = readSync(fd, buffer, length, buffer.length - length, null);
    if (n === 0) break;
    length += n;
  }
  return buffer.subarray(0, length);
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
