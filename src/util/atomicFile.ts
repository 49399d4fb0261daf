/**
 * Writes a file so that readers never see half of it: into `<path>.partial`, renamed over `path` at the end; the
 * partial file is removed when the write throws or is cancelled. `mode` (e.g. 0o600) applies from the first byte.
 */
import { chmod, open, rename, rm, type FileHandle } from "node:fs/promises";

export interface AtomicWriteOptions {
  /** Permission bits of the new file (before the umask). Default: 0o666, i.e. the umask decides. */
  readonly mode?: number;
}

export async function writeFileAtomically(path: string, write: (file: FileHandle) => Promise<void>, options: AtomicWriteOptions = {}): Promise<void> {
  const partial = `${path}.partial`;
  const file = await open(partial, "w", options.mode ?? 0o666);
  try {
    await write(file);
  } catch (e) {
    await file.close().catch(() => undefined);
    await rm(partial, { force: true });
    throw e;
  }
  await file.close();
  await rename(partial, path);
}

export function writeTextAtomically(path: string, text: string, options: AtomicWriteOptions = {}): Promise<void> {
  return writeFileAtomically(path, (file) => file.writeFile(text, "utf8"), options);
}

/**
 * The same for a writer that takes a path (llama.cpp's `saveStateToFile`): `produce` writes `<path>.partial`, which
 * gets `mode` before it is renamed over `path`.
 */
export async function produceFileAtomically(path: string, produce: (partialPath: string) => Promise<void>, options: AtomicWriteOptions = {}): Promise<void> {
  const partial = `${path}.partial`;
  try {
    await produce(partial);
    if (options.mode !== undefined) await chmod(partial, options.mode);
    await rename(partial, path);
  } catch (e) {
    await rm(partial, { force: true });
    throw e;
  }
}
