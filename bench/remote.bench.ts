// Remote-backend benchmark: the follow-up question's time to first token against a real OpenAI-compatible server
// (llama-cpp-python, SmolLM2-135M-Instruct, built by scripts/ensure-llama-server.sh), beside the local engine on
// the same model and repo. Each run starts a fresh server (cold prefix cache) and a fresh service.
//   P1_remote_followup_ttft_ratio  follow-up TTFT ÷ first-question TTFT, server's prefix cache   (goal ≤ 0.3)
//   P1_local_smollm2_ratio         the same through the local worker's KV cache                 (for comparison)
// `node --import tsx bench/remote.bench.ts [--json] [--runs N]`. Timings on a shared machine: read the ratios.
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { RepoQaConfig } from "../src/engine/api";
import { RepoQa } from "../src/engine/repoQa";
import { findTestModel } from "../src/engine/testModels";
import { startLlamaServer } from "../test/support/llamaServer";

const root = path.resolve(__dirname, "..");
const json = process.argv.includes("--json");
const runsArg = process.argv.indexOf("--runs");
const runs = runsArg > 0 ? Number(process.argv[runsArg + 1]) : 3;
const temp = mkdtempSync(path.join(os.tmpdir(), "remote-bench-"));
const workspace = path.join(temp, "repo");
const questions = ["Which module filters values by a limit?", "And which one maps them?"];

/** About 5k SmolLM2 tokens of TypeScript: most of the first question's wait is reading it. */
function makeRepo(): void {
  mkdirSync(path.join(workspace, "src"), { recursive: true });
  for (let i = 0; i < 12; i++) {
    const lines = [`// Module ${i}: helpers for the order pipeline.`];
    for (let f = 0; f < 6; f++) {
      lines.push(`export function step${i}_${f}(input: number[], limit = ${i * 7 + f}): number[] {`);
      lines.push(`  const kept = input.filter((value) => value % ${f + 2} !== 0 && value < limit);`);
      lines.push(`  return kept.map((value, index) => value * ${i + 1} + index); // stage ${i}.${f}`, "}");
    }
    writeFileSync(path.join(workspace, "src", `module${i}.ts`), lines.join("\n") + "\n");
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

async function followUp(config: RepoQaConfig, run: string): Promise<{ ratio: number; first: number; followUp: number; promptTokens: number }> {
  const qa = new RepoQa({ workerPath: path.join(root, "dist/engineWorker.mjs"), storageDir: path.join(temp, run), log: () => undefined });
  try {
    await qa.pack(config); // model loaded / server read and tokenizer probed: the first TTFT is reading the prompt
    const first = await qa.ask(config, { question: questions[0]!, maxTokens: 8 });
    const second = await qa.ask(config, { question: questions[1]!, maxTokens: 8 });
    return { ratio: second.ttftMs / first.ttftMs, first: first.ttftMs, followUp: second.ttftMs, promptTokens: first.promptTokens };
  } finally {
    await qa.dispose();
  }
}

async function main(): Promise<void> {
  execFileSync(process.execPath, ["esbuild.mjs", "--only=engineWorker"], { cwd: root, stdio: "ignore" });
  const model = findTestModel("smollm2", root);
  if (!model) throw new Error("SmolLM2-135M-Instruct is missing; run: node --import tsx scripts/fetch-models.ts");
  makeRepo();
  const pack = { roots: [{ name: "repo", path: workspace }] };
  const remote: Awaited<ReturnType<typeof followUp>>[] = [];
  const local: Awaited<ReturnType<typeof followUp>>[] = [];
  for (let run = 0; run < runs; run++) {
    const server = await startLlamaServer({ modelPath: model, threads: 2 });
    try {
      remote.push(await followUp({ pack, engine: { modelPath: "", threads: 2 }, remote: { endpoint: server.url } }, `remote-${run}`));
    } finally {
      await server.stop();
    }
    local.push(await followUp({ pack, engine: { modelPath: model, threads: 2, gpu: "cpu" } }, `local-${run}`));
  }
  const result = { P1_remote_followup_ttft_ratio: median(remote.map((r) => r.ratio)), P1_local_smollm2_ratio: median(local.map((r) => r.ratio)) };
  if (json) return void process.stdout.write(JSON.stringify(result) + "\n");
  const fmt = (n: number) => n.toFixed(n < 10 ? 3 : 0);
  const row = (key: string, rs: typeof remote, goal: string, what: string) =>
    `| ${key} | ${fmt(median(rs.map((r) => r.ratio)))} | ${goal} | ${what}: TTFT first ${fmt(median(rs.map((r) => r.first)))} ms, follow-up ${fmt(median(rs.map((r) => r.followUp)))} ms, prompt ${rs[0]!.promptTokens} tokens |\n`;
  process.stdout.write(`SmolLM2-135M-Instruct Q4_1, 2 threads, median of ${runs} runs (shared machine)\n\n| key | median | goal | detail |\n|---|---|---|---|\n`);
  process.stdout.write(row("P1_remote_followup_ttft_ratio", remote, "≤ 0.3", "llama-cpp-python 0.3.36"));
  process.stdout.write(row("P1_local_smollm2_ratio", local, "—", "local worker"));
}

main()
  .catch((error) => {
    process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
    process.exitCode = 1;
  })
  .finally(() => rmSync(temp, { recursive: true, force: true }));
