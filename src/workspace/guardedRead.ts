/**
 * The one way the packer reads a file's bytes. A repository controls every name in it, so a name may be a FIFO, a
 * device or a link to one (`.longropeignore -> /dev/stdin`, `/dev/zero`, `/dev/urandom`): reading those by name
 * blocked the pack forever or read until memory ran out. Here the file is opened with O_NONBLOCK (opening a FIFO
 * returns at once), checked with fstat on the open descriptor (no race between the check and the read), and read only
 * when it is a regular file, never past `maxBytes`.
 */
import { closeSync, constants, fstatSync, openSync, readSync, type Stats } from "node:fs";

export interface GuardedBytes {
  readonly buffer: Buffer;
  readonly mtimeMs: number;
}

/** Why a file was not read: a FIFO/device/socket/folder, over the cap, or an error (missing, permission…). */
export interface GuardedSkip {
  readonly skip: "not-regular" | "too-large" | "unreadable";
  readonly detail: string;
  /** The size fstat reported (too-large only). */
  readonly size?: number;
}

export interface GuardedReadOptions {
  readonly maxBytes: number;
  /** Refuse a symbolic link instead of following it (git reads in-tree ignore files this way). */
  readonly noFollow?: boolean;
}

const OPEN_FLAGS = constants.O_RDONLY | (constants.O_NONBLOCK ?? 0);

export function readGuarded(absolutePath: string, options: GuardedReadOptions): GuardedBytes | GuardedSkip {
  const flags = OPEN_FLAGS | (options.noFollow ? (constants.O_NOFOLLOW ?? 0) : 0);
  let fd: number;
  try {
    fd = openSync(absolutePath, flags);
  } catch (error) {
    return { skip: "unreadable", detail: readErrorDetail(error, options.noFollow) };
  }
  try {
    const stats = fstatSync(fd);
    if (!stats.isFile()) return { skip: "not-regular", detail: `${kindOf(stats)}, not a regular file` };
    if (stats.size > options.maxBytes) {
      return { skip: "too-large", detail: `${stats.size} bytes, limit ${options.maxBytes}`, size: stats.size };
    }
    const buffer = readUpTo(fd, stats.size, options.maxBytes);
    if (buffer.length > options.maxBytes) return { skip: "too-large", detail: `more than ${options.maxBytes} bytes` };
    return { buffer, mtimeMs: stats.mtimeMs };
  } catch (error) {
    return { skip: "unreadable", detail: readErrorDetail(error) };
  } finally {
    closeSync(fd);
  }
}

export function isGuardedSkip(result: GuardedBytes | GuardedSkip): result is GuardedSkip {
  return "skip" in result;
}

/** Reads to the end (the file may have grown since fstat), stopping one byte past the limit. */
function readUpTo(fd: number, expected: number, maxBytes: number): Buffer {
  let buffer = Buffer.allocUnsafe(Math.min(expected, maxBytes) + 1);
  let length = 0;
  for (;;) {
    if (length === buffer.length) {
      if (length > maxBytes) break;
      const bigger = Buffer.allocUnsafe(Math.min(buffer.length * 2, maxBytes + 1));
      buffer.copy(bigger, 0, 0, length);
      buffer = bigger;
    }
    const n = readSync(fd, buffer, length, buffer.length - length, null);
    if (n === 0) break;
    length += n;
  }
  return buffer.subarray(0, length);
}

function kindOf(stats: Stats): string {
  if (stats.isFIFO()) return "a FIFO (named pipe)";
  if (stats.isCharacterDevice()) return "a character device";
  if (stats.isBlockDevice()) return "a block device";
  if (stats.isSocket()) return "a socket";
  if (stats.isDirectory()) return "a folder";
  return "not a file";
}

export function readErrorDetail(error: unknown, noFollow = false): string {
  const e = error as NodeJS.ErrnoException;
  if (e?.code === "ENOENT") return "deleted during the scan";
  if (e?.code === "EACCES" || e?.code === "EPERM") return "permission denied";
  if (noFollow && e?.code === "ELOOP") return "a symbolic link (not followed, as git does not follow them here)";
  if (e?.code === "EAGAIN" || e?.code === "EWOULDBLOCK") return "would block (not a regular file)";
  return e?.message ?? String(error);
}
