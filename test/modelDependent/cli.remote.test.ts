// `longrope-qa ask --endpoint` end to end: the built dist/cli.js against llama-cpp-python's OpenAI-compatible server
// (built by scripts/ensure-llama-server.sh) serving SmolLM2-135M-Instruct on a free loopback port.
import { test, before, after, describe } from "node:test";
import assert from "node:assert/strict";
import { spawn, execFileSync } from "node:child_process";
import { cpSync, mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import * as os from "node:os";
import * as path from "node:path";
import { repoRoot, sharedModels } from "../support/models";
import { freePort, startLlamaServer, type LlamaServer } from "../support/llamaServer";

const fixture = path.join(repoRoot, "test/fixtures/tiny-repo");
const cache = mkdtempSync(path.join(os.tmpdir(), "lrq-remote-"));
const env = { ...process.env, XDG_CACHE_HOME: cache, LONGROPE_QA_API_KEY: "" };
after(() => rmSync(cache, { recursive: true, force: true }));

interface Run { code: number | null; stdout: string; stderr: string }

/** Runs the CLI; `onStdout` sees the answer as it streams. */
function cli(args: string[], options: { env?: NodeJS.ProcessEnv; onStdout?: (all: string) => void } = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(repoRoot, "dist/cli.js"), ...args], { cwd: repoRoot, env: options.env ?? env });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => {
      stdout += d;
      options.onStdout?.(stdout);
    });
    child.stderr.on("data", (d) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`longrope-qa ${args.join(" ")} did not finish in 300 s; stderr: ${stderr}`));
    }, 300_000);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

function firstTokenMs(run: Run): number {
  const match = /first token after (\d+) ms/.exec(run.stderr);
  assert.ok(match, `no "first token after N ms" on stderr: ${run.stderr}`);
  return Number(match[1]);
}

before(() => {
  execFileSync(process.execPath, ["esbuild.mjs", "--only=cli"], { cwd: repoRoot, stdio: "ignore" });
  execFileSync(process.execPath, ["esbuild.mjs", "--only=engineWorker"], { cwd: repoRoot, stdio: "ignore" });
});

