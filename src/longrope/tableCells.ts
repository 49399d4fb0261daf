/**
 * The cells of the LongRoPE table on a real model: perplexity by position on long documents, and passkey retrieval,
 * for one method at one length. Each cell records its wall and CPU time (the worker's own, read from /proc, so that
 * a shared machine's waiting is not counted as work).
 */
import { readFile } from "node:fs/promises";
import type { LongDocument } from "./documents";
import { runPasskeyCell, type PasskeyCell, type PasskeyPlan } from "./passkey";
import { measurePerplexity } from "./perplexity";
import type { PplProgress, RopeVariant } from "./pplProtocol";
import type { PplWorker } from "./pplWorker";

export interface CellTimes {
  readonly seconds: number;
  /** CPU seconds of the worker process (user + system); undefined off Linux. */
  readonly cpuSeconds?: number;
}

export interface PplCell extends CellTimes {
  readonly kind: "ppl";
  readonly method: string;
  readonly length: number;
  readonly scale: number;
  readonly documents: readonly string[];
  readonly ppl: number;
  readonly scoredTokens: number;
  readonly scoreEvery: number;
  /** Mean NLL per bucket of positions over all documents. */
  readonly buckets: readonly { readonly from: number; readonly to: number; readonly meanNll: number; readonly count: number }[];
}

export interface PasskeyTableCell extends CellTimes, Omit<PasskeyCell, "seconds"> {
  readonly kind: "passkey";
  readonly method: string;
  readonly length: number;
  readonly scale: number;
}

export type TableCell = PplCell | PasskeyTableCell;

export interface CellOptions {
  readonly threads: number;
  readonly flashAttention?: boolean;
  readonly signal?: AbortSignal;
  readonly onProgress?: (progress: PplProgress) => void;
}

export async function pplCell(
  worker: PplWorker, modelPath: string, variant: RopeVariant, docs: readonly LongDocument[],
  cell: { method: string; length: number; scale: number; scoreEvery: number; bucketTokens: number }, o: CellOptions,
): Promise<PplCell> {
  const cpu = await workerCpu(worker);
  const r = await measurePerplexity(worker, modelPath, variant, docs.map((d) => d.tokens.slice(0, cell.length)), {
    threads: o.threads, flashAttention: o.flashAttention, scoreEvery: cell.scoreEvery, bucketTokens: cell.bucketTokens, signal: o.signal, onProgress: o.onProgress,
  });
  return {
    kind: "ppl", ...cell, documents: docs.map((d) => d.label), ppl: r.ppl, scoredTokens: r.scoredTokens,
    buckets: (r.buckets ?? []).map((b) => ({ from: b.from, to: b.from + cell.bucketTokens, meanNll: b.sum / Math.max(1, b.count), count: b.count })),
    seconds: r.seconds, ...(await cpuSince(worker, cpu)),
  };
}

export async function passkeyTableCell(
  worker: PplWorker, modelPath: string, variant: RopeVariant, plan: PasskeyPlan, cell: { method: string; scale: number }, o: CellOptions,
): Promise<PasskeyTableCell> {
  const cpu = await workerCpu(worker);
  const r = await runPasskeyCell(worker, modelPath, variant, plan, o);
  return { kind: "passkey", ...cell, length: plan.length, ...r, ...(await cpuSince(worker, cpu)) };
}

/** Perplexity over positions [0, length) from the buckets of a longer run (causal: earlier positions never see later ones). */
export function pplUpTo(cell: PplCell, length: number): number {
  const inside = cell.buckets.filter((b) => b.to <= length);
  const count = inside.reduce((n, b) => n + b.count, 0);
  return Math.exp(inside.reduce((s, b) => s + b.meanNll * b.count, 0) / Math.max(1, count));
}

async function workerCpu(worker: PplWorker): Promise<number | undefined> {
  try {
    // Fields after the command name: state is field 3, utime 14, stime 15 (clock ticks, 100 per second on Linux).
    const stat = await readFile(`/proc/${worker.pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return undefined;
  }
}

async function cpuSince(worker: PplWorker, before: number | undefined): Promise<{ cpuSeconds?: number }> {
  const after = await workerCpu(worker);
  return before === undefined || after === undefined ? {} : { cpuSeconds: Math.round((after - before) * 10) / 10 };
}
