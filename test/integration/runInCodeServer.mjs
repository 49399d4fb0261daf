// Runs the integration suite in a real VS Code extension host: code-server (VS Code 1.139.1 server on Node 24)
// driven by headless Debian Chromium. Two windows on the same fixture workspace: "main" runs the product tests,
// then it closes (the engine worker must exit) and "reopen" checks what must survive a reload.
// Exit code 0 only when every test passed. Leaves no process or temp folder behind, also on failure or Ctrl+C.
//   LONGROPE_QA_IT_TIMEOUT_MS  how long one window may take to report (default 600000)
//   LONGROPE_QA_VERBOSE=1      print the workbench's output as it comes
//   --docs                     after a run where everything passed, copy the README's screenshots into docs/
import { randomUUID } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { findCodeServer, startCodeServer, tail } from "./lib/codeServer.mjs";
import { sweepRun, startMemorySampler } from "./lib/processes.mjs";
import { Report, extensionHostComplaints } from "./lib/report.mjs";
import { createRunDirs, modelPath, outputDir, removeRunDirs, repoRoot, smollm2Path, suiteEntry } from "./lib/runDirs.mjs";
import { launchBrowser, runWindow } from "./lib/workbench.mjs";

const timeoutMs = Number(process.env.LONGROPE_QA_IT_TIMEOUT_MS ?? 600_000);
const verbose = process.env.LONGROPE_QA_VERBOSE === "1";
const runId = randomUUID();
const started = performance.now();
const report = new Report();
const shots = [];
const state = { dirs: undefined, server: undefined, browser: undefined, sampler: undefined };

function preconditions() {
  const install = findCodeServer();
  for (const file of [suiteEntry, path.join(repoRoot, "dist/extension.js")]) {
    if (!fs.existsSync(file)) throw new Error(`${path.relative(repoRoot, file)} is missing: run "npm run build" first.`);
  }
  if (!fs.existsSync(modelPath)) throw new Error(`The test model ${modelPath} is missing (the repo expects ../shared/models next to it).`);
  if (!smollm2Path) throw new Error('SmolLM2 is missing: run "node --import tsx scripts/fetch-models.ts smollm2" first.');
  return install;
}

