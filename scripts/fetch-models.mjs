#!/usr/bin/env node
// Makes sure the two test models are in ../shared/models with the right SHA-256. On a machine that lacks them,
// downloads them from their public sources (shared/models/README.md); with no network it says "offline" quickly.
import { createHash } from "node:crypto";
import { createReadStream, existsSync, mkdirSync, renameSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import path from "node:path";

const dir = path.resolve(import.meta.dirname ?? path.dirname(new URL(import.meta.url).pathname), "../../shared/models");
const sources = {
  "stories260K.gguf": "https://huggingface.co/ggml-org/models/resolve/main/tinyllamas/stories260K.gguf",
  "llama-2-tiny-random.gguf": "https://huggingface.co/aladar/llama-2-tiny-random-GGUF/resolve/main/llama-2-tiny-random.gguf",
};
const expected = {
  "stories260K.gguf": "270cba1bd5109f42d03350f60406024560464db173c0e387d91f0426d3bd256d",
  "llama-2-tiny-random.gguf": "81f226c62d28ed4a1a9b9fa080fcd9f0cc40e0f9d5680036583ff98fbcd035cb",
};

async function sha256(file) {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(file)) hash.update(chunk);
  return hash.digest("hex");
}

async function fetchModel(name) {
  const tmp = path.join(dir, `.${name}.part`);
  const response = await fetch(sources[name], { signal: AbortSignal.timeout(120_000) }).catch((e) => {
    throw new Error(`offline: cannot reach ${new URL(sources[name]).host} to fetch ${name} (${e.cause?.code ?? e.message}); put the file in ${dir}.`);
  });
  if (!response.ok) throw new Error(`Fetching ${name} failed: HTTP ${response.status} from ${sources[name]}.`);
  await writeFile(tmp, Buffer.from(await response.arrayBuffer()));
  renameSync(tmp, path.join(dir, name));
}

mkdirSync(dir, { recursive: true });
for (const name of Object.keys(sources)) {
  const file = path.join(dir, name);
  if (!existsSync(file)) {
    console.log(`fetching ${name} …`);
    await fetchModel(name);
  }
  const actual = await sha256(file);
  if (actual !== expected[name]) throw new Error(`${file} has SHA-256 ${actual}, expected ${expected[name]} (see SHA256SUMS).`);
  console.log(`model ok: ${name}`);
}
