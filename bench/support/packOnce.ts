/**
 * One pack in a process of its own (what a second CLI run or a new window does), printed as JSON on stdout: the pack's
 * own time, the process's peak memory, what the pack had to compute. The engine (the tokenizer) is started only if the
 * pack asks for a count, and its start is left out of `packMs` (in the product it is already running).
 * `node --import tsx bench/support/packOnce.ts '{"root":…,"model":…,"budgetTokens":…,"defaultExcludes":…}'`
 */
import { packWorkspace } from "../../src/workspace/index";
import type { TokenCounter } from "../../src/workspace/types";
import { startEnginePool, type EngineCounter } from "./engineCounter";

interface Job {
  readonly root: string;
  readonly model: string;
  readonly cacheKey: string;
  readonly budgetTokens?: number;
  readonly defaultExcludes?: boolean;
  /** Engine processes counting in parallel (default 1). */
  readonly engines?: number;
}

async function main(): Promise<void> {
  const job = JSON.parse(process.argv[2]!) as Job;
  let engine: Promise<EngineCounter> | undefined;
  let engineMs = 0;
  const counter: TokenCounter = {
    cacheKey: job.cacheKey,
    async countTokens(texts, signal) {
      if (!engine) {
        const started = performance.now();
        engine = startEnginePool(job.model, job.engines ?? 1);
        await engine;
        engineMs = performance.now() - started;
      }
      return (await engine).counter.countTokens(texts, signal);
    },
  };
  let peakHeap = 0;
  const sample = setInterval(() => (peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed)), 50);
  const started = performance.now();
  const r = await packWorkspace({
    roots: [{ name: "repo", path: job.root }],
    tokenCounter: counter,
    defaultExcludes: job.defaultExcludes ?? true,
    maxFileBytes: 1024 * 1024,
    ...(job.budgetTokens === undefined ? {} : { budgetTokens: job.budgetTokens }),
  });
  const packMs = performance.now() - started - engineMs;
  clearInterval(sample);
  peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
  const out = {
    packMs: Math.round(packMs),
    processMs: Math.round(process.uptime() * 1000 - engineMs),
    engineStarted: engine !== undefined,
    files: r.included.length,
    totalTokens: r.totalTokens,
    work: r.work,
    peakHeapMB: Math.round(peakHeap / 2 ** 20),
    maxRssMB: Math.round(process.resourceUsage().maxRSS / 1024),
  };
  if (engine) await (await engine).dispose();
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

void main().catch((error) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exitCode = 1;
});
