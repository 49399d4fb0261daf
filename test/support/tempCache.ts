/**
 * Points $XDG_CACHE_HOME at a fresh folder for this test file's process, removed after it: the packer keeps token
 * counts and secret findings there, and a test must neither read another run's nor leave its own in the user's cache.
 * (Test models are found in ../shared/models first, so the packer's tests do not need the real cache folder.)
 */
import { mkdtempSync, rmSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after } from "node:test";

export function useTempCacheHome(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), "lrq-cache-home-"));
  process.env.XDG_CACHE_HOME = dir;
  after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}
