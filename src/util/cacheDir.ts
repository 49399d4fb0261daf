/** The project's cache folder, shared by every layer (models, saved states, built tools, the packer's counts). */
import os from "node:os";
import path from "node:path";

/** `$XDG_CACHE_HOME/longrope-qa` (default `~/.cache/longrope-qa`). */
export function projectCacheDir(): string {
  const base = process.env.XDG_CACHE_HOME || path.join(os.homedir(), ".cache");
  return path.join(base, "longrope-qa");
}
