// Collects test outcomes from the suite's phases and the runner's own checks, and prints them.
import * as fs from "node:fs";
import * as path from "node:path";

export class Report {
  tests = [];

  add(title, state, durationMs = 0, error) {
    this.tests.push({ title, state, durationMs, error });
  }

  /** Reads results-<phase>.json; a phase that wrote none is a failure with the workbench's exit code. */
  addPhase(exchange, phase, exitCode) {
    const file = path.join(exchange, `results-${phase}.json`);
    if (!fs.existsSync(file)) {
      this.add(`[${phase}] suite results`, "failed", 0, `The suite wrote no results (workbench exit code ${exitCode}).`);
      return undefined;
    }
    const results = JSON.parse(fs.readFileSync(file, "utf8"));
    for (const t of results.tests) this.add(`[${phase}] ${t.title}`, t.state, t.durationMs, t.error);
    if (exitCode !== 0 && !results.tests.some((t) => t.state === "failed")) {
      this.add(`[${phase}] workbench exit code`, "failed", 0, `The workbench reported exit code ${exitCode}.`);
    }
    return results;
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
