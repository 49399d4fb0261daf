/**
 * A map from 20-byte content hashes to small values, kept in one file that several processes (CLI runs, VS Code
 * windows) share: bounded, least recently used entries dropped first, written by atomic replace so that a reader never
 * sees half a file. The file is read once and searched in place (./hashTable: sorted records, binary search), so a
 * 250,000-entry store opens in one read and no object per entry.
 *
 * Saving re-reads the file under a lock file and merges: another process's entries are kept, ours added; if the lock
 * is held, the save is skipped and our entries wait in memory for the next one. A corrupt or foreign file reads as
 * empty and is replaced at the next save.
 */
import { randomBytes } from "node:crypto";
import { mkdir, open, readFile, rename, rm, stat } from "node:fs/promises";
import * as path from "node:path";
import { EMPTY_TABLE, decodeTable, encodeTable, findRecord, keyWords, lastUsed, mergeTable, recordCount, valueOf, type Table } from "./hashTable";

const LOCK_STALE_MS = 30_000;
const LOCK_TRIES = 5;

export interface HashStoreOptions {
  readonly maxEntries: number;
  /** Hours since 1970 now (tests move the clock). */
  readonly now?: () => number;
}

export class HashStore {
  private table: Table = EMPTY_TABLE;
  private version = "";
  /** Entries added since the last save, by key (latin1 string of the 20 bytes). */
  private readonly added = new Map<string, { readonly key: Uint32Array; readonly value: Buffer }>();
  /** Keys read since the last save whose recorded last use is older than this hour. */
  private readonly read = new Map<string, Uint32Array>();
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
    return recordCount(this.table) + this.added.size;
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
    if (fresh) return fresh.value;
    const words = keyWords(key);
    const record = findRecord(this.table.records, words);
    if (record < 0) return undefined;
    if (lastUsed(this.table, record) < this.hour()) this.read.set(id, words);
    return valueOf(this.table, record);
  }

  set(key: Buffer, value: Buffer): void {
    this.added.set(key.toString("latin1"), { key: keyWords(key), value });
  }

  /** Writes pending entries and last-use times. Never throws: a cache that cannot be written is only a slower pack. */
  async save(): Promise<boolean> {
    if (this.added.size === 0 && this.read.size === 0 && !this.metaChanged) return true;
    try {
      await mkdir(path.dirname(this.file), { recursive: true });
      const release = await acquireLock(`${this.file}.lock`);
      if (!release) return false;
      try {
        const onDisk = await readTable(this.file);
        const pending = { added: [...this.added.values()], read: [...this.read.values()], hour: this.hour() };
        const merged = mergeTable(onDisk, pending, this.options.maxEntries);
        const meta = this.metaChanged ? this.table.meta : { ...onDisk.meta, ...this.table.meta };
        await writeAtomically(this.file, encodeTable({ ...merged, meta }));
        this.table = { ...merged, meta };
        this.version = await fileVersion(this.file);
      } finally {
        await release();
      }
      this.added.clear();
      this.read.clear();
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
  return data ? (decodeTable(data) ?? EMPTY_TABLE) : EMPTY_TABLE;
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
