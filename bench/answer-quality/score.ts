/** Scoring one answer, and the Wilson interval of a share. */

export interface NeedleFacts {
  readonly literal: string;
  readonly path: string;
  readonly returnLine: number;
  /** Literals of the other needles in the same prompt (an answer naming one of them is a confusion). */
  readonly otherLiterals: readonly string[];
}

export interface LiteralScore {
  readonly right: boolean;
  /** Answered another needle's literal instead. */
  readonly confused: boolean;
  /** The first `path:line` in the answer, if any. */
  readonly citation?: { readonly path: string; readonly line: number };
  /** That first citation names the needle's file within 3 lines of its `return`. */
  readonly citationRight: boolean;
}

const CITATION = /([A-Za-z0-9_@.\-/]+\.[A-Za-z0-9]+):(\d+)/;

export function firstCitation(answer: string): { path: string; line: number } | undefined {
  const match = CITATION.exec(answer);
  return match ? { path: match[1]!.replace(/^\.?\//, ""), line: Number(match[2]) } : undefined;
}

export function scoreLiteral(answer: string, facts: NeedleFacts): LiteralScore {
  const right = answer.includes(facts.literal);
  const confused = !right && facts.otherLiterals.some((other) => answer.includes(other));
  const citation = firstCitation(answer);
  const citationRight = !!citation && citation.path === facts.path && Math.abs(citation.line - facts.returnLine) <= 3;
  return { right, confused, citation, citationRight };
}

export interface FileScore {
  /** The needle's whole workspace-relative path is in the answer. */
  readonly right: boolean;
  /** Only its file name is (a looser reading). */
  readonly nameOnly: boolean;
}

export function scoreFile(answer: string, facts: Pick<NeedleFacts, "path">): FileScore {
  const right = answer.includes(facts.path);
  const name = facts.path.split("/").pop()!;
  return { right, nameOnly: !right && answer.includes(name) };
}

/** Wilson score interval (95%) of `hits` out of `n`: honest at small n and near 0 or 1, unlike p ± 1.96·SE. */
export function wilson(hits: number, n: number, z = 1.96): { low: number; high: number } {
  if (n === 0) return { low: 0, high: 1 };
  const p = hits / n;
  const z2 = z * z;
  const centre = (p + z2 / (2 * n)) / (1 + z2 / n);
  const half = (z * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n))) / (1 + z2 / n);
  return { low: Math.max(0, centre - half), high: Math.min(1, centre + half) };
}

/** "47% [31–63]" */
export function formatShare(hits: number, n: number): string {
  if (n === 0) return "–";
  const { low, high } = wilson(hits, n);
  const pct = (x: number) => Math.round(x * 100);
  return `${pct(hits / n)}% [${pct(low)}–${pct(high)}]`;
}
