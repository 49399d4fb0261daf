/**
 * The in-memory and on-disk form of a HashStore: fixed-size records sorted by key, searched and merged as 32-bit
 * words (a word comparison is ~8x cheaper than Buffer.compare per record), and a values section.
 *
 * File: "LRQH" 2 | u32 meta length | meta JSON | u32 records | u32 values length | records | values. A record is eight
 * little-endian u32 words: the 20-byte key as five words | last used, hours since 1970 | value offset | value length.
 * Keys sort by their five words (an order of our own, used consistently, not the bytes' order).
 */
export const KEY_BYTES = 20;
const KEY_WORDS = 5;
const WORDS = 8;
const USED = 5;
const OFFSET = 6;
const LENGTH = 7;
const MAGIC = Buffer.from("LRQH\u0002", "latin1");

export interface Table {
  readonly records: Uint32Array;
  readonly values: Buffer;
  readonly meta: Record<string, unknown>;
}

export const EMPTY_TABLE: Table = { records: new Uint32Array(0), values: Buffer.alloc(0), meta: {} };

export function recordCount(table: Table): number {
  return table.records.length / WORDS;
}

/** A key as the five words records hold. */
export function keyWords(key: Buffer): Uint32Array {
  const words = new Uint32Array(KEY_WORDS);
  for (let w = 0; w < KEY_WORDS; w++) words[w] = key.readUInt32LE(w * 4);
  return words;
}

function compareKey(a: Uint32Array, ai: number, b: Uint32Array, bi: number): number {
  for (let w = 0; w < KEY_WORDS; w++) {
    const d = a[ai + w]! - b[bi + w]!;
    if (d !== 0) return d;
  }
  return 0;
}

/** Record index of `key`, or -1 (binary search). */
export function findRecord(records: Uint32Array, key: Uint32Array): number {
  let low = 0;
  let high = records.length / WORDS - 1;
  while (low <= high) {
    const middle = (low + high) >>> 1;
    const order = compareKey(key, 0, records, middle * WORDS);
    if (order === 0) return middle;
    if (order > 0) low = middle + 1;
    else high = middle - 1;
  }
  return -1;
}

export function lastUsed(table: Table, record: number): number {
  return table.records[record * WORDS + USED]!;
}

export function valueOf(table: Table, record: number): Buffer {
  const offset = table.records[record * WORDS + OFFSET]!;
  return table.values.subarray(offset, offset + table.records[record * WORDS + LENGTH]!);
}

export function decodeTable(data: Buffer): Table | undefined {
  if (data.length < MAGIC.length + 12 || !data.subarray(0, MAGIC.length).equals(MAGIC)) return undefined;
  let at = MAGIC.length;
  const metaLength = data.readUInt32LE(at);
  at += 4;
  if (at + metaLength + 8 > data.length) return undefined;
  let meta: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(data.toString("utf8", at, at + metaLength));
    meta = parsed !== null && typeof parsed === "object" ? (parsed as Record<string, unknown>) : {};
  } catch {
    return undefined;
  }
  at += metaLength;
  const count = data.readUInt32LE(at);
  const valuesLength = data.readUInt32LE(at + 4);
  at += 8;
  if (at + count * WORDS * 4 + valuesLength !== data.length) return undefined;
  // Copied into an aligned array (the section starts at any byte offset in the file).
  const records = new Uint32Array(count * WORDS);
  Buffer.from(records.buffer).set(data.subarray(at, at + records.byteLength));
  const values = data.subarray(at + records.byteLength);
  for (let r = 0; r < count; r++) {
    if (records[r * WORDS + OFFSET]! + records[r * WORDS + LENGTH]! > values.length) return undefined;
    if (r > 0 && compareKey(records, (r - 1) * WORDS, records, r * WORDS) >= 0) return undefined;
  }
  return { records, values, meta };
}

