/** `longrope-qa`: the same core as the extension, from a terminal. Answers on stdout; progress and errors on stderr. */
import * as os from "node:os";
import * as path from "node:path";
import { existsSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import type { RepoQaConfig } from "./engine/api";
import { RepoQa } from "./engine/repoQa";
import { packWorkspace, toPackJson } from "./workspace/index";
import { runLongropeCli } from "./longrope/cli";
import { describeError } from "./util/errors";
import { optionalWholeNumber } from "./util/args";
import { createProgressPrinter } from "./cliProgress";
import { fetchTestModel, isTestModelName, testModels } from "./engine/testModels";

const USAGE = `Usage:
  longrope-qa ask  [--workspace DIR] [--model PATH] [--max-tokens N] [--threads N] [--no-saved-states] QUESTION
  longrope-qa pack [--workspace DIR] [--model PATH] [--budget TOKENS] [--json] [--out FILE]
  longrope-qa longrope factors|eval|search|extend …   (longrope-qa longrope --help)

--model takes a GGUF path or the name of a small test model (${Object.keys(testModels).join(", ")}), fetched
into ~/.cache/longrope-qa/models on first use. Without --model the default LongRoPE model (Phi-4-mini-instruct,
128k) is downloaded on first use. --no-saved-states keeps the repo's KV state in memory only (nothing of the
prompt is written to disk; the next run reads the repo again).`;

const options = {
  workspace: { type: "string" },
  model: { type: "string" },
  "max-tokens": { type: "string" },
  threads: { type: "string" },
  budget: { type: "string" },
  include: { type: "string", multiple: true },
  exclude: { type: "string", multiple: true },
  json: { type: "boolean" },
  out: { type: "string" },
  "no-saved-states": { type: "boolean" },
  help: { type: "boolean", short: "h" },
} as const;

/** A `--model` that names a test model (and is not a file here) is fetched into the cache folder first. */
async function modelFrom(value: unknown): Promise<string> {
  if (value === undefined) return "";
  const given = String(value);
  if (isTestModelName(given) && !existsSync(given)) {
    return fetchTestModel(given, { log: (line) => process.stderr.write(`${line}\n`) });
  }
  return path.resolve(given);
}

async function configFrom(values: Record<string, unknown>, question?: string): Promise<RepoQaConfig> {
  const workspace = path.resolve(String(values.workspace ?? process.cwd()));
  const model = await modelFrom(values.model);
  return {
    pack: {
      roots: [{ name: path.basename(workspace), path: workspace }],
      include: (values.include as string[] | undefined) ?? [],
      exclude: (values.exclude as string[] | undefined) ?? [],
      budgetTokens: optionalWholeNumber(values.budget as string | undefined, "--budget"),
      question,
    },
    engine: { modelPath: model, threads: optionalWholeNumber(values.threads as string | undefined, "--threads") ?? 0 },
  };
}

function newService(values: Record<string, unknown> = {}): RepoQa {
  return new RepoQa({
    saveStates: () => values["no-saved-states"] !== true,
    workerPath: path.join(__dirname, "engineWorker.mjs"),
    storageDir: path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), ".cache"), "longrope-qa"),
    log: (level, message) => {
      if (level === "error" || process.env.LONGROPE_QA_DEBUG) process.stderr.write(`[${level}] ${message}\n`);
    },
  });
}

async function withService<T>(run: (service: RepoQa, signal: AbortSignal) => Promise<T>, values: Record<string, unknown> = {}): Promise<T> {
  const service = newService(values);
  const abort = new AbortController();
  const onSigint = () => abort.abort();
  process.once("SIGINT", onSigint);
  const signal = abort.signal;
  try {
    return await run(service, signal);
  } finally {
    process.off("SIGINT", onSigint);
    // The worker saves the repo's KV state after answering; let it finish so the next run on this repo starts warm.
    await service.dispose({ graceMs: signal.aborted ? 0 : 30_000 });
  }
}

async function ask(values: Record<string, unknown>, positionals: string[]): Promise<number> {
  const question = positionals.join(" ").trim();
  if (!question) throw new Error("Give a question, e.g. longrope-qa ask \"Where is the entry point?\"");
  const config = await configFrom(values, question);
  const maxTokens = optionalWholeNumber(values["max-tokens"] as string | undefined, "--max-tokens") ?? 1024;
  const progress = createProgressPrinter(process.stderr);
  const result = await withService((service, signal) =>
    service.ask(config, { question, maxTokens }, {
      signal,
      onToken: (text) => process.stdout.write(text),
      onStatus: progress.update,
    }),
    values,
  );
  progress.done();
  process.stdout.write("\n");
  process.stderr.write(
    `${result.cancelled ? "cancelled" : "done"}: ${result.promptTokens} prompt tokens (${result.reusedTokens} reused), ` +
      `${result.generatedTokens} generated, first token after ${result.ttftMs.toFixed(0)} ms\n`,
  );
  return result.cancelled ? 130 : 0;
}

async function pack(values: Record<string, unknown>): Promise<number> {
  const config = await configFrom(values);
  const progress = createProgressPrinter(process.stderr);
  const result = config.engine.modelPath
    ? await withService((service, signal) => service.pack(config, { signal, onStatus: progress.update }))
    : await packWorkspace({ ...config.pack, onProgress: (p) => progress.update({ state: "packing", ...p }) });
  progress.done();
  if (values.out) await writeFile(String(values.out), result.text, "utf8");
  if (values.json) {
    process.stdout.write(JSON.stringify(toPackJson(result), null, 2) + "\n");
  } else {
    for (const f of result.included) process.stdout.write(`${f.path}\t${f.bytes} B${f.tokens === undefined ? "" : `\t${f.tokens} tok`}\n`);
    for (const f of result.excluded) process.stdout.write(`- ${f.path}\t${f.reason}\n`);
    const tokens = result.totalTokens === undefined ? "" : `, ${result.totalTokens} tokens`;
    process.stderr.write(`${result.included.length} files included, ${result.excluded.length} excluded${tokens}\n`);
  }
  return 0;
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === "longrope") return runLongropeCli(rest);
  const { values, positionals } = parseArgs({ args: rest, options, allowPositionals: true });
  if (values.help || !command || command === "help" || command === "--help") {
    process.stdout.write(USAGE + "\n");
    return command ? 0 : 2;
  }
  if (command === "ask") return ask(values, positionals);
  if (command === "pack") return pack(values);
  process.stderr.write(`Unknown command "${command}".\n${USAGE}\n`);
  return 2;
}

main(process.argv.slice(2)).then(
  (code) => (process.exitCode = code),
  (error) => {
    process.stderr.write(`longrope-qa: ${describeError(error)}\n`);
    process.exitCode = 1;
  },
);
