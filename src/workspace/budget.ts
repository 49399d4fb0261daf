/**
 * Fitting a token budget. Files come ranked (./rank); they are taken greedily in rank order while they fit (a file
 * that does not fit is skipped and smaller ones after it may still go in); the rest are left out with reason
 * "budget". Every decision to admit uses the file's exact count. Only files that may fit are counted: a file whose
 * estimate, scaled down by LOW_FACTOR, is already over what is left is skipped uncounted, and files are counted in
 * batches of those that an estimate-driven run of the same greedy would admit next.
 */
import type { RankedFile } from "./rank";

/**
 * Estimates are lowered by this factor before a file is skipped uncounted, so that a file the estimate overrates
 * still gets counted. With ratios learned per extension from every file, the lowest exact ÷ estimate was 0.585 over
 * 4,697 files (18 npm packages and this repository, Llama-2 and SmolLM2 tokenizers; 1% of files below 0.75); at
 * budgets from 1k to 2M tokens the choice equalled exact counting everywhere, tokenizing ~3% of a 6M-token tree at
 * 128k (0.8 tokenized ~15% less there, with the same choices, but less margin).
 */
export const LOW_FACTOR = 0.5;
/** Most files and characters counted in one batch before their counts steer the next. */
const BATCH_FILES = 2048;
const BATCH_CHARS = 4_000_000;

/** Token counts: exact once prepared, estimated until then. */
export interface Sizing {
  exact(i: number): number | undefined;
  estimate(i: number): number;
  /** Characters of file i (bounds a batch). */
  chars(i: number): number;
  prepare(indices: readonly number[]): Promise<void>;
}

export interface BudgetChoice {
  /** Indices kept, in rank order. */
  readonly keep: readonly number[];
  /** Index → why it was left out ("1,234 tokens; lower priority"). */
  readonly dropped: ReadonlyMap<number, string>;
}

/** The greedy run over `ranked` with `filesBudget` tokens for the files, counting only what may fit. */
export async function fitBudget(ranked: readonly RankedFile[], filesBudget: number, sizing: Sizing): Promise<BudgetChoice> {
  const keep: number[] = [];
  const dropped = new Map<number, string>();
  let used = 0;
  for (let pos = 0; pos < ranked.length; pos++) {
    const { index, tier } = ranked[pos]!;
    let tokens = sizing.exact(index);
    if (tokens === undefined && Math.floor(sizing.estimate(index) * LOW_FACTOR) <= filesBudget - used) {
      await sizing.prepare(nextBatch(ranked, pos, filesBudget - used, sizing));
      tokens = sizing.exact(index)!;
    }
    if (tokens !== undefined && used + tokens <= filesBudget) {
      used += tokens;
      keep.push(index);
    } else {
      const size = tokens === undefined ? `about ${sizing.estimate(index)} tokens (estimated)` : `${tokens} tokens`;
      const why = tier === "generated" ? "large generated-looking file" : tier === "pinned" ? "pinned, but alone over the budget" : "lower priority";
      dropped.set(index, `${size}; ${why}`);
    }
  }
  return { keep, dropped };
}

/** Uncounted files from `pos` on that the greedy would admit with estimates, plus those within LOW_FACTOR of fitting. */
function nextBatch(ranked: readonly RankedFile[], pos: number, left: number, sizing: Sizing): number[] {
  const batch: number[] = [];
  let chars = 0;
  for (let p = pos; p < ranked.length && left >= 1 && batch.length < BATCH_FILES && chars < BATCH_CHARS; p++) {
    const i = ranked[p]!.index;
    const exact = sizing.exact(i);
    if (exact !== undefined) {
      if (exact <= left) left -= exact;
      continue;
    }
    const estimate = sizing.estimate(i);
    if (Math.floor(estimate * LOW_FACTOR) > left) continue;
    batch.push(i);
    chars += sizing.chars(i);
    left -= estimate;
  }
  return batch;
}

/**
 * The files to keep within `budget` tokens, header included. The header lists the kept files, so its size depends on
 * the choice: the files get the budget less the header of the files they would fill it with, and then the largest
 * files' budget whose choice still fits with its own header is searched between that and the instruction alone (a
 * few rounds of bisection). If even the first guess does not fit, the header listing every file bounds any choice.
 */
export async function chooseWithinBudget(
  ranked: readonly RankedFile[],
  budget: number,
  sizing: Sizing,
  headerTokensOf: (indices: readonly number[]) => Promise<number>,
): Promise<BudgetChoice> {
  const fit = (filesBudget: number) => fitBudget(ranked, filesBudget, sizing);
  const totalOf = async (c: BudgetChoice) => (await headerTokensOf(c.keep)) + c.keep.reduce((n, i) => n + sizing.exact(i)!, 0);
  let high = budget - (await headerTokensOf([]));
  let choice = await fit(high);
  if ((await totalOf(choice)) <= budget) return choice;
  let low = budget - (await headerTokensOf(choice.keep));
  choice = await fit(low);
  if ((await totalOf(choice)) > budget) {
    low = budget - (await headerTokensOf(ranked.map((r) => r.index)));
    choice = await fit(low);
  }
  for (let round = 0; round < 8 && high - low > 1; round++) {
    const middle = Math.floor((low + high) / 2);
    const candidate = await fit(middle);
    if ((await totalOf(candidate)) <= budget) {
      low = middle;
      choice = candidate;
    } else high = middle;
  }
  return choice;
}
