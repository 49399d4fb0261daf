/**
 * Writes a file so that readers never see half of it: into `<path>.partial`, renamed over `path` at the end; the
 * partial file is removed when `write` throws or is cancelled.
 */
import { open, rename, rm, type FileHandle } from "node:fs/promises";

export async function writeFileAtomically(path: string, write: (file: FileHandle) => Promise<void>): Promise<void> {
  const partial = `${path}.partial`;
  const file = await open(partial, "w");
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

export function writeTextAtomically(path: string, text: string): Promise<void> {
  return writeFileAtomically(path, (file) => file.writeFile(text, "utf8"));
}
