/**
 * Entry the extension host loads (extensionTestsPath, built to out/test/integration/index.js). Runs the mocha
 * suites of the current phase and writes their results for the runner; rejects when a test failed, which makes
 * the workbench report a non-zero exit code.
 */
import Mocha from "mocha";
import { currentPhase, requestScreenshot, writeResults, type TestRecord } from "./exchange";
import { mainPhaseSuites } from "./main.test";
import { endpointSuites } from "./endpoint.test";
import { reopenPhaseSuites } from "./reopen.test";
import { realAnswerSuite } from "./realAnswer.test";

export async function run(): Promise<void> {
  const mocha = new Mocha({ ui: "bdd", color: false, reporter: "spec", timeout: 240_000 });
  mocha.suite.emit("pre-require", globalThis, "integration-suite", mocha);
  const phase = currentPhase();
  let failedCount = 0;
  // The window as it was when a test failed (after the run the extension host is gone and the view is blank).
  mocha.suite.afterEach(async function () {
    if (this.currentTest?.state === "failed") await requestScreenshot(`failed-${phase}-${++failedCount}`);
  });
  if (phase === "main") {
    mainPhaseSuites();
    endpointSuites();
  } else {
    reopenPhaseSuites();
    realAnswerSuite(); // last: it switches the model, and the answers above are checked on the fast one
  }

  const tests: TestRecord[] = [];
  const failures = await new Promise<number>((resolve) => {
    const runner = mocha.run(resolve);
    runner.on("test", (t) => writeResults(phase, tests, t.fullTitle()));
    runner.on("pass", (t) => tests.push({ title: t.fullTitle(), state: "passed", durationMs: t.duration ?? 0 }));
    runner.on("pending", (t) => tests.push({ title: t.fullTitle(), state: "pending", durationMs: 0 }));
    runner.on("fail", (t, err: unknown) =>
      tests.push({ title: t.fullTitle(), state: "failed", durationMs: t.duration ?? 0, error: err instanceof Error ? (err.stack ?? err.message) : String(err) }),
    );
    runner.on("test end", () => writeResults(phase, tests));
  });
  writeResults(phase, tests);
  if (failures > 0) throw new Error(`${failures} integration test(s) failed in phase "${phase}".`);
}
