/**
 * What the packer remembers across packs and processes, in `<project cache>/packer/`: token counts per tokenizer (keyed
 * by the counted text's hash; with the ratios the estimator learned) and secret findings per scanner-rules version
 * (keyed by the file text's hash). Opened once per process and re-read when another process replaced the file.
 */
import { createHash } from "node:crypto";
import { readdir, rm, stat } from "node:fs/promises";
import * as path from "node:path";
import { projectCacheDir } from "../util/cacheDir";
import { HashStore } from "./hashStore";

/** A count record is 36 bytes: 250,000 (more files than most repositories, with their recent edits) is ~9 MB. */
const MAX_COUNT_ENTRIES = 250_000;
const MAX_FINDING_ENTRIES = 250_000;
/** Tokenizers whose counts are kept (each model file is one); the least recently written go first. */
const MAX_TOKENIZERS = 6;

const open = new Map<string, Promise<HashStore>>();

/** Where the stores live; `XDG_CACHE_HOME` is read on every call, so tests and benches can point it elsewhere. */
export function packCacheDir(): string {
  return path.join(projectCacheDir(), "packer");
}

export function digest(text: string): Buffer {
  return createHash("sha1").update(text).digest();
}

export function countStore(tokenizerKey: string): Promise<HashStore> {
  return storeAt(path.join(packCacheDir(), `counts-${digest(tokenizerKey).toString("hex").slice(0, 16)}.bin`), MAX_COUNT_ENTRIES);
}

export function findingsStore(rulesVersion: string): Promise<HashStore> {
  return storeAt(path.join(packCacheDir(), `secrets-${digest(rulesVersion).toString("hex").slice(0, 16)}.bin`), MAX_FINDING_ENTRIES);
}

async function storeAt(file: string, maxEntries: number): Promise<HashStore> {
  let store = open.get(file);
  if (!store) {
    store = HashStore.open(file, { maxEntries });
    open.set(file, store);
    store.catch(() => open.delete(file));
  }
  const s = await store;
  await s.refresh();
  return s;
}

/** Forgets the stores this process opened (benchmarks measuring a first pack; the files stay). */
export function forgetOpenStores(): void {
  open.clear();
}

/** Removes the count files of all but the MAX_TOKENIZERS most recently written tokenizers. */
export async function pruneCountStores(): Promise<void> {
  const dir = packCacheDir();
  const names = (await readdir(dir).catch(() => [] as string[])).filter((n) => n.startsWith("counts-") && n.endsWith(".bin"));
  if (names.length <= MAX_TOKENIZERS) return;
  const dated = await Promise.all(names.map(async (n) => ({ n, t: await stat(path.join(dir, n)).then((s) => s.mtimeMs, () => 0) })));
  dated.sort((a, b) => b.t - a.t);
  for (const { n } of dated.slice(MAX_TOKENIZERS)) {
    await rm(path.join(dir, n), { force: true });
    open.delete(path.join(dir, n));
  }
}
