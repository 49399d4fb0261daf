/** `longrope-qa`: the same core as the extension, from a terminal. Answers on stdout; progress and errors on stderr. */
import * as os from "node:os";
import * as path from "node:path";
import { existsSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import { defaultMaxTokens, type EngineStatus, type RemoteEngineConfig, type RepoQaConfig, type ServicePackResult } from "./engine/api";
import { insecureWarning, parseEndpoint } from "./engine/remote/endpoint";
import { RepoQa } from "./engine/repoQa";
import { packWorkspace, toPackJson } from "./workspace/index";
import { runLongropeCli } from "./longrope/cli";
import { RepoQaError, describeError } from "./util/errors";
import { optionalWholeNumber } from "./util/args";
import { createProgressPrinter } from "./cliProgress";
import { fetchTestModel, isTestModelName, testModels } from "./engine/testModels";

const USAGE = `Usage:
  longrope-qa ask  [--workspace DIR] [--model PATH] [--max-tokens N] [--threads N] [--no-saved-states]
                   [--endpoint URL [--endpoint-model NAME] [--endpoint-timeout SECONDS]] QUESTION
  longrope-qa pack [--workspace DIR] [--model PATH] [--budget TOKENS] [--json] [--out FILE] [--endpoint URL …]
  longrope-qa longrope factors|eval|search|extend …   (longrope-qa longrope --help)

--model takes a GGUF path or the name of a small test model (${Object.keys(testModels).join(", ")}), fetched
into ~/.cache/longrope-qa/models on first use. Without --model the default LongRoPE model (Phi-4-mini-instruct,
128k) is downloaded on first use. --no-saved-states keeps the repo's KV state in memory only (nothing of the
prompt is written to disk; the next run reads the repo again).

--endpoint sends the packed repository and the question to an OpenAI-compatible server (its /v1 base URL) instead
of the local model; the API key, if the server wants one, comes from LONGROPE_QA_API_KEY. With --endpoint, --model
only lends its tokenizer when the server has none; --endpoint-timeout (default 300) is how long the server may send
nothing, before the first token or between two.`;

const options = {
  workspace: { type: "string" },
  model: { type: "string" },
  "max-tokens": { type: "string" },
  threads: { type: "string" },
  endpoint: { type: "string" },
  "endpoint-model": { type: "string" },
  "endpoint-timeout": { type: "string" },
  budget: { type: "string" },
  include: { type: "string", multiple: true },
  exclude: { type: "string", multiple: true },
  json: { type: "boolean" },
  out: { type: "string" },
  "no-saved-states": { type: "boolean" },
  help: { type: "boolean", short: "h" },
} as const;

type CliValues = ReturnType<typeof parseArgs<{ options: typeof options; allowPositionals: true }>>["values"];

/** A `--model` that names a test model (and is not a file here) is fetched into the cache folder first. */
async function modelFrom(given: string | undefined): Promise<string> {
  if (given === undefined) return "";
  if (isTestModelName(given) && !existsSync(given)) {
    return fetchTestModel(given, { log: (line) => process.stderr.write(`${line}\n`) });
  }
  return path.resolve(given);
}

async function configFrom(values: CliValues, question?: string): Promise<RepoQaConfig> {
  const workspace = path.resolve(values.workspace ?? process.cwd());
  const model = await modelFrom(values.model);
  return {
    pack: {
      roots: [{ name: path.basename(workspace), path: workspace }],
      include: values.include ?? [],
      exclude: values.exclude ?? [],
      budgetTokens: optionalWholeNumber(values.budget, "--budget"),
      question,
    },
    engine: { modelPath: model, threads: optionalWholeNumber(values.threads, "--threads") ?? 0 },
    remote: remoteFrom(values),
  };
}

function remoteFrom(values: CliValues): RemoteEngineConfig | undefined {
  if (values.endpoint === undefined) {
    if (values["endpoint-model"] !== undefined) throw new Error("--endpoint-model needs --endpoint URL.");
    return undefined;
  }
  const endpoint = values.endpoint;
  const parsed = parseEndpoint(endpoint);
  if (parsed.insecure) process.stderr.write(`warning: ${insecureWarning(parsed)}\n`);
  const model = values["endpoint-model"];
  const apiKey = process.env.LONGROPE_QA_API_KEY || undefined;
  const timeoutSeconds = optionalWholeNumber(values["endpoint-timeout"], "--endpoint-timeout");
  return { endpoint, ...(model ? { model } : {}), ...(apiKey ? { apiKey } : {}), ...(timeoutSeconds ? { timeoutMs: timeoutSeconds * 1000 } : {}) };
}

function newService(values: CliValues = {}): RepoQa {
  return new RepoQa({
    saveStates: () => values["no-saved-states"] !== true,
    workerPath: path.join(__dirname, "engineWorker.mjs"),
    storageDir: path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), ".cache"), "longrope-qa"),
    log: (level, message) => {
      if (level === "error" || process.env.LONGROPE_QA_DEBUG) process.stderr.write(`[${level}] ${message}\n`);
    },
  });
}

