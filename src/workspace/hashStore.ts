/**
 * A map from 20-byte content hashes to small values, kept in one file that several processes (CLI runs, VS Code
 * windows) share: bounded, least recently used entries dropped first, written by atomic replace so that a reader
 * never sees half a file. The file is read once and searched in place (records sorted by key, binary search), so a
 * 250,000-entry store opens in one read and no per-entry objects.
 *
 * File: "LRQH" 1 | u32 meta length | meta JSON | u32 records | u32 values length | records | values, where a record
 * is key (20) | last used, hours since 1970 (u32) | value offset (u32) | value length (u32).
 *
 * Saving re-reads the file under a lock file and merges: another process's entries are kept, ours added; if the lock
 * is held, the save is skipped and our entries wait in memory for the next one. A corrupt or foreign file reads as
 * empty and is replaced at the next save.
 */
import { randomBytes } from "node:crypto";
import { mkdir, open, readFile, rename, rm, stat } from "node:fs/promises";
import * as path from "node:path";

export const KEY_BYTES = 20;
const RECORD_BYTES = KEY_BYTES + 12;
const MAGIC = Buffer.from("LRQH\u0001", "latin1");
const LOCK_STALE_MS = 30_000;
const LOCK_TRIES = 5;

interface Table {
  readonly records: Buffer;
  readonly values: Buffer;
  readonly meta: Record<string, unknown>;
}

const EMPTY: Table = { records: Buffer.alloc(0), values: Buffer.alloc(0), meta: {} };

export interface HashStoreOptions {
  readonly maxEntries: number;
  /** Hours since 1970 now (tests move the clock). */
  readonly now?: () => number;
}

export class HashStore {
  private table: Table = EMPTY;
  private version = "";
  /** Entries added since the last save, by key (latin1 string of the 20 bytes). */
  private readonly added = new Map<string, Buffer>();
  /** Keys read since the last save whose recorded last use is older than this hour. */
  private readonly touched = new Set<string>();
  private metaChanged = false;

  private constructor(
    readonly file: string,
    private readonly options: HashStoreOptions,
  ) {}

  static async open(file: string, options: HashStoreOptions): Promise<HashStore> {
    const store = new HashStore(file, options);
    await store.refresh();
    return store;
  }

  get size(): number {
    return this.table.records.length / RECORD_BYTES + this.added.size;
  }

  get meta(): Readonly<Record<string, unknown>> {
    return this.table.meta;
  }

  setMeta(meta: Record<string, unknown>): void {
    this.table = { ...this.table, meta };
    this.metaChanged = true;
  }

  /** Re-reads the file if another process replaced it since (entries added here stay pending). */
  async refresh(): Promise<void> {
    const version = await fileVersion(this.file);
    if (version === this.version) return;
    const meta = this.table.meta;
    this.table = await readTable(this.file);
    if (this.metaChanged) this.table = { ...this.table, meta };
    this.version = version;
  }

  get(key: Buffer): Buffer | undefined {
    const id = key.toString("latin1");
    const fresh = this.added.get(id);
    if (fresh) return fresh;
    const at = findRecord(this.table.records, key);
    if (at < 0) return undefined;
    const { records, values } = this.table;
    if (records.readUInt32LE(at + KEY_BYTES) < this.hour()) this.touched.add(id);
    const offset = records.readUInt32LE(at + KEY_BYTES + 4);
    return values.subarray(offset, offset + records.readUInt32LE(at + KEY_BYTES + 8));
  }

  set(key: Buffer, value: Buffer): void {
    this.added.set(key.toString("latin1"), value);
  }

  /** Writes pending entries and last-use times. Never throws: a cache that cannot be written is only a slower pack. */
  async save(): Promise<boolean> {
    if (this.added.size === 0 && this.touched.size === 0 && !this.metaChanged) return true;
    try {
      await mkdir(path.dirname(this.file), { recursive: true });
      const release = await acquireLock(`${this.file}.lock`);
      if (!release) return false;
      try {
        const onDisk = await readTable(this.file);
        const merged = mergeTables(onDisk, this.added, this.touched, this.hour(), this.options.maxEntries);
        const meta = this.metaChanged ? this.table.meta : { ...onDisk.meta, ...this.table.meta };
        await writeAtomically(this.file, encodeTable({ ...merged, meta }));
        this.table = { ...merged, meta };
        this.version = await fileVersion(this.file);
      } finally {
        await release();
      }
      this.added.clear();
      this.touched.clear();
      this.metaChanged = false;
      return true;
    } catch {
      return false;
    }
  }

  private hour(): number {
    return this.options.now?.() ?? Math.floor(Date.now() / 3_600_000);
  }
}

async function fileVersion(file: string): Promise<string> {
  const s = await stat(file).catch(() => undefined);
  return s ? `${s.size}:${s.mtimeMs}:${s.ino}` : "";
}

