// Collects test outcomes from the suite's phases and the runner's own checks, and prints them.
import * as fs from "node:fs";
import * as path from "node:path";
import { waitForExit } from "./processes.mjs";

export class Report {
  tests = [];

  add(title, state, durationMs = 0, error) {
    this.tests.push({ title, state, durationMs, error });
  }

  /** Reads results-<phase>.json; a phase that wrote none is a failure with the workbench's exit code
   *  (undefined: the window never reported, the caller reports that). */
  addPhase(exchange, phase, exitCode) {
    const file = path.join(exchange, `results-${phase}.json`);
    if (!fs.existsSync(file)) {
      if (exitCode === undefined) return undefined;
      this.add(`[${phase}] suite results`, "failed", 0, `The suite wrote no results (workbench exit code ${exitCode}).`);
      return undefined;
    }
    const results = JSON.parse(fs.readFileSync(file, "utf8"));
    for (const t of results.tests) this.add(`[${phase}] ${t.title}`, t.state, t.durationMs, t.error);
    if (results.running) this.add(`[${phase}] ${results.running}`, "failed", 0, "Still running when the window stopped reporting.");
    if (exitCode !== undefined && exitCode !== 0 && !results.tests.some((t) => t.state === "failed")) {
      this.add(`[${phase}] workbench exit code`, "failed", 0, `The workbench reported exit code ${exitCode}.`);
    }
    return results;
  }

  /** Measurements the suite recorded in a window (activation time, extension-host memory growth with a model loaded). */
  printMetrics(phase, results) {
    const f = results?.facts ?? {};
    const fmt = (v, unit) => (typeof v === "number" ? `${v.toFixed(1)} ${unit}` : "not recorded");
    if ("activationMs" in f || "hostRssGrowthMiB" in f) {
      console.log(`[${phase}] activation ${fmt(f.activationMs, "ms")}; extension-host RSS growth over the first answer (model loaded in the worker) ${fmt(f.hostRssGrowthMiB, "MiB")}`);
    }
  }

  /** No engine worker the suite saw in a window may outlive that window (facts enginePid, enginePidAtEnd). */
  async checkEnginesExited(phase, results) {
    const title = `[runner] the engine worker process exits when the ${phase} window closes`;
    const pids = [...new Set([results?.facts?.enginePid, results?.facts?.enginePidAtEnd])].filter((p) => typeof p === "number");
    if (pids.length === 0) {
      this.add(title, "failed", 0, "The suite recorded no engine pid (no engineWorker child of the extension host was found in /proc).");
      return;
    }
    const t0 = performance.now();
    const alive = [];
    for (const pid of pids) if (!(await waitForExit(pid, 15_000))) alive.push(pid);
    this.add(title, alive.length === 0 ? "passed" : "failed", performance.now() - t0,
      alive.length === 0 ? undefined : `Engine worker pid(s) ${alive.join(", ")} still running 15 s after the window closed.`);
  }

  get passed() {
    return this.tests.filter((t) => t.state === "passed").length;
  }

  get failed() {
    return this.tests.filter((t) => t.state === "failed").length;
  }

  print() {
    console.log("\nIntegration suite results:");
    for (const t of this.tests) {
      const mark = t.state === "passed" ? "✓" : t.state === "failed" ? "✗" : "-";
      const ms = t.durationMs ? ` (${Math.round(t.durationMs)} ms)` : "";
      console.log(`  ${mark} ${t.title}${ms}`);
      if (t.error) console.log(String(t.error).split("\n").slice(0, 12).map((l) => `      ${l}`).join("\n"));
    }
  }
}

/** Warnings and errors the extension host logged about this extension (deduplicated), for the run's output. */
export function extensionHostComplaints(logsDir, extensionId = "longrope-qa.longrope-repo-qa") {
  const found = new Map();
  const visit = (dir) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const file = path.join(dir, entry.name);
      if (entry.isDirectory()) visit(file);
      else if (entry.name === "remoteexthost.log" || entry.name === "exthost.log") {
        for (const line of fs.readFileSync(file, "utf8").split("\n")) {
          const m = /^\S+ \S+ \[(warning|error)\] (.*)$/.exec(line);
          if (m && m[2].includes(extensionId) && !m[2].includes("ExtensionService#")) found.set(m[2], (found.get(m[2]) ?? 0) + 1);
        }
      }
    }
  };
  if (fs.existsSync(logsDir)) visit(logsDir);
  return [...found].map(([message, count]) => `${count}x ${message.slice(0, 220)}`);
}