async function runPhases(install) {
  // Pictures of an earlier run's failures would read as this run's.
  if (fs.existsSync(outputDir)) {
    for (const f of fs.readdirSync(outputDir)) if (/^failed-.*\.png$/.test(f)) fs.rmSync(path.join(outputDir, f));
  }
  state.dirs = createRunDirs();
  // Playwright puts Chromium's profile under os.tmpdir(): keep it inside the run's folder.
  process.env.TMPDIR = state.dirs.browserTmp;
  state.sampler = startMemorySampler(runId);
  const env = { LONGROPE_QA_TEST: "1", LONGROPE_QA_IT_DIR: state.dirs.exchange, LONGROPE_QA_SCREENSHOTS: "1", LONGROPE_QA_SMOLLM2: smollm2Path };
  for (let attempt = 1; !state.server; attempt++) {
    // The free port is found before code-server binds it; another process may take it in between.
    state.server = await startCodeServer({ install, dirs: state.dirs, runId, env }).catch((error) => {
      if (attempt < 3 && /EADDRINUSE/.test(error.message)) return undefined;
      throw error;
    });
  }
  const { browser, context } = await launchBrowser({ runId, dirs: state.dirs });
  state.browser = browser;
  for (const phase of ["main", "reopen"]) {
    fs.writeFileSync(path.join(state.dirs.exchange, "phase.json"), JSON.stringify({ phase }));
    console.log(`[runner] ${phase} window: opening ${state.dirs.workspace}`);
    const t0 = performance.now();
    const { exitCode } = await runWindow({
      phase, context, server: state.server, dirs: state.dirs, repoRoot, suiteEntry, outputDir, timeoutMs, shots, verbose,
    }).catch((error) => {
      report.addPhase(state.dirs.exchange, phase, undefined); // what passed before the window went silent
      throw error;
    });
    console.log(`[runner] ${phase} window reported exit code ${exitCode} after ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    const results = report.addPhase(state.dirs.exchange, phase, exitCode);
    await report.checkEnginesExited(phase, results);
    report.printMetrics(phase, results);
  }
}

/** The server's logs (extension host, the extension's output channel) survive the run in test/output/logs. */
function keepLogs(dirs) {
  if (!dirs) return;
  const target = path.join(outputDir, "logs");
  fs.rmSync(target, { recursive: true, force: true });
  fs.mkdirSync(target, { recursive: true });
  const logs = path.join(dirs.userData, "logs");
  if (fs.existsSync(logs)) fs.cpSync(logs, target, { recursive: true });
  if (fs.existsSync(dirs.serverLog)) fs.copyFileSync(dirs.serverLog, path.join(target, "code-server.log"));
}

/** Runs one cleanup step; a failing step is reported and never stops the steps after it. */
async function step(what, fn) {
  try {
    return await fn();
  } catch (error) {
    report.add(`[runner] cleanup: ${what}`, "failed", 0, error instanceof Error ? error.message : String(error));
    return undefined;
  }
}

let cleaning;
function cleanup() {
  cleaning ??= (async () => {
    // A wedged browser must not hold up the rest: the sweep below kills it anyway.
    await step("close Chromium", () => Promise.race([state.browser?.close(), new Promise((r) => setTimeout(r, 10_000))]));
    await step("stop code-server", () => state.server?.stop());
    const leftovers = (await step("sweep", () => sweepRun(runId))) ?? [];
    if (leftovers.length > 0) {
      report.add("[runner] no process outlives the run", "failed", 0,
        `Killed ${leftovers.length} leftover process(es):\n` + leftovers.map((p) => `${p.pid} ${p.command}`).join("\n"));
    }
    const peak = state.sampler?.stop();
    await step("keep logs", () => keepLogs(state.dirs));
    if (state.dirs && state.tailServerLog) console.log(`[runner] code-server log (tail):\n${tail(state.dirs.serverLog)}`);
    await step("remove the temp folder", () => removeRunDirs(state.dirs));
    if (state.dirs && fs.existsSync(state.dirs.root)) report.add("[runner] temp folder removed", "failed", 0, state.dirs.root);
    return peak;
  })();
  return cleaning;
}

for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) {
  process.once(signal, () => {
    console.error(`\n[runner] ${signal}: stopping code-server and Chromium, removing temp folders`);
    void cleanup().finally(() => process.exit(130));
  });
}

try {
  await runPhases(preconditions());
} catch (error) {
  report.add("[runner] run the suite", "failed", 0, error instanceof Error ? error.message : String(error));
  state.tailServerLog = true;
}
const peak = await cleanup();
const complaints = extensionHostComplaints(path.join(outputDir, "logs"));
if (complaints.length > 0) console.log(`[runner] the extension host logged about this extension:\n  ${complaints.join("\n  ")}`);
const missingCsp = complaints.filter((c) => c.includes("without a content security policy"));
report.add("[runner] every webview has a content security policy", missingCsp.length === 0 ? "passed" : "failed", 0, missingCsp.join("\n") || undefined);
report.print();
const seconds = (performance.now() - started) / 1000;
for (const shot of shots) console.log(`[runner] screenshot: ${path.relative(repoRoot, shot)}`);
console.log(`[runner] duration ${seconds.toFixed(1)} s; peak memory ${(peak?.pss / 2 ** 20 || 0).toFixed(0)} MiB PSS ` +
  `(${(peak?.rss / 2 ** 20 || 0).toFixed(0)} MiB summed RSS) across up to ${peak?.processes ?? 0} processes`);
console.log(`${report.passed} passed, ${report.failed} failed`);
process.exitCode = report.failed > 0 || report.passed === 0 ? 1 : 0;
if (process.argv.includes("--docs") && process.exitCode === 0) copyDocShots();

/** The screenshots the README shows, from this run's test/output into docs/. */
function copyDocShots() {
  const docShots = {
    "sidebar-welcome.png": "screenshot-welcome.png",
    "sidebar-real-answer.png": "screenshot-real-answer.png",
    "sidebar-partial-answer.png": "screenshot-answer.png",
    "context-report.png": "screenshot-context-report.png",
    "sidebar-welcome-narrow.png": "screenshot-welcome-narrow.png",
  };
  for (const [from, to] of Object.entries(docShots)) {
    fs.copyFileSync(path.join(outputDir, from), path.join(repoRoot, "docs", to));
    console.log(`[runner] docs/${to} updated`);
  }
}
