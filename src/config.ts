/** Reads the extension's settings into the engine service's config. The only place that knows setting names. */
import * as os from "node:os";
import * as path from "node:path";
import * as vscode from "vscode";
import type { RepoQaConfig } from "./engine/api";
import type { GpuChoice, KvCacheType } from "./engine/protocol";
import { boundedMaxFileBytes } from "./workspace/readFiles";
import type { WorkspaceRoot } from "./workspace/types";
import { clampThreads } from "./util/threads";
import { RepoQaError, untrustedWorkspaceError } from "./util/errors";

export const SECTION = "longropeQa";

export function workspaceRoots(): WorkspaceRoot[] {
  return (vscode.workspace.workspaceFolders ?? [])
    .filter((f) => f.uri.scheme === "file")
    .map((f) => ({ name: f.name, path: f.uri.fsPath }));
}

/** The path a file has in the prompt (and in citations), or undefined when it is outside every root. */
export function promptPathOf(uri: vscode.Uri, roots = workspaceRoots()): string | undefined {
  if (uri.scheme !== "file") return undefined;
  for (const root of roots) {
    const rel = path.relative(root.path, uri.fsPath);
    if (rel && rel !== ".." && !rel.startsWith(`..${path.sep}`) && !path.isAbsolute(rel)) {
      const posix = rel.split(path.sep).join("/");
      return roots.length > 1 ? `${root.name}/${posix}` : posix;
    }
  }
  return undefined;
}

function openEditorPaths(roots: WorkspaceRoot[]): string[] {
  const paths: string[] = [];
  for (const group of vscode.window.tabGroups.all) {
    for (const tab of group.tabs) {
      if (tab.input instanceof vscode.TabInputText) {
        const p = promptPathOf(tab.input.uri, roots);
        if (p) paths.push(p);
      }
    }
  }
  return paths;
}

function modelPathSetting(raw: string): string {
  const trimmed = raw.trim();
  if (!trimmed) return "";
  const expanded = trimmed.startsWith("~") ? path.join(os.homedir(), trimmed.slice(1)) : trimmed;
  if (!path.isAbsolute(expanded)) {
    throw new RepoQaError(
      `The setting longropeQa.modelPath must be an absolute path to a GGUF file (it is "${raw}").`,
      "bad-input",
    );
  }
  return expanded;
}

/** Reads every setting fresh, so a change applies to the next question. */
export function readConfig(question?: string): RepoQaConfig {
  if (!vscode.workspace.isTrusted) {
    throw untrustedWorkspaceError();
  }
  const roots = workspaceRoots();
  if (roots.length === 0) {
    throw new RepoQaError("Open a folder first: LongRoPE QA answers questions about the open workspace.", "empty-workspace");
  }
  const cfg = vscode.workspace.getConfiguration(SECTION);
  // files.exclude is resource-scoped: merge each folder's value (reading it without a folder warns in multi-root).
  const filesExclude: Record<string, boolean> = {};
  for (const folder of vscode.workspace.workspaceFolders ?? []) {
    Object.assign(filesExclude, vscode.workspace.getConfiguration("files", folder.uri).get<Record<string, boolean>>("exclude"));
  }
  return {
    pack: {
      roots,
      include: cfg.get<string[]>("include") ?? [],
      exclude: cfg.get<string[]>("exclude") ?? [],
      maxFileBytes: boundedMaxFileBytes(cfg.get<number>("maxFileBytes") ?? 1024 * 1024),
      filesExclude,
      // Always-included paths are read first when the repo does not fit, like open editors.
      openFiles: [...(cfg.get<string[]>("alwaysInclude") ?? []), ...openEditorPaths(roots)],
      question,
    },
    engine: {
      modelPath: modelPathSetting(cfg.get<string>("modelPath") ?? ""),
      threads: clampThreads(cfg.get<number>("threads")),
      gpu: cfg.get<GpuChoice>("gpu") ?? "auto",
      gpuLayers: cfg.get<number | "auto">("gpuLayers") ?? "auto",
      flashAttention: cfg.get<boolean | null>("flashAttention") ?? undefined,
      kvCacheType: cfg.get<KvCacheType>("kvCacheType") ?? "f16",
    },
  };
}

export function maxAnswerTokens(): number {
  return vscode.workspace.getConfiguration(SECTION).get<number>("maxAnswerTokens") ?? 1024;
}

/** `longropeQa.saveRepoStates`: false keeps the repo's KV state in memory only (nothing of the prompt on disk). */
export function saveStatesToDisk(): boolean {
  return vscode.workspace.getConfiguration(SECTION).get<boolean>("saveRepoStates") ?? true;
}

/** The settings the chat's buttons and the context report change or show (names spelled only in this file). */
export const settingKeys = {
  modelPath: `${SECTION}.modelPath`,
  include: `${SECTION}.include`,
  alwaysInclude: `${SECTION}.alwaysInclude`,
} as const;

/**
 * Opens the Settings editor at a setting. Machine-scoped settings (modelPath, gpu, …) cannot be applied from User
 * settings in a remote window (code-server, SSH, WSL, containers): there they live in the Remote tab.
 */
export async function openSetting(key: string = settingKeys.modelPath): Promise<void> {
  const command = vscode.env.remoteName ? "workbench.action.openRemoteSettings" : "workbench.action.openSettings";
  await vscode.commands.executeCommand(command, { query: key });
}

/** Stores a model file in longropeQa.modelPath; Global is the machine's (Remote) settings in a remote window. */
export async function writeModelPath(fsPath: string): Promise<void> {
  await vscode.workspace.getConfiguration(SECTION).update("modelPath", fsPath, vscode.ConfigurationTarget.Global);
}

export function includePatterns(): string[] {
  return vscode.workspace.getConfiguration(SECTION).get<string[]>("include") ?? [];
}

/** Adds a workspace-relative path to longropeQa.alwaysInclude (workspace settings: the choice is per repo). */
export async function addAlwaysInclude(promptPath: string): Promise<void> {
  const cfg = vscode.workspace.getConfiguration(SECTION);
  const current = cfg.get<string[]>("alwaysInclude") ?? [];
  if (current.includes(promptPath)) return;
  await cfg.update("alwaysInclude", [...current, promptPath], vscode.ConfigurationTarget.Workspace);
}

/** The configured model file ("" for the default model); a relative path is returned as typed (the ask explains). */
export function configuredModelPath(): string {
  const raw = vscode.workspace.getConfiguration(SECTION).get<string>("modelPath") ?? "";
  try {
    return modelPathSetting(raw);
  } catch {
    return raw.trim();
  }
}
