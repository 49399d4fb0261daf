/**
 * The per-machine key that authenticates saved KV states (worker/stateStore). The extension keeps it in VS Code's
 * SecretStorage (the OS keychain); the CLI, and anything without one, in a key file created 0600. A key file anyone
 * else can read is replaced: states made under the old key then fail their MAC and are re-read, never trusted.
 */
import { randomBytes } from "node:crypto";
import fs from "node:fs/promises";
import path from "node:path";

const KEY_BYTES = 32;
const KEY_HEX = /^[0-9a-f]{64}$/;

export function newStateKey(): string {
  return randomBytes(KEY_BYTES).toString("hex");
}

export function isStateKey(value: unknown): value is string {
  return typeof value === "string" && KEY_HEX.test(value);
}

/** The key in `file` (hex), created with mode 0600 when missing, unreadable by others, or malformed. */
export async function loadOrCreateKeyFile(file: string): Promise<string> {
  const existing = await readPrivateKey(file);
  if (existing !== undefined) return existing;
  await fs.mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  const key = newStateKey();
  const partial = `${file}.partial-${process.pid}`;
  await fs.writeFile(partial, key, { mode: 0o600 });
  await fs.rename(partial, file);
  return key;
}

async function readPrivateKey(file: string): Promise<string | undefined> {
  try {
    const stat = await fs.lstat(file);
    if (!stat.isFile() || (process.platform !== "win32" && (stat.mode & 0o077) !== 0)) return undefined;
    const text = (await fs.readFile(file, "utf8")).trim();
    return isStateKey(text) ? text : undefined;
  } catch {
    return undefined;
  }
}