async function withService<T>(run: (service: RepoQa, signal: AbortSignal) => Promise<T>, values: CliValues = {}): Promise<T> {
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

async function ask(values: CliValues, positionals: string[]): Promise<number> {
  const question = positionals.join(" ").trim();
  if (!question) throw new Error("Give a question, e.g. longrope-qa ask \"Where is the entry point?\"");
  const config = await configFrom(values, question);
  const maxTokens = optionalWholeNumber(values["max-tokens"], "--max-tokens") ?? defaultMaxTokens;
  const progress = createProgressPrinter(process.stderr);
  // "ready" comes when the answer ends: printed after the answer's own line, not in the middle of it.
  let ready: EngineStatus | undefined;
  const result = await withService((service, signal) =>
    service.ask(config, { question, maxTokens }, {
      signal,
      onToken: (text) => process.stdout.write(text),
      onStatus: (status) => (status.state === "ready" ? (ready = status) : progress.update(status)),
    }),
    values,
  ).catch((error: unknown) => {
    progress.done();
    // The part of an answer that broke off stays on stdout; the error on stderr says it is incomplete.
    if (error instanceof RepoQaError && error.partialAnswer) process.stdout.write("\n");
    throw error;
  });
  process.stdout.write("\n");
  if (ready) progress.update(ready);
  progress.done();
  const reused = result.reuseReported === false ? "reuse not reported by the server" : `${result.reusedTokens} reused`;
  process.stderr.write(
    `${result.cancelled ? "cancelled" : "done"}: ${result.promptTokens} prompt tokens (${reused}), ` +
      `${result.generatedTokens} generated, first token after ${result.ttftMs.toFixed(0)} ms\n`,
  );
  return result.cancelled ? 130 : 0;
}

async function pack(values: CliValues): Promise<number> {
  const config = await configFrom(values);
  const progress = createProgressPrinter(process.stderr);
  const result: ServicePackResult = config.engine.modelPath || config.remote
    ? await withService((service, signal) => service.pack(config, { signal, onStatus: progress.update }))
    : await packWorkspace({ ...config.pack, onProgress: (p) => progress.update({ state: "packing", ...p }) });
  progress.done();
  if (values.out) await writeFile(values.out, result.text, "utf8");
  if (values.json) {
    process.stdout.write(JSON.stringify(toPackJson(result), null, 2) + "\n");
  } else {
    for (const f of result.included) process.stdout.write(`${f.path}\t${f.bytes} B${f.tokens === undefined ? "" : `\t${f.tokens} tok`}\n`);
    for (const f of result.excluded) process.stdout.write(`- ${f.path}\t${f.reason}\n`);
    const estimated = result.tokenEstimate ? ` (${result.tokenEstimate})` : "";
    const tokens = result.totalTokens === undefined ? "" : `, ${result.totalTokens} tokens${estimated}`;
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
