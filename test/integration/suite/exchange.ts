/**
 * The suite's side of the files it shares with the runner (folder in env LONGROPE_QA_IT_DIR): which phase this
 * window runs, facts the runner checks after the window is gone, screenshot requests. Without the variable (a
 * plain `@vscode/test-electron` run of one window) the suite runs the "main" phase and skips the handshakes.
 */
import * as fs from "node:fs";
import * as path from "node:path";

export type Phase = "main" | "reopen";

const dir = process.env.LONGROPE_QA_IT_DIR;

export function currentPhase(): Phase {
  if (!dir) return "main";
  try {
    const { phase } = JSON.parse(fs.readFileSync(path.join(dir, "phase.json"), "utf8")) as { phase?: Phase };
    return phase === "reopen" ? "reopen" : "main";
  } catch {
    return "main";
  }
}

export interface TestRecord {
  readonly title: string;
  readonly state: "passed" | "failed" | "pending";
  readonly durationMs: number;
  readonly error?: string;
}

export interface PhaseResults {
  readonly phase: Phase;
  readonly tests: TestRecord[];
  /** The test running when this was written; unset once the phase finished. */
  readonly running?: string;
  /** Facts for the runner's own checks, e.g. the engine worker's pid. */
  readonly facts: Record<string, unknown>;
}

const facts: Record<string, unknown> = {};

export function recordFact(name: string, value: unknown): void {
  facts[name] = value;
}

/** Written after every test, so a runner whose window never reports can still say what passed and what hung. */
export function writeResults(phase: Phase, tests: TestRecord[], running?: string): void {
  if (!dir) return;
  const results: PhaseResults = { phase, tests, facts, running };
  fs.writeFileSync(path.join(dir, `results-${phase}.json`), JSON.stringify(results, null, 2));
}

/** Asks the runner for a screenshot of the sidebar (saved as test/output/<name>.png) and waits for it. */
export async function requestScreenshot(name: string, timeoutMs = 20_000): Promise<boolean> {
  if (!dir || process.env.LONGROPE_QA_SCREENSHOTS !== "1") return false;
  const done = path.join(dir, `screenshot-${name}.done`);
  fs.writeFileSync(path.join(dir, `screenshot-${name}.request`), "");
  const deadline = Date.now() + timeoutMs;
  while (!fs.existsSync(done)) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 100));
  }
  return true;
}
