/** The markdown tables and the plot data of a LongRoPE table run (scripts/longrope-table.ts). */
import { methodLabels } from "./perplexity";
import { pplUpTo, type PasskeyTableCell, type PplCell, type TableCell } from "./tableCells";

export interface TableResults {
  readonly settings: { readonly window: number; readonly native: readonly number[]; readonly lengths: readonly number[]; readonly methods: readonly string[] };
  readonly cells: readonly TableCell[];
}

export interface TableReport {
  readonly markdown: string;
  readonly plot: { lengths: number[]; originalContext: number; rows: { method: string; length: number; ppl: number }[] };
}

export function markdownTables(r: TableResults): TableReport {
  const { window, native, lengths, methods } = r.settings;
  const ppl = r.cells.filter((c): c is PplCell => c.kind === "ppl");
  const passkey = r.cells.filter((c): c is PasskeyTableCell => c.kind === "passkey");
  const columns = [...native, ...lengths.filter((l) => !native.includes(l))];
  const head = (first: string) => `| ${first} | ${columns.map((l) => `${l.toLocaleString("en-US")}${l > window ? ` (×${+(l / window).toFixed(2)})` : ""}`).join(" | ")} |\n|---|${columns.map(() => "---:").join("|")}|`;
  // A saved report may name a method this build no longer knows: it is shown as it is.
  const labels: Readonly<Partial<Record<string, string>>> = methodLabels;
  const label = (m: string) => labels[m] ?? m;
  const pplAt = (method: string, length: number) => {
    const own = ppl.find((c) => c.method === method && c.length === length);
    if (own) return own.ppl.toFixed(3);
    // Within the window every method is the plain model; its perplexity over [0, length) comes from the longest run.
    const plain = ppl.filter((c) => c.method === "none" && c.length >= length).sort((a, b) => a.length - b.length)[0];
    return length <= window && plain && method === "none" ? pplUpTo(plain, length).toFixed(3) : "—";
  };
  const pk = (method: string, length: number) => {
    const c = passkey.find((x) => x.method === method && x.length === length);
    if (!c) return "—";
    const n = c.trials.length;
    return `${Math.round(c.accuracy * n)}/${n} · ${Math.round(c.rankedFirst * n)}/${n}`;
  };
  const rows = (cell: (m: string, l: number) => string, names: readonly string[]) =>
    names.map((m) => `| ${label(m)} | ${columns.map((l) => cell(m, l)).join(" | ")} |`).join("\n");
  const extraPpl = [...new Set(ppl.map((c) => c.method).filter((m) => !methods.includes(m)))];
  const markdown = [
    "Passkey: greedy answers whose first integer is the key / trials where the key out-scores all 9 decoys",
    "",
    head("method"),
    rows(pk, methods),
    "",
    "Perplexity over every scored position of the evaluation documents",
    "",
    head("method"),
    rows(pplAt, [...methods, ...extraPpl]),
  ].join("\n");
  // The plot: perplexity of each 1k bucket by position, for each method's longest run.
  const plotRows: { method: string; length: number; ppl: number }[] = [];
  for (const method of methods) {
    const longest = ppl.filter((c) => c.method === method).sort((a, b) => b.length - a.length)[0];
    for (const b of longest?.buckets ?? []) if (b.count > 0) plotRows.push({ method, length: b.to, ppl: Math.exp(b.meanNll) });
  }
  return { markdown, plot: { lengths: [...new Set(plotRows.map((p) => p.length))].sort((a, b) => a - b), originalContext: window, rows: plotRows } };
}
