/**
 * The context report as data for its view: the window's figures (all from one budget, so they agree), files by
 * reason, and the files read as a folder tree with token totals. Pure: no `vscode`, no DOM.
 */
import { MAX_LISTED_FILES, type AnswerCoverage } from "../chat/protocol";
import type { PackBudget } from "../engine/api";
import type { PackResult, SkipReason } from "../workspace/types";

export type FileStatus = "read" | SkipReason;

export interface ReportFile {
  readonly path: string;
  readonly name: string;
  readonly tokens?: number;
  readonly bytes?: number;
  readonly detail?: string;
}

export interface ReportFolder {
  /** Workspace-relative, "" for the root. */
  readonly path: string;
  readonly name: string;
  tokens: number;
  fileCount: number;
  readonly folders: ReportFolder[];
  readonly files: ReportFile[];
}

export interface ReasonGroup {
  readonly reason: FileStatus;
  readonly label: string;
  readonly files: readonly ReportFile[];
  readonly tokens?: number;
}

export interface ReportModel {
  readonly cancelled: boolean;
  /** One line each: "Context window: 2,048 tokens (stories260K.gguf)". */
  readonly figures: readonly string[];
  /** Read first, then each reason files were left out for, largest group first. */
  readonly groups: readonly ReasonGroup[];
  /** The files read, by folder. */
  readonly tree: ReportFolder;
}

export const REASON_LABEL: Record<FileStatus, string> = {
  read: "Read into the prompt",
  budget: "Left out: over the token budget",
  gitignore: "Left out by .gitignore or .longropeignore",
  "exclude-glob": "Left out by longropeQa.exclude or files.exclude",
  "not-included": "Not matched by longropeQa.include",
  "default-exclude": "Left out: dependencies, build output, lock files",
  binary: "Left out: binary",
  "too-large": "Left out: larger than longropeQa.maxFileBytes",
  unreadable: "Left out: unreadable",
  "symlink-outside": "Left out: links outside the workspace",
  "symlink-loop": "Left out: symbolic link loops",
  "secret-file": "Left out: files that hold credentials (.env and the like)",
  "unsafe-name": "Left out: names that could forge the prompt's framing",
  "ignore-file-skipped": "Ignore files too large or not regular files (not applied)",
};

export function formatCount(n: number): string {
  return n.toLocaleString("en-US");
}

function baseName(p: string): string {
  const trimmed = p.replace(/\/$/, "");
  return trimmed.slice(trimmed.lastIndexOf("/") + 1) || trimmed;
}

/** What the backend adds to a pack: a token estimate's label, the server that would answer. */
export interface PackSource {
  readonly tokenEstimate?: string;
  readonly server?: string;
}

export function figuresOf(result: PackResult & PackSource, budget: PackBudget | undefined, memory: string | undefined): string[] {
  const read = result.included.length;
  const budgetDropped = result.excluded.filter((f) => f.reason === "budget").length;
  const lines: string[] = [];
  if (budget) {
    lines.push(
      `Context window: ${formatCount(budget.contextSize)} tokens (${budget.modelFile}) = ${formatCount(budget.budgetTokens)} for the repository + ` +
        `${formatCount(budget.answerTokens)} for the answer (longropeQa.maxAnswerTokens) + ${formatCount(budget.questionTokens)} for the question and earlier turns`,
    );
  }
  const fileTokens = result.included.reduce((sum, f) => sum + (f.tokens ?? 0), 0);
  const prompt = result.totalTokens === undefined ? "not counted (no model configured)" : `${formatCount(result.totalTokens)} tokens`;
  // The folders below add up the files; the rest of the prompt is the framing around them.
  const split = result.totalTokens === undefined ? "" :
    ` (${formatCount(fileTokens)} in the files below, ${formatCount(result.totalTokens - fileTokens)} for the instruction and the file tree)`;
  lines.push(`Repository in the prompt: ${prompt}${budget ? ` of its ${formatCount(budget.budgetTokens)}-token budget` : ""}${split}`);
  if (result.server) lines.push(`Answered by the server at ${result.server}`);
  if (result.tokenEstimate) lines.push(`Token counts are ${result.tokenEstimate}`);
  lines.push(`Files read: ${formatCount(read)} of ${formatCount(read + budgetDropped)}${budgetDropped > 0 ? ` (${formatCount(budgetDropped)} did not fit)` : ""}`);
  if (memory) lines.push(memory);
  return lines;
}

