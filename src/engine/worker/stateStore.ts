/**
 * Saved KV states of repo prefixes on disk. Each state is three files named by its key: `<key>.kv` (llama.cpp's
 * sequence state), `<key>.tokens` (its tokens, little-endian uint32) and `<key>.json` (family, size, MAC, last use),
 * written in that order through util/atomicFile, so a cancelled or killed save never leaves a half-written state under
 * a real name. The family is the model file hash + engine settings + context size; within a family the state sharing
 * the longest token prefix with the wanted prompt is chosen, so a restart after an edit loads the old state and
 * evaluates only the changed tail.
 *
 * The states hold the prompt (detokenizing `.tokens` gives the repository back, secrets included) and are loaded
 * straight into the model, so the folder is 0700 and every file 0600, and each state carries an HMAC-SHA256 under a
 * per-machine key (the extension's SecretStorage; the CLI's key file) over its family, tokens and KV bytes: a bare
 * hash caught accidents, not someone who rewrote the state and its hash together.
 */
import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import { createReadStream } from "node:fs";
import fs from "node:fs/promises";
import path from "node:path";
import { produceFileAtomically, writeFileAtomically, writeTextAtomically } from "../../util/atomicFile";

export interface StateMeta {
  readonly key: string;
  readonly family: string;
  readonly tokens: number;
  readonly bytes: number;
  /** HMAC-SHA256 (hex) of the state under the store's key; see `macOf`. */
  readonly mac: string;
  readonly lastUsedMs: number;
}

export interface FoundState {
  readonly file: string;
  readonly tokens: Uint32Array;
  /** Tokens shared with the wanted prefix. */
  readonly common: number;
}

const metaName = /^[0-9a-f]{64}\.json$/;
const DIRECTORY_MODE = 0o700;
const FILE_MODE = 0o600;
const MAC_VERSION = "lrq-state-v2";

export class StateStore {
  constructor(
    readonly directory: string,
    readonly maxBytes: number,
    /** The per-machine MAC key; without it states can be listed and removed, not saved or loaded. */
    private readonly key?: Buffer,
  ) {}

  static async open(directory: string, maxBytes: number, key?: Buffer): Promise<StateStore> {
    await fs.mkdir(directory, { recursive: true, mode: DIRECTORY_MODE });
    // A folder or files left by an older version (0755 / 0644) are closed up too.
    await fs.chmod(directory, DIRECTORY_MODE);
    for (const name of await fs.readdir(directory)) {
      const file = path.join(directory, name);
      if (name.includes(".tmp-") || name.endsWith(".partial")) await fs.rm(file, { force: true });
      else await fs.chmod(file, FILE_MODE).catch(() => undefined);
    }
    return new StateStore(directory, maxBytes, key);
  }

  kvPath(key: string): string {
    return path.join(this.directory, `${key}.kv`);
  }

  /**
   * The state of `family` sharing the longest prefix with `wanted` (at least `minCommon` tokens), after checking its
   * MAC; a state that fails the check (tampered, torn, or from another key) is deleted and the next best is tried.
   */
  async findBest(family: string, wanted: Uint32Array, minCommon: number): Promise<FoundState | undefined> {
    const macKey = this.requireKey();
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
      if (meta && (await sizeOf(candidate.file)) === meta.bytes && (await this.verify(macKey, meta, candidate))) {
        await this.writeMeta({ ...meta, lastUsedMs: Date.now() });
        return candidate;
      }
      await this.remove(key);
    }
    return undefined;
  }

  /** Writes a state through `writeState(partialPath)`, then its tokens and meta, and evicts beyond the size cap. */
  async save(key: string, family: string, tokens: Uint32Array, writeState: (partialPath: string) => Promise<void>): Promise<StateMeta> {
    const macKey = this.requireKey();
    let kvSha256 = "";
    let bytes = 0;
    await produceFileAtomically(
      this.kvPath(key),
      async (partial) => {
        await writeState(partial);
        bytes = await sizeOf(partial);
        kvSha256 = await sha256File(partial);
      },
      { mode: FILE_MODE },
    );
    const tokenBytes = Buffer.from(tokens.buffer, tokens.byteOffset, tokens.byteLength);
    await writeFileAtomically(path.join(this.directory, `${key}.tokens`), (file) => file.writeFile(tokenBytes), { mode: FILE_MODE });
    const meta: StateMeta = { key, family, tokens: tokens.length, bytes, mac: macOf(macKey, key, family, tokens, bytes, kvSha256), lastUsedMs: Date.now() };
    await this.writeMeta(meta);
    await this.evict(key);
    return meta;
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
    await writeTextAtomically(cacheFile, JSON.stringify({ ...cache, [id]: hash }), { mode: FILE_MODE });
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

  private requireKey(): Buffer {
    if (!this.key || this.key.length < 16) throw new Error("internal: saved states need the per-machine key");
    return this.key;
  }

  private async verify(macKey: Buffer, meta: StateMeta, candidate: FoundState): Promise<boolean> {
    const expected = Buffer.from(macOf(macKey, meta.key, meta.family, candidate.tokens, meta.bytes, await sha256File(candidate.file)), "hex");
    const actual = Buffer.from(meta.mac, "hex");
    return actual.length === expected.length && timingSafeEqual(actual, expected);
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
      // A state from before the MAC (a `sha256` field) is listed (so it can be cleared) but fails verification.
      if (meta.key !== key || typeof meta.bytes !== "number") return undefined;
      return typeof meta.mac === "string" ? meta : { ...meta, mac: "" };
    } catch {
      return undefined;
    }
  }

  private async writeMeta(meta: StateMeta): Promise<void> {
    await writeTextAtomically(path.join(this.directory, `${meta.key}.json`), JSON.stringify(meta), { mode: FILE_MODE });
  }
}

/** The MAC binds every part a loaded state depends on: its key, family, tokens, size and KV bytes (by their sha256). */
function macOf(macKey: Buffer, key: string, family: string, tokens: Uint32Array, bytes: number, kvSha256: string): string {
  const tokensSha256 = createHash("sha256").update(Buffer.from(tokens.buffer, tokens.byteOffset, tokens.byteLength)).digest("hex");
  return createHmac("sha256", macKey).update(JSON.stringify([MAC_VERSION, key, family, tokens.length, bytes, kvSha256, tokensSha256])).digest("hex");
}

function commonPrefix(a: Uint32Array, b: Uint32Array): number {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return i;
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
