/**
 * The two things the packer takes from a root's git repository: where `info/exclude` is (the common git folder, also
 * for a `git worktree`, whose `.git` is a file naming its folder), and `core.ignorecase`, which decides whether
 * ignore patterns match case-insensitively. Without it git on Linux matches case-sensitively: the `ignore` package's
 * case-insensitive default made a root `.gitignore` line `Icon?` (macOS icon files) drop a folder named `icons/`.
 * Everything here is read through the guarded reader.
 */
import { statSync } from "node:fs";
import * as path from "node:path";
import { isGuardedSkip, readGuarded } from "./guardedRead";

const SMALL_FILE_BYTES = 64 * 1024;
const CONFIG_BYTES = 1024 * 1024;

export interface GitRepositoryInfo {
  /** The folder holding `info/exclude` and `config`. */
  readonly commonDir: string;
  readonly ignoreCase: boolean | undefined;
}

/** The repository whose work tree is `root` (a `.git` folder or a `.git` file), or undefined. */
export function readGitRepository(root: string): GitRepositoryInfo | undefined {
  const dotGit = path.join(root, ".git");
  const gitDir = readGitDirPointer(dotGit) ?? (isFolder(dotGit) ? dotGit : undefined);
  if (gitDir === undefined) return undefined;
  const common = readSmallText(path.join(gitDir, "commondir"))?.trim();
  const commonDir = common ? path.resolve(gitDir, common) : gitDir;
  const config = readSmallText(path.join(commonDir, "config"), CONFIG_BYTES);
  return { commonDir, ignoreCase: config === undefined ? undefined : coreIgnoreCase(config) };
}

/** Git's default when a repository does not say: case-insensitive where the usual file system is (macOS, Windows). */
export function platformIgnoreCase(platform: NodeJS.Platform = process.platform): boolean {
  return platform === "darwin" || platform === "win32";
}

/** `core.ignorecase` from a git config file's text (last one wins), or undefined when it is not set. */
export function coreIgnoreCase(config: string): boolean | undefined {
  let section = "";
  let value: boolean | undefined;
  for (const raw of config.split(/\r?\n/)) {
    const line = raw.replace(/(^|\s)[#;].*$/, "").trim();
    const header = /^\[\s*([A-Za-z0-9.-]+)(?:\s+"[^"]*")?\s*\]\s*(.*)$/.exec(line);
    if (header) {
      section = header[1]!.toLowerCase();
      if (!header[2]) continue;
    }
    const entry = /^([A-Za-z][A-Za-z0-9-]*)\s*(?:=\s*(.*))?$/.exec(header ? header[2]! : line);
    if (section !== "core" || !entry || entry[1]!.toLowerCase() !== "ignorecase") continue;
    const text = (entry[2] ?? "true").replace(/^"(.*)"$/, "$1").trim().toLowerCase();
    if (["true", "yes", "on", "1"].includes(text)) value = true;
    else if (["false", "no", "off", "0", ""].includes(text)) value = false;
  }
  return value;
}

function readGitDirPointer(dotGit: string): string | undefined {
  const text = readSmallText(dotGit);
  const match = text === undefined ? null : /^gitdir:\s*(.+?)\s*$/m.exec(text);
  return match ? path.resolve(path.dirname(dotGit), match[1]!) : undefined;
}

function isFolder(folder: string): boolean {
  return statSync(folder, { throwIfNoEntry: false })?.isDirectory() ?? false;
}

function readSmallText(file: string, maxBytes = SMALL_FILE_BYTES): string | undefined {
  const read = readGuarded(file, { maxBytes });
  return isGuardedSkip(read) ? undefined : read.buffer.toString("utf8");
}