async function readTable(file: string): Promise<Table> {
  const data = await readFile(file).catch(() => undefined);
  return data ? decodeTable(data) ?? EMPTY : EMPTY;
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
  if (at + count * RECORD_BYTES + valuesLength !== data.length) return undefined;
  const records = data.subarray(at, at + count * RECORD_BYTES);
  const values = data.subarray(at + count * RECORD_BYTES);
  for (let r = 0; r < records.length; r += RECORD_BYTES) {
    if (records.readUInt32LE(r + KEY_BYTES + 4) + records.readUInt32LE(r + KEY_BYTES + 8) > values.length) return undefined;
  }
  return { records, values, meta };
}

function encodeTable(table: Table): Buffer {
  const meta = Buffer.from(JSON.stringify(table.meta), "utf8");
  const head = Buffer.alloc(MAGIC.length + 4);
  MAGIC.copy(head);
  head.writeUInt32LE(meta.length, MAGIC.length);
  const sizes = Buffer.alloc(8);
  sizes.writeUInt32LE(table.records.length / RECORD_BYTES, 0);
  sizes.writeUInt32LE(table.values.length, 4);
  return Buffer.concat([head, meta, sizes, table.records, table.values]);
}

/** Byte offset of the record with this key, or -1. */
function findRecord(records: Buffer, key: Buffer): number {
  let low = 0;
  let high = records.length / RECORD_BYTES - 1;
  while (low <= high) {
    const middle = (low + high) >>> 1;
    const at = middle * RECORD_BYTES;
    const order = records.compare(key, 0, KEY_BYTES, at, at + KEY_BYTES);
    if (order === 0) return at;
    if (order < 0) low = middle + 1;
    else high = middle - 1;
  }
  return -1;
}

interface Entry {
  readonly key: Buffer;
  readonly used: number;
  readonly value: Buffer;
}

/** The file's entries plus ours (ours win a tie: same key, same content hash, so the same value), newest kept. */
function mergeTables(onDisk: Table, added: ReadonlyMap<string, Buffer>, touched: ReadonlySet<string>, hour: number, maxEntries: number): Omit<Table, "meta"> {
  const entries = new Map<string, Entry>();
  const { records, values } = onDisk;
  for (let at = 0; at < records.length; at += RECORD_BYTES) {
    const key = records.subarray(at, at + KEY_BYTES);
    const id = key.toString("latin1");
    const offset = records.readUInt32LE(at + KEY_BYTES + 4);
    const value = values.subarray(offset, offset + records.readUInt32LE(at + KEY_BYTES + 8));
    entries.set(id, { key, used: touched.has(id) ? hour : records.readUInt32LE(at + KEY_BYTES), value });
  }
  for (const [id, value] of added) entries.set(id, { key: Buffer.from(id, "latin1"), used: hour, value });
  let kept = [...entries.values()];
  if (kept.length > maxEntries) kept = kept.sort((a, b) => b.used - a.used).slice(0, maxEntries);
  kept.sort((a, b) => Buffer.compare(a.key, b.key));
  const out = Buffer.alloc(kept.length * RECORD_BYTES);
  const valueParts: Buffer[] = [];
  let offset = 0;
  kept.forEach((entry, i) => {
    const at = i * RECORD_BYTES;
    entry.key.copy(out, at);
    out.writeUInt32LE(entry.used, at + KEY_BYTES);
    out.writeUInt32LE(offset, at + KEY_BYTES + 4);
    out.writeUInt32LE(entry.value.length, at + KEY_BYTES + 8);
    valueParts.push(entry.value);
    offset += entry.value.length;
  });
  return { records: out, values: Buffer.concat(valueParts) };
}

/** A lock file created exclusively; one older than LOCK_STALE_MS was left by a crashed process and is taken over. */
async function acquireLock(lockPath: string): Promise<(() => Promise<void>) | undefined> {
  for (let attempt = 0; attempt < LOCK_TRIES; attempt++) {
    try {
      const handle = await open(lockPath, "wx");
      await handle.close();
      return () => rm(lockPath, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      const age = await stat(lockPath).then((s) => Date.now() - s.mtimeMs, () => 0);
      if (age > LOCK_STALE_MS) await rm(lockPath, { force: true });
      else await new Promise((resolve) => setTimeout(resolve, 20 * (attempt + 1)));
    }
  }
  return undefined;
}

/** Into a file of our own beside the target, then renamed over it: readers see the old file or the new one. */
async function writeAtomically(file: string, data: Buffer): Promise<void> {
  const partial = `${file}.${process.pid}-${randomBytes(4).toString("hex")}.partial`;
  try {
    const handle = await open(partial, "w");
    try {
      await handle.writeFile(data);
    } finally {
      await handle.close();
    }
    await rename(partial, file);
  } catch (error) {
    await rm(partial, { force: true });
    throw error;
  }
}
