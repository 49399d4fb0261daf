// Drives the VS Code workbench that code-server serves, in Debian Chromium through playwright-core: opens the
// window with the test payload, waits for the suite's exit code, answers the suite's page-driver requests.
import * as fs from "node:fs";
import { createRequire } from "node:module";
import * as path from "node:path";
import { chromium } from "playwright-core";
import { servePageDriver } from "./pageDriver.mjs";
import { RUN_MARKER } from "./processes.mjs";

const { chromiumPath } = createRequire(import.meta.url)("../../support/chromium.cjs");

/** console-style formatting of the workbench's log arguments (mocha's reporter logs "%s" templates). */
function formatLog(args) {
  if (typeof args[0] !== "string" || !args[0].includes("%")) return args.join(" ");
  const rest = args.slice(1);
  const text = args[0].replace(/%[sdifoOjc%]/g, (spec) => (spec === "%%" ? "%" : spec === "%c" ? (rest.shift(), "") : String(rest.shift())));
  return [text, ...rest].join(" ");
}

export async function launchBrowser({ runId, dirs }) {
  const browser = await chromium.launch({
    executablePath: chromiumPath(),
    headless: true,
    // The runner handles signals: it must also stop code-server and remove the temp folder before exiting.
    handleSIGINT: false, handleSIGTERM: false, handleSIGHUP: false,
    args: [
      "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
      "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
    ],
    // Crashpad's database and caches go under XDG folders: keep them inside the run's folder too.
    env: { ...process.env, [RUN_MARKER]: runId, TMPDIR: dirs.browserTmp, XDG_CONFIG_HOME: dirs.xdgConfig, XDG_CACHE_HOME: path.join(dirs.root, "xdg-cache") },
  });
  // One context for the whole run: the workbench keeps workspace state in the browser's IndexedDB, so a window
  // reopened in it sees what the previous window stored.
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  return { browser, context };
}

function workbenchUrl(server, workspace, repoRoot, suiteEntry) {
  const remote = (p) => `vscode-remote://127.0.0.1:${server.port}${p}`;
  const payload = [["extensionDevelopmentPath", remote(repoRoot)], ["extensionTestsPath", remote(suiteEntry)]];
  return `${server.origin}/?folder=${encodeURIComponent(workspace)}&payload=${encodeURIComponent(JSON.stringify(payload))}`;
}

/**
 * Opens one window that runs the suite and waits for its exit code. Resolves {exitCode, logs}; rejects with a
 * clear message when the workbench does not report within `timeoutMs`.
 */
export async function runWindow({ phase, context, server, dirs, repoRoot, suiteEntry, outputDir, timeoutMs, shots, verbose }) {
  const page = await context.newPage();
  const logs = [];
  // The page's console repeats the workbench log; keep it for diagnostics, print only the workbench's.
  const remember = (line, print = verbose) => {
    logs.push(line);
    if (logs.length > 2000) logs.shift();
    if (print) console.log(line);
  };
  let report;
  const reported = new Promise((resolve) => (report = resolve));
  await page.exposeFunction("codeAutomationLog", (type, args) => remember(`[workbench ${type}] ${formatLog([].concat(args))}`));
  await page.exposeFunction("codeAutomationExit", (code) => report(code));
  page.on("console", (msg) => remember(`[page ${msg.type()}] ${msg.text()}`, false));
  page.on("pageerror", (err) => remember(`[page error] ${err.message}`));

  const stopped = { value: false };
  const driver = servePageDriver(page, { exchange: dirs.exchange, outputDir, shots, stopped });
  let timer;
  try {
    await page.goto(workbenchUrl(server, dirs.workspace, repoRoot, suiteEntry), { timeout: timeoutMs });
    const timeout = new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(
        `The workbench did not report a test result within ${Math.round(timeoutMs / 1000)} s ` +
        `(set LONGROPE_QA_IT_TIMEOUT_MS to wait longer). Last workbench output:\n` + logs.slice(-25).join("\n"),
      )), timeoutMs);
    });
    // Only a window that never reported is still worth a picture; after a report its extension host is gone.
    const failedShot = () => {
      fs.mkdirSync(outputDir, { recursive: true });
      return page.screenshot({ path: path.join(outputDir, `failed-${phase}.png`), timeout: 10_000 }).catch(() => {});
    };
    const exitCode = await Promise.race([reported, timeout]).catch(async (error) => {
      await failedShot();
      throw error;
    });
    return { exitCode, logs };
  } finally {
    // The page's console (the workbench and every webview in it) for whoever reads a failure.
    fs.mkdirSync(outputDir, { recursive: true });
    fs.writeFileSync(path.join(outputDir, `page-console-${phase}.log`), logs.join("\n"));
    clearTimeout(timer);
    stopped.value = true;
    await driver;
    await page.close().catch(() => {});
  }
}
