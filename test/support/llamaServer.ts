/**
 * A real OpenAI-compatible server for the remote-backend tests: llama-cpp-python's, built once per machine by
 * scripts/ensure-llama-server.sh, serving SmolLM2-135M-Instruct on a free loopback port. Started and stopped by the
 * tests themselves (also used by the integration suite, inside the extension host).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { createServer } from "node:net";
import * as path from "node:path";
import * as os from "node:os";

export const llamaCppPythonVersion = "0.3.36";

/** The venv's python: LONGROPE_QA_LLAMA_SERVER_PYTHON, else where ensure-llama-server.sh builds it. */
export function llamaServerPython(): string {
  if (process.env.LONGROPE_QA_LLAMA_SERVER_PYTHON) return process.env.LONGROPE_QA_LLAMA_SERVER_PYTHON;
  const cache = process.env.LONGROPE_QA_CACHE ?? path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), ".cache"), "longrope-qa");
  return path.join(cache, `llama-cpp-python-${llamaCppPythonVersion}`, "bin", "python");
}

export interface LlamaServerOptions {
  readonly modelPath: string;
  /** Context per request (llama-cpp-python's n_ctx). Default: 8192, SmolLM2's own. */
  readonly nCtx?: number;
  readonly apiKey?: string;
  /** The name /v1/models lists. Default: "smollm2". */
  readonly alias?: string;
  /** Default: 2. */
  readonly threads?: number;
}

export interface LlamaServer {
  /** The /v1 base, e.g. http://127.0.0.1:40123/v1. */
  readonly url: string;
  readonly port: number;
  readonly pid: number;
  /** Everything the server printed so far (uvicorn's request log, llama-cpp-python's messages). */
  log(): string;
  /** SIGKILL now, as a crash would (the stop() after it is a no-op). */
  kill(): void;
  stop(): Promise<void>;
}

/**
 * Runs `python -m llama_cpp.server ARGS` with PR_SET_PDEATHSIG = SIGKILL: the server dies with the test process even
 * when the test runner kills that process on a timeout, before any `after` hook could stop it.
 */
const dieWithParent = [
  "import ctypes, runpy, signal, sys",
  "ctypes.CDLL(None).prctl(1, signal.SIGKILL)",
  "sys.argv = ['llama_cpp.server'] + sys.argv[1:]",
  "runpy.run_module('llama_cpp.server', run_name='__main__', alter_sys=True)",
].join("; ");

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const address = probe.address();
      probe.close(() => (typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port"))));
    });
  });
}

export async function startLlamaServer(options: LlamaServerOptions): Promise<LlamaServer> {
  const python = llamaServerPython();
  if (!existsSync(python)) throw new Error(`llama-cpp-python's server is not built (${python}); run: bash scripts/ensure-llama-server.sh`);
  if (!existsSync(options.modelPath)) throw new Error(`The test model ${options.modelPath} is missing; run: node --import tsx scripts/fetch-models.ts`);
  const port = await freePort();
  const args = [
    "--model", options.modelPath, "--host", "127.0.0.1", "--port", String(port),
    "--n_ctx", String(options.nCtx ?? 8192), "--n_threads", String(options.threads ?? 2), "--n_threads_batch", String(options.threads ?? 2),
    "--model_alias", options.alias ?? "smollm2", ...(options.apiKey ? ["--api_key", options.apiKey] : []),
  ];
  // Unbuffered: the request log is read while the server runs.
  const child = spawn(python, ["-c", dieWithParent, ...args], { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, PYTHONUNBUFFERED: "1" } });
  let output = "";
  child.stdout.on("data", (d: Buffer) => (output += d.toString()));
  child.stderr.on("data", (d: Buffer) => (output += d.toString()));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const url = `http://127.0.0.1:${port}/v1`;
  try {
    await waitUntilServing(url, child, () => output, options.apiKey);
  } catch (error) {
    child.kill("SIGKILL");
    await exited;
    throw error;
  }
  return {
    url,
    port,
    pid: child.pid!,
    log: () => output,
    kill: () => void child.kill("SIGKILL"),
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Polls /v1/models until it answers: loading the model takes a few seconds on a busy machine. */
async function waitUntilServing(url: string, child: ChildProcess, output: () => string, apiKey?: string): Promise<void> {
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`llama-cpp-python's server exited with code ${child.exitCode}:\n${output().slice(-2000)}`);
    const ok = await fetch(`${url}/models`, { headers: apiKey ? { authorization: `Bearer ${apiKey}` } : {} }).then((r) => r.ok, () => false);
    if (ok) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`llama-cpp-python's server did not answer within 120 s:\n${output().slice(-2000)}`);
}
