/** Markdown tables of the eval's answers: by length × depth, the controls, and variants paired against the default. */
import { formatShare } from "./score";
import type { AnswerRecord } from "./trials";

type Pick = (r: AnswerRecord) => boolean | undefined;

const share = (records: readonly AnswerRecord[], pick: Pick) => formatShare(records.filter((r) => pick(r)).length, records.length);
const mean = (values: readonly number[]) => (values.length ? values.reduce((a, b) => a + b, 0) / values.length : 0);
const literal = (records: readonly AnswerRecord[]) => records.filter((r) => r.question === "literal");
const file = (records: readonly AnswerRecord[]) => records.filter((r) => r.question === "file");

function table(header: string[], rows: string[][]): string {
  return [`| ${header.join(" | ")} |`, `|${header.map(() => "---").join("|")}|`, ...rows.map((r) => `| ${r.join(" | ")} |`)].join("\n");
}

/** Accuracy by length (rows) and depth (columns), one table per question, and a per-length summary with controls. */
export function lengthDepthTables(records: readonly AnswerRecord[]): string {
  const haystack = records.filter((r) => r.condition === "haystack");
  const lengths = [...new Set(haystack.map((r) => r.length))].sort((a, b) => a - b);
  const depths = [...new Set(haystack.map((r) => r.depth))].sort((a, b) => a - b);
  const byQuestion = (name: string, of: (rs: readonly AnswerRecord[]) => AnswerRecord[]) =>
    table(
      [`${name}: repo tokens`, ...depths.map((d) => `depth ${Math.round(d * 100)}%`), "all depths"],
      lengths.map((length) => {
        const rows = of(haystack.filter((r) => r.length === length));
        const tokens = Math.round(mean(rows.map((r) => r.repoTokens)));
        return [`${length} (${tokens})`, ...depths.map((d) => share(rows.filter((r) => r.depth === d), (r) => r.right)), share(rows, (r) => r.right)];
      }),
    );
  const summaryRows = [
    ...lengths.map((length) => summaryRow(`${length} tokens`, haystack.filter((r) => r.length === length))),
    summaryRow("control: no repo", records.filter((r) => r.condition === "no-repo")),
    summaryRow("control: needle file alone", records.filter((r) => r.condition === "needle-only")),
  ];
  return [
    byQuestion("literal", literal),
    byQuestion("defining file", file),
    table(["prompt", "literal right", "file right (whole path)", "file name only", "first citation within 3 lines", "cites path:line", "another needle's literal", "s per answer"], summaryRows),
  ].join("\n\n");
}

function summaryRow(label: string, records: readonly AnswerRecord[]): string[] {
  const lit = literal(records);
  const fil = file(records);
  return [
    label,
    share(lit, (r) => r.right),
    share(fil, (r) => r.right),
    share(fil, (r) => r.nameOnly),
    share(lit, (r) => r.citationRight),
    share(lit, (r) => r.cited),
    share(lit, (r) => r.confused),
    (mean(records.map((r) => r.ms)) / 1000).toFixed(1),
  ];
}

/** Exact two-sided McNemar (binomial) p on the discordant pairs. */
function mcnemar(better: number, worse: number): number {
  const n = better + worse;
  if (n === 0) return 1;
  let tail = 0;
  for (let k = 0; k <= Math.min(better, worse); k++) tail += binomial(n, k) / 2 ** n;
  return Math.min(1, 2 * tail);
}

function binomial(n: number, k: number): number {
  let c = 1;
  for (let i = 1; i <= k; i++) c = (c * (n - i + 1)) / i;
  return c;
}

/** Each variant against the default on the same seeds, needles and questions: shares and discordant pairs. */
export function variantTable(records: readonly AnswerRecord[], baseline: string): string {
  const conditions = [...new Set(records.map((r) => r.condition))];
  return conditions.map((c) => `${c}:\n\n${variantTableOf(records.filter((r) => r.condition === c), baseline)}`).join("\n\n");
}

function variantTableOf(records: readonly AnswerRecord[], baseline: string): string {
  const haystack = records;
  const key = (r: AnswerRecord) => `${r.seed}/${r.length}/${r.depth}/${r.question}`;
  const base = new Map(haystack.filter((r) => r.variant === baseline).map((r) => [key(r), r]));
  const names = [...new Set(haystack.map((r) => r.variant))];
  const rows = names.map((name) => {
    const mine = haystack.filter((r) => r.variant === name);
    let better = 0;
    let worse = 0;
    for (const r of mine) {
      const b = base.get(key(r));
      if (b && r.right && !b.right) better++;
      if (b && !r.right && b.right) worse++;
    }
    const paired = name === baseline ? "—" : `+${better} / −${worse} (p ${mcnemar(better, worse).toFixed(2)})`;
    return [
      name,
      share(literal(mine), (r) => r.right),
      share(file(mine), (r) => r.right),
      share(literal(mine), (r) => r.citationRight),
      paired,
      String(Math.round(mean(mine.map((r) => r.repoTokens)))),
      (mean(mine.map((r) => r.ms)) / 1000).toFixed(1),
    ];
  });
  return table(["variant", "literal right", "file right", "citation within 3 lines", "vs " + baseline + " (both questions)", "repo tokens", "s per answer"], rows);
}
