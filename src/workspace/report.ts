/** Stage 5: what the CLI's `pack --json` prints and what the "Show context report" document shows. */
import type { IncludedFile, PackResult } from "./types";

export interface PackJson {
  readonly included: { path: string; bytes: number; tokens: number | null; redactions: number }[];
  readonly excluded: { path: string; reason: string; detail?: string }[];
  readonly totalTokens: number | null;
  readonly framingTokens: number | null;
  /** Secrets redacted across the included files, by rule. */
  readonly redactionsByRule: Record<string, number>;
  readonly cancelled: boolean;
}

export function toPackJson(result: PackResult): PackJson {
  return {
    included: result.included.map((f) => ({
      path: f.path,
      bytes: f.bytes,
      tokens: f.tokens ?? null,
      redactions: f.redactions,
    })),
    excluded: result.excluded.map((f) => (f.detail ? { path: f.path, reason: f.reason, detail: f.detail } : { path: f.path, reason: f.reason })),
    totalTokens: result.totalTokens ?? null,
    framingTokens: result.framingTokens ?? null,
    redactionsByRule: redactionsByRule(result),
    cancelled: result.cancelled === true,
  };
}

interface Totals {
  files: number;
  bytes: number;
  tokens: number;
}

export function renderPackReport(result: PackResult): string {
  const out: string[] = ["# Context report", ""];
  if (result.cancelled) out.push("**The pack was cancelled**; the lists below hold what was seen before that.", "");
  const totalBytes = result.included.reduce((sum, f) => sum + f.bytes, 0);
  const redactions = result.included.reduce((sum, f) => sum + f.redactions, 0);
  out.push(
    `- Files included: ${result.included.length} (${formatNumber(totalBytes)} bytes)`,
    `- Files excluded: ${result.excluded.length}`,
    `- Prompt tokens: ${result.totalTokens === undefined ? "not counted (no model)" : formatNumber(result.totalTokens)}`,
  );
  if (result.framingTokens !== undefined) out.push(`- Framing tokens (instruction, tree, headers, line numbers): ${formatNumber(result.framingTokens)}`);
  const byRule = Object.entries(redactionsByRule(result)).map(([rule, n]) => `${rule} ${n}`);
  out.push(`- Secrets redacted: ${redactions}${byRule.length > 0 ? ` (${byRule.join(", ")})` : ""}`, "");
  out.push("## Totals by folder", "", ...totalsTable("Folder", groupBy(result.included, folderOf)), "");
  out.push("## Totals by language", "", ...totalsTable("Language", groupBy(result.included, (f) => f.language)), "");
  out.push("## Included files", "", "| Path | Bytes | Tokens | Redactions |", "| --- | ---: | ---: | ---: |");
  for (const f of result.included) {
    out.push(`| ${cell(f.path)} | ${formatNumber(f.bytes)} | ${f.tokens === undefined ? "–" : formatNumber(f.tokens)} | ${f.redactions} |`);
  }
  out.push("", "## Excluded files", "", "| Path | Reason | Detail |", "| --- | --- | --- |");
  for (const f of result.excluded) out.push(`| ${cell(f.path)} | ${f.reason} | ${cell(f.detail ?? "")} |`);
  return `${out.join("\n")}\n`;
}

/** Redactions by rule over the included files, rules in name order. */
export function redactionsByRule(result: Pick<PackResult, "included">): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const file of result.included) {
    for (const [rule, n] of Object.entries(file.redactedRules ?? {})) counts[rule] = (counts[rule] ?? 0) + n;
  }
  return Object.fromEntries(Object.entries(counts).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

function folderOf(file: IncludedFile): string {
  const slash = file.path.lastIndexOf("/");
  return slash === -1 ? "." : file.path.slice(0, slash);
}

function groupBy(files: readonly IncludedFile[], key: (f: IncludedFile) => string): Map<string, Totals> {
  const groups = new Map<string, Totals>();
  for (const f of files) {
    const k = key(f);
    const t = groups.get(k) ?? { files: 0, bytes: 0, tokens: 0 };
    t.files++;
    t.bytes += f.bytes;
    t.tokens += f.tokens ?? 0;
    groups.set(k, t);
  }
  return new Map([...groups].sort((a, b) => b[1].bytes - a[1].bytes || (a[0] < b[0] ? -1 : 1)));
}

function totalsTable(label: string, groups: Map<string, Totals>): string[] {
  const rows = [`| ${label} | Files | Bytes | Tokens |`, "| --- | ---: | ---: | ---: |"];
  for (const [k, t] of groups) rows.push(`| ${cell(k)} | ${t.files} | ${formatNumber(t.bytes)} | ${formatNumber(t.tokens)} |`);
  return rows;
}

/** Markdown table cell: pipes escaped, newlines flattened, backslashes kept literal. */
function cell(text: string): string {
  return text.replace(/\\/g, "\\\\").replace(/\|/g, "\\|").replace(/\r?\n/g, " ");
}

function formatNumber(n: number): string {
  return n.toLocaleString("en-US");
}