export function groupsOf(result: PackResult): ReasonGroup[] {
  const read: ReportFile[] = result.included.map((f) => ({ path: f.path, name: baseName(f.path), tokens: f.tokens, bytes: f.bytes }));
  const byReason = new Map<SkipReason, ReportFile[]>();
  for (const f of result.excluded) {
    const list = byReason.get(f.reason) ?? [];
    list.push({ path: f.path, name: baseName(f.path), detail: f.detail });
    byReason.set(f.reason, list);
  }
  const readTokens = result.totalTokens ?? read.reduce((sum, f) => sum + (f.tokens ?? 0), 0);
  const left = [...byReason].sort((a, b) => b[1].length - a[1].length).map(([reason, files]) => ({ reason, label: REASON_LABEL[reason], files }));
  return [{ reason: "read", label: REASON_LABEL.read, files: read, tokens: readTokens }, ...left];
}

/** The files read as folders (collapsible in the view), each with the tokens of everything under it. */
export function treeOf(files: readonly ReportFile[]): ReportFolder {
  const root: ReportFolder = { path: "", name: "", tokens: 0, fileCount: 0, folders: [], files: [] };
  for (const file of files) {
    const parts = file.path.split("/");
    let folder = root;
    const chain = [root];
    for (const part of parts.slice(0, -1)) {
      const path = folder.path ? `${folder.path}/${part}` : part;
      let next = folder.folders.find((f) => f.name === part);
      if (!next) {
        next = { path, name: part, tokens: 0, fileCount: 0, folders: [], files: [] };
        folder.folders.push(next);
      }
      folder = next;
      chain.push(folder);
    }
    folder.files.push(file);
    for (const f of chain) {
      f.tokens += file.tokens ?? 0;
      f.fileCount++;
    }
  }
  sortFolder(root);
  return root;
}

function sortFolder(folder: ReportFolder): void {
  folder.folders.sort((a, b) => b.tokens - a.tokens || a.name.localeCompare(b.name));
  folder.files.sort((a, b) => (b.tokens ?? 0) - (a.tokens ?? 0) || a.name.localeCompare(b.name));
  folder.folders.forEach(sortFolder);
}

export function reportModel(result: PackResult & PackSource, budget: PackBudget | undefined, memory: string | undefined): ReportModel {
  const groups = groupsOf(result);
  return { cancelled: result.cancelled === true, figures: figuresOf(result, budget, memory), groups, tree: treeOf(groups[0]?.files ?? []) };
}

/** The report opened from an answer's "see the context report": that answer's question and the files it read. */
export interface AnswerReportTarget extends AnswerCoverage {
  readonly question: string;
}

const LISTED_IN_LINE = 5;

const isCount = (v: unknown): v is number => typeof v === "number" && Number.isSafeInteger(v) && v >= 0;

/** The command's argument, checked: any extension or keybinding can run the command with anything. */
export function parseAnswerTarget(value: unknown): AnswerReportTarget | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  const v = value as Record<string, unknown>;
  const read = v.read;
  const ok =
    typeof v.question === "string" && v.question.length <= 100_000 && isCount(v.readCount) && isCount(v.total) &&
    Array.isArray(read) && read.length <= MAX_LISTED_FILES && read.every((p) => typeof p === "string" && p.length <= 4096);
  return ok ? { question: v.question as string, read: read as string[], readCount: v.readCount as number, total: v.total as number } : undefined;
}

/**
 * What the answer read, above the report: the report packs anew (open editors, the conversation before the question
 * and edits since all change what goes first), so its figures may differ from the answer's and must not pass for them.
 */
export function answerLine(target: AnswerReportTarget): string {
  const question = target.question.length > 120 ? `${target.question.slice(0, 119)}…` : target.question;
  const listed = target.read.slice(0, LISTED_IN_LINE).join(", ");
  const more = target.readCount > LISTED_IN_LINE ? ` and ${formatCount(target.readCount - LISTED_IN_LINE)} more` : "";
  return (
    `The answer to “${question}” read ${formatCount(target.readCount)} of ${formatCount(target.total)} files${listed ? `: ${listed}${more}` : ""}. ` +
    "Below, the same question asked now: with the editors open now and without the conversation before it."
  );
}
