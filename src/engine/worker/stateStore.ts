/**
 * Saved KV states of repo prefixes on disk. Each state is three files named by its key: `<key>.kv` (llama.cpp's
 * sequence state), `<key>.tokens` (its tokens, little-endian uint32) and `<key>.json` (family, size, sha256, last
 * use), written in that order, each to a temporary name and renamed, so a cancelled or killed save never leaves a
 * half-written state under a real name. The family is the model file hash + engine settings + context size; within a
 * family the state sharing the longest token prefix with the wanted prompt is chosen, so a restart after an edit
 * loads the old state and evaluates only the changed tail.
 */
import { createHash, randomUUID } from "node:crypto";
import { createReadStream } from "node:fs";
import fs from "node:fs/promises";
import path from "node:path";
import { commonPrefix } from "./tokenPrefix";

export interface StateMeta {
  readonly key: string;
  readonly family: string;
  readonly tokens: number;
  readonly bytes: number;
  readonly sha256: string;
  readonly lastUsedMs: number;
}

export interface FoundState {
  readonly file: string;
  readonly tokens: Uint32Array;
  /** Tokens shared with the wanted prefix. */
  readonly common: number;
}

const metaName = /^[0-9a-f]{64}\.json$/;

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

  /**
   * The state of `family` sharing the longest prefix with `wanted` (at least `minCommon` tokens), after checking its
   * sha256; a state that fails the check is deleted and the next best is tried.
   */
  async findBest(family: string, wanted: Uint32Array, minCommon: number): Promise<FoundState | undefined> {
    const candidates: FoundState[] = [];
    for (const meta of (await this.list()).filter((m) => m.family === family)) {
      const tokens = await this.readTokens(meta);
      if (tokens === undefined) continue;
      const common = commonPrefix(tokens, wanted);
      if (common >= minCommon) candidates.push({ file: this.kvPath(meta.key), tokens, common });
    }
    for (const candidate of candidates.sort((a, b) => b.common - a.common)) {
      const key = path.basename(candidate.file, ".kv");
      const meta = await this.readMeta(key);
      if (meta && (await sizeOf(candidate.file)) === meta.bytes && (await sha256File(candidate.file)) === meta.sha256) {
        await this.writeMeta({ ...meta, lastUsedMs: Date.now() });
        return candidate;
      }
      await this.remove(key);
    }
    return undefined;
  }

  /** Writes a state through `writeState(tempPath)`, then its tokens and meta, and evicts beyond the size cap. */
  async save(key: string, family: string, tokens: Uint32Array, writeState: (tempPath: string) => Promise<void>): Promise<StateMeta> {
    const suffix = `.tmp-${randomUUID()}`;
    const kvTemp = `${this.kvPath(key)}${suffix}`;
    const tokensFile = path.join(this.directory, `${key}.tokens`);
    try {
      await writeState(kvTemp);
      const meta: StateMeta = { key, family, tokens: tokens.length, bytes: await sizeOf(kvTemp), sha256: await sha256File(kvTemp), lastUsedMs: Date.now() };
      await fs.writeFile(tokensFile + suffix, Buffer.from(tokens.buffer, tokens.byteOffset, tokens.byteLength));
      await fs.rename(tokensFile + suffix, tokensFile);
      await fs.rename(kvTemp, this.kvPath(key));
      await this.writeMeta(meta);
      await this.evict(key);
      return meta;
    } finally {
      await fs.rm(kvTemp, { force: true });
      await fs.rm(tokensFile + suffix, { force: true });
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
    // The meta goes first: without it the other two files are never used.
    await fs.rm(path.join(this.directory, `${key}.json`), { force: true });
    await fs.rm(this.kvPath(key), { force: true });
    await fs.rm(path.join(this.directory, `${key}.tokens`), { force: true });
  }

  async list(): Promise<StateMeta[]> {
    const names = (await fs.readdir(this.directory)).filter((n) => metaName.test(n));
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

  private async readTokens(meta: StateMeta): Promise<Uint32Array | undefined> {
    const data = await fs.readFile(path.join(this.directory, `${meta.key}.tokens`)).catch(() => undefined);
    if (!data || data.length !== meta.tokens * 4) return undefined;
    const tokens = new Uint32Array(meta.tokens);
    Buffer.from(tokens.buffer).set(data);
    return tokens;
  }

  private async readMeta(key: string): Promise<StateMeta | undefined> {
    try {
      const meta = JSON.parse(await fs.readFile(path.join(this.directory, `${key}.json`), "utf8")) as StateMeta;
      return meta.key === key && typeof meta.sha256 === "string" && typeof meta.bytes === "number" ? meta : undefined;
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
  for (const part of parts) {
    hash.update(typeof part === "string" ? part : Buffer.from(part.buffer, part.byteOffset, part.byteLength)).update("\0");
  }
  return hash.digest("hex");
}