describe("ask --endpoint against a real server", () => {
  let server: LlamaServer;
  before(async () => (server = await startLlamaServer({ modelPath: sharedModels.smollm2 })));
  after(() => server.stop());

  test("streams the right answer from the server and prints when the first token came", async () => {
    const run = await cli(["ask", "--endpoint", server.url, "--workspace", fixture, "--max-tokens", "48", "Which file defines the multiply function?"]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /math\.ts/, `the answer does not name src/math.ts; stderr: ${run.stderr}`);
    assert.match(run.stderr, /smollm2 at 127\.0\.0\.1:\d+/, "the meter does not name the server");
    assert.ok(firstTokenMs(run) > 0);
    assert.match(server.log(), /POST \/v1\/chat\/completions HTTP\/1\.1" 200/, "the server never answered a chat request");
  });

  test("a follow-up question on the same repository reaches its first token in at most 0.3x the first one's time", async () => {
    // A repository of several thousand tokens, so that reading it is most of the first question's wait.
    const workspace = mkdtempSync(path.join(cache, "ws-"));
    cpSync(fixture, workspace, { recursive: true });
    for (const file of ["format.ts", "budget.ts", "globRules.ts"]) cpSync(path.join(repoRoot, "src/workspace", file), path.join(workspace, "lib", file));
    const ask = (question: string) => cli(["ask", "--endpoint", server.url, "--workspace", workspace, "--max-tokens", "8", question]);
    const first = await ask("What does greet return?");
    assert.equal(first.code, 0, first.stderr);
    const followUp = await ask("Which file multiplies numbers?");
    assert.equal(followUp.code, 0, followUp.stderr);
    const ratio = firstTokenMs(followUp) / firstTokenMs(first);
    assert.ok(ratio <= 0.3, `follow-up ${firstTokenMs(followUp)} ms vs first ${firstTokenMs(first)} ms (ratio ${ratio.toFixed(2)})`);
  });

  test("pack --endpoint counts tokens with the server's tokenizer, as the same GGUF does locally", async () => {
    const remote = await cli(["pack", "--endpoint", server.url, "--workspace", fixture, "--json"]);
    const local = await cli(["pack", "--model", sharedModels.smollm2, "--workspace", fixture, "--json", "--threads", "1"]);
    assert.equal(remote.code, 0, remote.stderr);
    assert.equal(local.code, 0, local.stderr);
    const tokens = (run: Run) => (JSON.parse(run.stdout) as { included: { path: string; tokens: number }[] }).included.map((f) => `${f.path}:${f.tokens}`);
    assert.deepEqual(tokens(remote), tokens(local));
  });

  test("an unknown --endpoint-model is one sentence naming the models the server has", async () => {
    const run = await cli(["ask", "--endpoint", server.url, "--endpoint-model", "no-such-model", "--workspace", fixture, "hi"]);
    assert.equal(run.code, 1);
    assert.match(run.stderr, /has no model "no-such-model" \(it serves "smollm2"\); set longropeQa\.endpointModel \(--endpoint-model\)/);
  });
});

describe("ask --endpoint when things go wrong", () => {
  test("nothing listening: connection refused, naming the endpoint and what to do", async () => {
    const url = `http://127.0.0.1:${await freePort()}/v1`;
    const run = await cli(["ask", "--endpoint", url, "--workspace", fixture, "hi"]);
    assert.equal(run.code, 1);
    assert.match(run.stderr, new RegExp(`Cannot reach the inference server at ${url.replace(/\./g, "\\.")} \\(connection refused\\); start the server`));
    assert.equal(run.stderr.trim().split("\n").length, 1, `more than one line: ${run.stderr}`);
  });

  test("a server that wants an API key: refused without LONGROPE_QA_API_KEY, answers with it", async () => {
    const server = await startLlamaServer({ modelPath: sharedModels.smollm2, apiKey: "test-key-1234" });
    try {
      const refused = await cli(["ask", "--endpoint", server.url, "--workspace", fixture, "hi"]);
      assert.equal(refused.code, 1);
      assert.match(refused.stderr, /refused the API key \(HTTP 401: "Invalid API key"\); set it with "LongRoPE QA: Set API key…" \(or LONGROPE_QA_API_KEY/);
      const answered = await cli(["ask", "--endpoint", server.url, "--workspace", fixture, "--max-tokens", "4", "hi"], { env: { ...env, LONGROPE_QA_API_KEY: "test-key-1234" } });
      assert.equal(answered.code, 0, answered.stderr);
    } finally {
      await server.stop();
    }
  });

  test("a prompt beyond the server's context: its limit quoted; without --budget the repo is packed again to fit", async () => {
    const server = await startLlamaServer({ modelPath: sharedModels.smollm2, nCtx: 1024 });
    const workspace = mkdtempSync(path.join(cache, "ws-"));
    cpSync(fixture, workspace, { recursive: true });
    cpSync(path.join(repoRoot, "src/workspace"), path.join(workspace, "lib"), { recursive: true });
    try {
      const overflow = await cli(["ask", "--endpoint", server.url, "--workspace", workspace, "--budget", "3000", "--max-tokens", "8", "hi"]);
      assert.equal(overflow.code, 1);
      assert.match(overflow.stderr, /holds 1024 tokens of context but the prompt needs about \d+; exclude files \(longropeQa\.exclude\), lower --budget/);
      // Assumed 8192 (SmolLM2's own) at first; the server's refusal names 1024 and the second pack fits it.
      const refitted = await cli(["ask", "--endpoint", server.url, "--workspace", workspace, "--max-tokens", "8", "hi"]);
      assert.equal(refitted.code, 0, refitted.stderr);
      assert.match(refitted.stderr, /\/ 1024 window/);
    } finally {
      await server.stop();
    }
  });

  test("a server that sends nothing: the timeout sentence after --endpoint-timeout", async () => {
    const silent: Server = createServer(() => undefined); // accepts, reads, never answers
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    const port = (silent.address() as { port: number }).port;
    try {
      const started = Date.now();
      const run = await cli(["ask", "--endpoint", `http://127.0.0.1:${port}/v1`, "--endpoint-timeout", "2", "--workspace", fixture, "hi"]);
      assert.equal(run.code, 1);
      assert.match(run.stderr, new RegExp(`server at 127\\.0\\.0\\.1:${port} sent nothing for 2 s; check that it is running`));
      assert.ok(Date.now() - started >= 2000, "gave up before the timeout");
    } finally {
      silent.closeAllConnections();
      silent.close();
    }
  });

  test("a server killed mid-answer: the partial answer stays on stdout, and stderr says it is incomplete", async () => {
    const server = await startLlamaServer({ modelPath: sharedModels.smollm2 });
    try {
      let killed = "";
      const run = await cli(["ask", "--endpoint", server.url, "--workspace", fixture, "--max-tokens", "400", "Tell me a long story about this repository."], {
        onStdout: (all) => {
          if (!killed && all.trim().length > 0) {
            killed = all;
            server.kill();
          }
        },
      });
      assert.ok(killed, "no token came before the end");
      assert.equal(run.code, 1);
      assert.ok(run.stdout.startsWith(killed), "the streamed part is not on stdout");
      assert.match(run.stderr, /broke off mid-stream .*; the part above is incomplete, ask again for the whole answer/);
    } finally {
      await server.stop();
    }
  });
});