export function encodeTable(table: Table): Buffer {
  const meta = Buffer.from(JSON.stringify(table.meta), "utf8");
  const head = Buffer.alloc(MAGIC.length + 4);
  MAGIC.copy(head);
  head.writeUInt32LE(meta.length, MAGIC.length);
  const sizes = Buffer.alloc(8);
  sizes.writeUInt32LE(recordCount(table), 0);
  sizes.writeUInt32LE(table.values.length, 4);
  const records = Buffer.from(table.records.buffer, table.records.byteOffset, table.records.byteLength);
  return Buffer.concat([head, meta, sizes, records, table.values]);
}

export interface Pending {
  /** Entries added since the last save: key words and value. */
  readonly added: readonly { readonly key: Uint32Array; readonly value: Buffer }[];
  /** Keys read since the last save (their last use becomes `hour`). */
  readonly read: readonly Uint32Array[];
  readonly hour: number;
}

/**
 * `disk`'s entries plus the pending ones (a pending entry wins a tie: same key, same content, so the same value), the
 * `maxEntries` most recently used kept — those newer than the cut-off hour, then that hour's in key order.
 */
export function mergeTable(disk: Table, pending: Pending, maxEntries: number): Omit<Table, "meta"> {
  const byKey = (a: { key: Uint32Array }, b: { key: Uint32Array }) => compareKey(a.key, 0, b.key, 0);
  const ours = [...pending.added].sort(byKey);
  const read = [...pending.read].sort((a, b) => compareKey(a, 0, b, 0));
  const diskCount = recordCount(disk);
  // Merged order: source[m] >= 0 is a disk record, -1 - i is ours[i].
  const source = new Int32Array(diskCount + ours.length);
  const used = new Uint32Array(diskCount + ours.length);
  let n = 0;
  for (let d = 0, o = 0, t = 0; d < diskCount || o < ours.length; ) {
    const order = d === diskCount ? 1 : o === ours.length ? -1 : compareKey(disk.records, d * WORDS, ours[o]!.key, 0);
    if (order >= 0) {
      if (order === 0) d++;
      source[n] = -1 - o++;
      used[n++] = pending.hour;
      continue;
    }
    while (t < read.length && compareKey(disk.records, d * WORDS, read[t]!, 0) > 0) t++;
    const wasRead = t < read.length && compareKey(disk.records, d * WORDS, read[t]!, 0) === 0;
    source[n] = d;
    used[n++] = wasRead ? pending.hour : disk.records[d * WORDS + USED]!;
    d++;
  }
  const cutoff = n > maxEntries ? used.slice(0, n).sort()[n - maxEntries]! : 0;
  let cutoffRoom = maxEntries;
  for (let m = 0; m < n; m++) if (used[m]! > cutoff) cutoffRoom--;
  const records = new Uint32Array(Math.min(n, maxEntries) * WORDS);
  // Values are copied in runs: disk values that stay adjacent go as one slice.
  const parts: Buffer[] = [];
  let runStart = 0;
  let runEnd = 0;
  const flushRun = () => {
    if (runEnd > runStart) parts.push(disk.values.subarray(runStart, runEnd));
    runStart = runEnd = 0;
  };
  let r = 0;
  let offset = 0;
  for (let m = 0; m < n; m++) {
    if (used[m]! < cutoff || (used[m] === cutoff && cutoffRoom-- <= 0)) continue;
    const s = source[m]!;
    const at = r++ * WORDS;
    let length: number;
    if (s >= 0) {
      for (let w = 0; w < KEY_WORDS; w++) records[at + w] = disk.records[s * WORDS + w]!;
      const start = disk.records[s * WORDS + OFFSET]!;
      length = disk.records[s * WORDS + LENGTH]!;
      if (start !== runEnd || runEnd === runStart) {
        flushRun();
        runStart = start;
      }
      runEnd = start + length;
    } else {
      const entry = ours[-1 - s]!;
      for (let w = 0; w < KEY_WORDS; w++) records[at + w] = entry.key[w]!;
      length = entry.value.length;
      flushRun();
      if (length > 0) parts.push(entry.value);
    }
    records[at + USED] = used[m]!;
    records[at + OFFSET] = offset;
    records[at + LENGTH] = length;
    offset += length;
  }
  flushRun();
  return { records: records.subarray(0, r * WORDS), values: Buffer.concat(parts, offset) };
}
