// Engine benchmark on llama-2-tiny-random.gguf (random weights, real 32k Llama-2 tokenizer) and a generated repo of
// ≥ 8k tokens; medians of several runs, each on a fresh worker and storage folder (no saved states carried over).
//   P1_tiny_random          follow-up TTFT ÷ first-question TTFT on the same packed repo (no chat template; the
//                           P1_followup_ttft_ratio of record is SmolLM2's, in engine-smollm2.bench.ts)
//   P2_ingest_efficiency    chunked ingest tokens/s ÷ one raw evaluate call on the same tokens     (goal ≥ 0.95)
//   P4_reingest_ratio       re-ingest after editing the newest file ÷ full ingest (worker time)    (goal ≤ 0.05)
// `node --import tsx bench/engine.bench.ts [--json] [--runs N] [--threads N] [--only=P1,P2,P4]`
// (ENGINE_BENCH_MODEL=stories260K.gguf runs it on another model of ../shared/models.)
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { RepoQaConfig } from "../src/engine/api";
import { RepoQa } from "../src/engine/repoQa";
import { buildHistory } from "../src/engine/worker/promptSession";

const root = path.resolve(__dirname, "..");
const modelPath = path.resolve(root, "../shared/models", process.env.ENGINE_BENCH_MODEL ?? "llama-2-tiny-random.gguf");
const json = process.argv.includes("--json");
const argValue = (name: string, fallback: number) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const runs = argValue("--runs", 5);
const threads = argValue("--threads", 1);
const temp = mkdtempSync(path.join(os.tmpdir(), "engine-bench-"));
const workspace = path.join(temp, "repo");
const modules = 20;
const newestFile = path.join(workspace, "src", `module${modules - 1}.ts`);
const config: RepoQaConfig = {
  pack: { roots: [{ name: "repo", path: workspace }] },
  // The model's metadata says 4096; the engine may allocate more (random weights: only speed matters here).
  engine: { modelPath, threads, maxContextSize: 32768 },
};

