/**
 * Runs `longrope-qa longrope search` in a child process (it loads node-llama-cpp, whose native crashes must not take
 * the caller down) and reads the factors file it writes. Used by the VS Code command; the CLI calls the search directly.
 */
import { fork } from "node:child_process";
import { readFile, rm } from "node:fs/promises";
import { RepoQaError } from "../util/errors";
import type { FactorsFile } from "./factorsFile";

export interface SearchProcessOptions {
  /** The bundled CLI (`dist/cli.js`). */
  readonly cliPath: string;
  readonly modelPath: string;
  /** Text the search optimises perplexity on (e.g. the packed workspace). */
  readonly textPath: string;
  readonly targetContext: number;
  readonly originalContext: number;
  readonly budgetSeconds: number;
  readonly outPath: string;
  readonly threads?: number;
  readonly signal?: AbortSignal;
  readonly onProgress?: (progress: SearchProcessProgress) => void;
  /** Every stderr line of the search (its own progress sentences), for a log. */
  readonly log?: (line: string) => void;
}

export interface SearchProcessProgress {
  readonly iteration: number;
  readonly iterations: number;
  readonly bestPpl?: number;
}

/** B's search prints "iteration i/n: k evaluated, best ppl X …" on stderr. */
export function parseSearchProgress(line: string): SearchProcessProgress | undefined {
  const m = /^iteration (\d+)\/(\d+): \d+ evaluated, best ppl ([\d.]+|undefined)/.exec(line.trim());
  if (!m) return undefined;
  const best = Number(m[3]);
  return { iteration: Number(m[1]), iterations: Number(m[2]), ...(Number.isFinite(best) ? { bestPpl: best } : {}) };
}

/** Resolves with the searched factors; rejects with an AbortError when `signal` aborts (the child is stopped). */
export async function runSearchProcess(o: SearchProcessOptions): Promise<FactorsFile> {
  o.signal?.throwIfAborted();
  const args = [
    "longrope", "search", "--model", o.modelPath, "--text", o.textPath, "--target-length", String(o.targetContext),
    "--original-context", String(o.originalContext), "--budget", String(o.budgetSeconds), "--out", o.outPath,
    ...(o.threads ? ["--threads", String(o.threads)] : []),
  ];
  const child = fork(o.cliPath, args, {
    stdio: ["ignore", "pipe", "pipe", "ipc"],
    env: { ...process.env, ...(process.versions.electron ? { ELECTRON_RUN_AS_NODE: "1" } : {}) },
  });
  let lastError = "";
  let pending = "";
  child.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
    const lines = (pending + chunk).split(/\r?\n|\r/);
    pending = lines.pop() ?? "";
    for (const line of lines.filter(Boolean)) {
      o.log?.(line);
      const progress = parseSearchProgress(line);
      if (progress) o.onProgress?.(progress);
      else lastError = line;
    }
  });
  const onAbort = () => {
    child.kill("SIGINT");
    setTimeout(() => child.exitCode === null && child.kill("SIGKILL"), 5000).unref();
  };
  o.signal?.addEventListener("abort", onAbort, { once: true });
  try {
    const code = await new Promise<number | null>((resolve, reject) => {
      child.once("error", reject);
      child.once("exit", (c) => resolve(c));
    });
    if (o.signal?.aborted) {
      await rm(o.outPath, { force: true });
      o.signal.throwIfAborted();
    }
    if (code !== 0) {
      throw new RepoQaError(`The LongRoPE search stopped (exit code ${code}): ${lastError.replace(/^longrope search: /, "") || "see the log"}`, "internal");
    }
    return JSON.parse(await readFile(o.outPath, "utf8")) as FactorsFile;
  } finally {
    o.signal?.removeEventListener("abort", onAbort);
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  }
}
