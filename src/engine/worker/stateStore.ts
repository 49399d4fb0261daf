/**
 * Saved KV states of repo prefixes on disk: `<key>.kv` (llama.cpp's sequence state) and `<key>.json` (what it is, its
 * sha256, when it was last used). The key covers the model file hash, the engine settings, the context size and the
 * prefix tokens, so a state is only ever loaded for exactly the prompt it was made from. Files are written to a
 * temporary name and renamed, so a cancelled or killed save never leaves a half-written state under a real name.
 */
import { createHash, randomUUID } from "node:crypto";
import { createReadStream } from "node:fs";
import fs from "node:fs/promises";
import path from "node:path";

export interface StateMeta {
  readonly key: string;
  readonly tokens: number;
  readonly bytes: number;
  readonly sha256: string;
  readonly lastUsedMs: number;
}

export class StateStore {
  constructor(
    readonly directory: string,
    readonly maxBytes: number,
  ) {}

  static async open(directory: string, maxBytes: number): Promise<StateStore> {
    await fs.mkdir(directory, { recursive: true });
    for (const name of await fs.readdir(directory)) {
      if (name.includes(".tmp-")) await fs.rm(path.join(directory, name), { force: true });
    }
    return new StateStore(directory, maxBytes);
  }

  kvPath(key: string): string {
    return path.join(this.directory, `${key}.kv`);
  }

  /** The state file for `key` if it exists, matches its meta and its checksum; a bad one is deleted. */
  async find(key: string): Promise<string | undefined> {
    const meta = await this.readMeta(key);
    if (meta === undefined) return undefined;
    const file = this.kvPath(key);
    const ok = meta.key === key && (await sizeOf(file)) === meta.bytes && (await sha256File(file)) === meta.sha256;
    if (!ok) {
      await this.remove(key);
      return undefined;
    }
    await this.writeMeta({ ...meta, lastUsedMs: Date.now() });
    return file;
  }

  /** Writes a state through `writeState(tempPath)`, then renames it into place and evicts beyond the size cap. */
  async save(key: string, tokens: number, writeState: (tempPath: string) => Promise<void>): Promise<StateMeta> {
    const temp = `${this.kvPath(key)}.tmp-${randomUUID()}`;
    try {
      await writeState(temp);
      const meta: StateMeta = { key, tokens, bytes: await sizeOf(temp), sha256: await sha256File(temp), lastUsedMs: Date.now() };
      await fs.rename(temp, this.kvPath(key));
      await this.writeMeta(meta);
      await this.evict(key);
      return meta;
    } finally {
      await fs.rm(temp, { force: true });
    }
  }

  /** sha256 of a model file, remembered by path, size and mtime so a multi-GB file is hashed once. */
  async modelHash(modelPath: string): Promise<string> {
    const stat = await fs.stat(modelPath);
    const id = `${path.resolve(modelPath)}|${stat.size}|${stat.mtimeMs}`;
    const cacheFile = path.join(this.directory, "model-hashes.json");
    const cache = (await fs.readFile(cacheFile, "utf8").then(JSON.parse, () => ({}))) as Record<string, string>;
    const known = cache[id];
    if (known !== undefined) return known;
    const hash = await sha256File(modelPath);
    const temp = `${cacheFile}.tmp-${randomUUID()}`;
    await fs.writeFile(temp, JSON.stringify({ ...cache, [id]: hash }));
    await fs.rename(temp, cacheFile);
    return hash;
  }

  async remove(key: string): Promise<void> {
    await fs.rm(path.join(this.directory, `${key}.json`), { force: true });
    await fs.rm(this.kvPath(key), { force: true });
  }

  async list(): Promise<StateMeta[]> {
    const names = (await fs.readdir(this.directory)).filter((n) => n.endsWith(".json") && /^[0-9a-f]{64}\.json$/.test(n));
    const metas = await Promise.all(names.map((n) => this.readMeta(n.slice(0, -5))));
    return metas.filter((m): m is StateMeta => m !== undefined);
  }

  /** Deletes least recently used states until the total fits the cap; `keep` goes last. */
  private async evict(keep: string): Promise<void> {
    const metas = (await this.list()).sort((a, b) => (a.key === keep ? 1 : b.key === keep ? -1 : a.lastUsedMs - b.lastUsedMs));
    let total = metas.reduce((sum, m) => sum + m.bytes, 0);
    for (const meta of metas) {
      if (total <= this.maxBytes) break;
      await this.remove(meta.key);
      total -= meta.bytes;
    }
  }

  private async readMeta(key: string): Promise<StateMeta | undefined> {
    try {
      const meta = JSON.parse(await fs.readFile(path.join(this.directory, `${key}.json`), "utf8")) as StateMeta;
      return typeof meta.sha256 === "string" && typeof meta.bytes === "number" ? meta : undefined;
    } catch {
      return undefined;
    }
  }

  private async writeMeta(meta: StateMeta): Promise<void> {
    const file = path.join(this.directory, `${meta.key}.json`);
    const temp = `${file}.tmp-${randomUUID()}`;
    await fs.writeFile(temp, JSON.stringify(meta));
    await fs.rename(temp, file);
  }
}

async function sizeOf(file: string): Promise<number> {
  return (await fs.stat(file).catch(() => undefined))?.size ?? -1;
}

export async function sha256File(file: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

export function sha256Of(...parts: readonly (string | Uint32Array)[]): string {
  const hash = createHash("sha256");
  for (const part of parts) hash.update(typeof part === "string" ? part : Buffer.from(part.buffer, part.byteOffset, part.byteLength)).update("\0");
  return hash.digest("hex");
}
