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

/** Whether a runner with a browser serves page-driver requests (runInCodeServer.mjs does; runInElectron.mjs does not). */
export function hasPageDriver(): boolean {
  return !!dir && process.env.LONGROPE_QA_SCREENSHOTS === "1";
}

let requestCounter = 0;

/**
 * Asks the runner, which holds the browser, to read or act on the page (test/integration/lib/pageDriver.mjs) and
 * waits for its answer: the file's appearance wakes the wait, `timeoutMs` only bounds a runner that is gone.
 */
export async function drive<T>(op: string, args: Record<string, unknown> = {}, timeoutMs = 30_000): Promise<T> {
  if (!dir || !hasPageDriver()) throw new Error("Reading the page needs the browser of runInCodeServer.mjs (LONGROPE_QA_IT_DIR).");
  const n = ++requestCounter;
  const response = path.join(dir, `res-${n}.json`);
  const answered = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => finish(new Error(`The page driver did not answer "${op}" within ${timeoutMs} ms.`)), timeoutMs);
    const watcher = fs.watch(dir, () => {
      if (fs.existsSync(response)) finish();
    });
    function finish(error?: Error) {
      clearTimeout(timer);
      watcher.close();
      if (error) reject(error);
      else resolve();
    }
  });
  fs.writeFileSync(path.join(dir, `req-${n}.json.partial`), JSON.stringify({ op, args }));
  fs.renameSync(path.join(dir, `req-${n}.json.partial`), path.join(dir, `req-${n}.json`));
  if (!fs.existsSync(response)) await answered;
  else void answered.catch(() => undefined);
  const result = JSON.parse(fs.readFileSync(response, "utf8")) as { ok: boolean; value?: T; error?: string };
  fs.rmSync(response, { force: true });
  if (!result.ok) throw new Error(`Page driver, ${op}: ${result.error}`);
  return result.value as T;
}

/**
 * A screenshot of the sidebar (or the editor area) as test/output/<name>.png, and of the window; `width` resizes
 * the sidebar first.
 */
export async function requestScreenshot(name: string, options: { width?: number; part?: "sidebar" | "editor" } = {}): Promise<boolean> {
  if (!hasPageDriver()) return false;
  return drive("screenshot", { name, ...options }, 60_000).then(() => true, () => false);
}
