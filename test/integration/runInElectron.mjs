// Runs the same integration suite in desktop VS Code through @vscode/test-electron (downloads VS Code on first
// use, so it needs access to update.code.visualstudio.com; it cannot run on the offline CI machine, where
// runInCodeServer.mjs runs the suite). Same two windows as there: "main", then "reopen" on the same profile.
//   VSCODE_VERSION  the VS Code to download (default "stable"); VSCODE_EXECUTABLE  an installed VS Code instead
// Screenshots need the browser driver and are only taken by runInCodeServer.mjs.
import { randomUUID } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { runTests, TestRunFailedError } from "@vscode/test-electron";
import { cacheDir } from "./lib/codeServer.mjs";
import { RUN_MARKER, sweepRun } from "./lib/processes.mjs";
import { Report } from "./lib/report.mjs";
import { createRunDirs, removeRunDirs, repoRoot, smollm2Path, suiteEntry } from "./lib/runDirs.mjs";

const runId = randomUUID();
const started = performance.now();
const report = new Report();
let dirs;

async function runWindow(phase) {
  fs.writeFileSync(path.join(dirs.exchange, "phase.json"), JSON.stringify({ phase }));
  let exitCode;
  try {
    exitCode = await runTests({
      version: process.env.VSCODE_VERSION ?? "stable",
      vscodeExecutablePath: process.env.VSCODE_EXECUTABLE,
      // Downloads go to the same per-machine cache as code-server, not into the checkout.
      cachePath: path.join(cacheDir(), "vscode-test"),
      extensionDevelopmentPath: repoRoot,
      extensionTestsPath: suiteEntry,
      // Every process VS Code starts inherits the marker, so the sweep below finds any that outlive it.
      extensionTestsEnv: { [RUN_MARKER]: runId, LONGROPE_QA_TEST: "1", LONGROPE_QA_IT_DIR: dirs.exchange, LONGROPE_QA_SMOLLM2: smollm2Path ?? "" },
      launchArgs: [
        dirs.workspace,
        `--user-data-dir=${dirs.userData}`,
        `--extensions-dir=${dirs.extensions}`,
        "--disable-workspace-trust", "--skip-welcome", "--skip-release-notes", "--disable-gpu", "--no-sandbox",
      ],
    });
  } catch (error) {
    // A run whose tests failed rejects with TestRunFailedError (it has the exit code); anything else means VS Code
    // could not be downloaded or started.
    if (error instanceof TestRunFailedError) exitCode = error.code ?? 1;
    else {
      throw new Error(`VS Code could not be downloaded or started (${error instanceof Error ? error.message : error}). ` +
        "This runner needs access to the VS Code download host; offline, use npm run test:integration.");
    }
  }
  return report.addPhase(dirs.exchange, phase, exitCode);
}

async function cleanup() {
  const leftovers = await sweepRun(runId);
  if (leftovers.length) report.add("[runner] no process outlives the run", "failed", 0, leftovers.map((p) => `${p.pid} ${p.command}`).join("\n"));
  removeRunDirs(dirs);
}

process.once("SIGINT", () => void cleanup().finally(() => process.exit(130)));
try {
  if (!fs.existsSync(suiteEntry)) throw new Error(`${path.relative(repoRoot, suiteEntry)} is missing: run "npm run build" first.`);
  dirs = createRunDirs();
  for (const phase of ["main", "reopen"]) await report.checkEnginesExited(phase, await runWindow(phase));
} catch (error) {
  report.add("[runner] run the suite", "failed", 0, error instanceof Error ? error.message : String(error));
}
await cleanup();
report.print();
console.log(`[runner] duration ${((performance.now() - started) / 1000).toFixed(1)} s`);
console.log(`${report.passed} passed, ${report.failed} failed`);
process.exitCode = report.failed > 0 || report.passed === 0 ? 1 : 0;