function makeRepo(): void {
  mkdirSync(path.join(workspace, "src"), { recursive: true });
  for (let i = 0; i < modules; i++) {
    const next = (i + 1) % modules;
    const lines = [`// Module ${i}: helpers for the order pipeline.`, `import { step${next}_0 } from "./module${next}";`];
    for (let f = 0; f < 6; f++) {
      lines.push(`export function step${i}_${f}(input: number[], limit = ${i * 7 + f}): number[] {`);
      lines.push(`  const kept = input.filter((value) => value % ${f + 2} !== 0 && value < limit);`);
      lines.push(`  return kept.map((value, index) => value * ${i + 1} + index); // stage ${i}.${f}`);
      lines.push("}");
    }
    const file = path.join(workspace, "src", `module${i}.ts`);
    writeFileSync(file, lines.join("\n") + "\n");
    const time = new Date(Date.UTC(2024, 0, 1) + i * 60_000);
    utimesSync(file, time, time);
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function service(run: string): RepoQa {
  return new RepoQa({ workerPath: path.join(root, "dist/engineWorker.mjs"), storageDir: path.join(temp, run), log: () => undefined });
}

async function followUpRatio(run: number): Promise<{ ratio: number; first: number; followUp: number; promptTokens: number }> {
  const qa = service(`p1-${run}`);
  try {
    await qa.pack(config); // loads the model, so the first TTFT is prompt reading, not model loading
    const first = await qa.ask(config, { question: "Which module filters values by a limit?", maxTokens: 8 });
    const followUp = await qa.ask(config, { question: "And which one maps them?", maxTokens: 8 });
    return { ratio: followUp.ttftMs / first.ttftMs, first: first.ttftMs, followUp: followUp.ttftMs, promptTokens: first.promptTokens };
  } finally {
    await qa.dispose();
  }
}

/** Raw node-llama-cpp: one evaluate call on the same prefix tokens, same threads and context size, in this process. */
async function rawTokensPerSecond(repoText: string, prefixTokens: number, contextSize: number): Promise<number> {
  const { getLlama, resolveChatWrapper, LlamaLogLevel } = await import("node-llama-cpp");
  const llama = await getLlama({ build: "never", gpu: false, maxThreads: threads, logLevel: LlamaLogLevel.error });
  const model = await llama.loadModel({ modelPath });
  const tokens = resolveChatWrapper(model)
    .generateContextState({ chatHistory: buildHistory(repoText, [], "") })
    .contextText.tokenize(model.tokenizer)
    .slice(0, prefixTokens);
  const context = await model.createContext({ contextSize, threads, flashAttention: false, sequences: 1 });
  const started = performance.now();
  await context.getSequence().evaluateWithoutGeneratingNewTokens(tokens);
  const ms = performance.now() - started;
  await context.dispose();
  await model.dispose();
  await llama.dispose();
  return tokens.length / (ms / 1000);
}

async function ingestEfficiency(run: number): Promise<{ ratio: number; pipeline: number; raw: number; request: number }> {
  const qa = service(`p2-${run}`);
  try {
    const packed = await qa.pack(config);
    const contextSize = 1024 * Math.ceil(((packed.totalTokens ?? 0) + 64 + 16 + 64) / 1024);
    // Raw runs before and after the pipeline's, so a change in machine load between them evens out.
    const rawBefore = await rawTokensPerSecond(packed.text, packed.totalTokens ?? 0, contextSize);
    const ingest = (await qa.prepare(config, {}, 64))!;
    const rawAfter = await rawTokensPerSecond(packed.text, ingest.prefixTokens, ingest.contextSize);
    const raw = (rawBefore + rawAfter) / 2;
    // The ingest pipeline: chunked evaluation with a progress frame and a cancel check per chunk. The whole request
    // also tokenizes the prompt, allocates the context and saves the state; shown beside it.
    const pipeline = ingest.evaluatedTokens / (ingest.evaluateMs / 1000);
    const request = ingest.evaluatedTokens / (ingest.ms / 1000);
    if (process.env.BENCH_DEBUG) process.stderr.write(`P2 run ${run}: ${JSON.stringify({ ingest, rawBefore, rawAfter })}\n`);
    return { ratio: pipeline / raw, pipeline, raw, request };
  } finally {
    await qa.dispose();
  }
}

async function reingestRatio(run: number): Promise<{ ratio: number; full: number; tail: number; evaluated: number; prefix: number }> {
  const original = readFileSync(newestFile);
  const qa = service(`p4-${run}`);
  try {
    await qa.pack(config);
    const full = (await qa.prepare(config, {}, 64))!;
    writeFileSync(newestFile, original.toString() + `export const edited${run} = ${run};\n`);
    const tail = (await qa.prepare(config, {}, 64))!;
    return { ratio: tail.ms / full.ms, full: full.ms, tail: tail.ms, evaluated: tail.evaluatedTokens, prefix: tail.prefixTokens };
  } finally {
    await qa.dispose();
    writeFileSync(newestFile, original);
    const time = new Date(Date.UTC(2024, 0, 1) + (modules - 1) * 60_000);
    utimesSync(newestFile, time, time);
  }
}

async function main(): Promise<void> {
  execFileSync(process.execPath, ["esbuild.mjs", "--only=engineWorker"], { cwd: root, stdio: "ignore" });
  makeRepo();
  const p1: Awaited<ReturnType<typeof followUpRatio>>[] = [];
  const p2: Awaited<ReturnType<typeof ingestEfficiency>>[] = [];
  const p4: Awaited<ReturnType<typeof reingestRatio>>[] = [];
  const only = process.argv.find((a) => a.startsWith("--only="))?.slice(7).split(",");
  const wanted = (key: string) => !only || only.includes(key);
  for (let run = 0; run < runs; run++) {
    if (wanted("P1")) p1.push(await followUpRatio(run));
    if (wanted("P2")) p2.push(await ingestEfficiency(run));
    if (wanted("P4")) p4.push(await reingestRatio(run));
  }
  const result = {
    ...(p1.length ? { P1_tiny_random: median(p1.map((r) => r.ratio)) } : {}),
    ...(p2.length ? { P2_ingest_efficiency: median(p2.map((r) => r.ratio)) } : {}),
    ...(p4.length ? { P4_reingest_ratio: median(p4.map((r) => r.ratio)) } : {}),
  };
  if (json) {
    process.stdout.write(JSON.stringify(result) + "\n");
    return;
  }
  const fmt = (n: number) => n.toFixed(n < 10 ? 3 : 0);
  const rows: string[][] = [];
  if (p1.length) rows.push(
    ["P1_tiny_random", fmt(result.P1_tiny_random!), "≤ 0.02", `TTFT first ${fmt(median(p1.map((r) => r.first)))} ms, follow-up ${fmt(median(p1.map((r) => r.followUp)))} ms, prompt ${p1[0]!.promptTokens} tokens`]);
  if (p2.length) rows.push(
    ["P2_ingest_efficiency", fmt(result.P2_ingest_efficiency!), "≥ 0.95", `chunked ingest ${fmt(median(p2.map((r) => r.pipeline)))} tok/s (whole request with tokenizing, context, state save ${fmt(median(p2.map((r) => r.request)))}), one raw call ${fmt(median(p2.map((r) => r.raw)))} tok/s`]);
  if (p4.length) rows.push(
    ["P4_reingest_ratio", fmt(result.P4_reingest_ratio!), "≤ 0.05", `full ${fmt(median(p4.map((r) => r.full)))} ms, after edit ${fmt(median(p4.map((r) => r.tail)))} ms (${p4[0]!.evaluated} of ${p4[0]!.prefix} tokens)`]);
  process.stdout.write(`${path.basename(modelPath)}, ${threads} thread(s), median of ${runs} runs\n\n| key | median | goal | detail |\n|---|---|---|---|\n`);
  for (const row of rows) process.stdout.write(`| ${row.join(" | ")} |\n`);
}

main()
  .catch((error) => {
    process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
    process.exitCode = 1;
  })
  .finally(() => rmSync(temp, { recursive: true, force: true }));
