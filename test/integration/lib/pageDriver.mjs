// The suite's hands and eyes in the workbench. The suite runs inside the extension host and cannot see the page;
// it writes exchange/req-<n>.json and this driver, which holds the browser, answers with res-<n>.json after
// reading or clicking the real DOM: the chat webview, the context report webview, the Settings editor, the quick
// input. Nothing of this is in the extension: the product ships no test hooks.
import * as fs from "node:fs";
import { createRequire } from "node:module";
import * as path from "node:path";

const readers = createRequire(import.meta.url)("../../support/pageReaders.cjs");
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * The webview frame whose document has `#marker` (the chat: #transcript; the context report: #report). Should a
 * hidden copy linger, the one shown (the tallest) is the one a user sees.
 */
async function findFrame(page, marker) {
  const found = [];
  for (const frame of page.frames()) {
    if (frame.isDetached() || !/webview/i.test(frame.url())) continue;
    const height = await frame.evaluate((id) => (document.getElementById(id) ? window.innerHeight : -1), marker).catch(() => -1);
    if (height >= 0) found.push({ frame, height });
  }
  if (found.length > 1) console.error(`[page driver] ${found.length} webviews have #${marker}; heights ${found.map((f) => f.height).join(", ")}`);
  found.sort((a, b) => b.height - a.height);
  return found[0]?.frame;
}

const VIEWS = { chat: "transcript", report: "report" };

async function frameOf(page, view, wait = true) {
  const marker = VIEWS[view];
  if (!marker) throw new Error(`Unknown view "${view}".`);
  // A webview appears a moment after the command that opens it returns.
  for (let i = 0; i < (wait ? 50 : 1); i++) {
    const frame = await findFrame(page, marker);
    if (frame) return frame;
    await sleep(100);
  }
  throw new Error(`The ${view} webview is not in the page.`);
}

const PARTS = { sidebar: "#workbench\\.parts\\.sidebar", editor: "#workbench\\.parts\\.editor" };

/** `<name>.png` of one part of the window (the sidebar by default) and `<name>-window.png` of all of it. */
async function screenshot(page, outputDir, shots, { name, width, part = "sidebar" }) {
  fs.mkdirSync(outputDir, { recursive: true });
  const target = path.join(outputDir, `${name}.png`);
  if (width) await resizeSidebar(page, width);
  await page.locator(PARTS[part] ?? PARTS.sidebar).screenshot({ path: target, timeout: 10_000 });
  await page.screenshot({ path: path.join(outputDir, `${name}-window.png`), timeout: 10_000 });
  shots.push(target);
  return target;
}

/** Drags the sash between the sidebar and the editor so the sidebar is `width` pixels wide. */
async function resizeSidebar(page, width) {
  const sidebar = await page.locator("#workbench\\.parts\\.sidebar").boundingBox();
  if (!sidebar) return;
  const edge = sidebar.x + sidebar.width;
  // The vertical sash nearest the sidebar's right edge (the workbench draws one per split).
  const sashes = await page.locator(".monaco-sash.vertical").evaluateAll((els) =>
    els.map((e) => e.getBoundingClientRect()).map((r) => ({ x: r.x + r.width / 2, y: r.y + r.height / 2, h: r.height })));
  const sash = sashes.filter((r) => r.h > 100).sort((a, b) => Math.abs(a.x - edge) - Math.abs(b.x - edge))[0];
  if (!sash || Math.abs(sash.x - edge) > 10) return;
  await page.mouse.move(sash.x, sash.y);
  await page.mouse.down();
  await page.mouse.move(sash.x + (sidebar.x + width - edge) / 2, sash.y, { steps: 5 });
  await page.mouse.move(sidebar.x + width, sash.y, { steps: 5 });
  await page.mouse.up();
  await page.waitForFunction(([w]) => {
    const el = document.getElementById("workbench.parts.sidebar");
    return !!el && Math.abs(el.getBoundingClientRect().width - w) < 12;
  }, [width], { timeout: 5000 }).catch(() => console.error(`[page driver] the sidebar did not become ${width} px wide`));
}

/**
 * Types a path into the simple file dialog (a quick input) and accepts it. The dialog fills in its start folder
 * after it shows, so the path is typed once that value is there, and Enter waits until the listing shows the file.
 */
async function acceptInQuickInput(page, text) {
  const input = page.locator(".quick-input-widget input").first();
  await input.waitFor({ state: "visible", timeout: 10_000 });
  await page.waitForFunction(() => {
    const box = document.querySelector(".quick-input-widget input");
    return box instanceof HTMLInputElement && box.value.length > 0;
  }, undefined, { timeout: 10_000 }).catch(() => undefined);
  await input.fill(text);
  const name = text.split("/").pop();
  await page.locator(".quick-input-list .monaco-list-row", { hasText: name }).first().waitFor({ timeout: 10_000 }).catch(() => undefined);
  if ((await input.inputValue()) !== text) await input.fill(text);
  await input.press("Enter");
  return true;
}

/** One request from the suite → the value to answer with. */
async function perform(page, { op, args = {} }, ctx) {
  switch (op) {
    case "screenshot":
      return screenshot(page, ctx.outputDir, ctx.shots, args);
    case "page":
      // Runs one of pageReaders.cjs in a webview: readTranscript, readComposer, observeStreaming, takeStreamed, readReport.
      if (typeof readers[args.reader] !== "function") throw new Error(`Unknown reader "${args.reader}".`);
      if (args.ifOpen && !(await findFrame(page, VIEWS[args.view]))) return null;
      return (await frameOf(page, args.view)).evaluate(readers[args.reader]);
    case "click":
      // A real click (mouse events at the element's position), as a user's.
      await (await frameOf(page, args.view)).locator(args.selector).first().click({ timeout: 10_000 });
      return true;
    case "waitFor":
      // Until an element matching `selector` is in the webview (Playwright watches the DOM; no fixed sleep).
      await (await frameOf(page, args.view)).waitForSelector(args.selector, { timeout: args.timeoutMs ?? 30_000, state: args.state ?? "attached" });
      return true;
    case "clickWhenVisible": {
      // Waits for the element in the page and clicks it at once, without a round trip through the suite (Stop must
      // land while a fast model still runs).
      const frame = await frameOf(page, args.view);
      await frame.waitForSelector(args.selector, { state: "visible", timeout: args.timeoutMs ?? 60_000 });
      await frame.locator(args.selector).first().click({ timeout: 5000 });
      return true;
    }
    case "type":
      await (await frameOf(page, args.view)).locator(args.selector).first().fill(args.text, { timeout: 10_000 });
      if (args.press) await page.keyboard.press(args.press);
      return true;
    case "press":
      await page.keyboard.press(args.key);
      return true;
    case "rightClick":
      // A context menu on a workbench element (the editor); read it with workbenchText(".context-view").
      await page.locator(args.selector).first().click({ button: "right", timeout: 10_000 });
      return true;
    case "workbenchText":
      // Text of a workbench element (the Settings editor, a notification); "" when it is not there.
      return page.locator(args.selector).first().innerText({ timeout: args.timeoutMs ?? 5000 }).catch(() => "");
    case "quickInput":
      return acceptInQuickInput(page, args.text);
    default:
      throw new Error(`Unknown page driver request "${op}".`);
  }
}

/** Answers the suite's requests until `stopped.value`; each request is handled once, in order of its number. */
export async function servePageDriver(page, { exchange, outputDir, shots, stopped }) {
  const ctx = { outputDir, shots };
  let wake;
  // Woken by the suite's writes; the timeout only bounds a missed event (and lets `stopped` be seen).
  const watcher = fs.watch(exchange, () => wake?.());
  const changed = () => new Promise((resolve) => {
    const timer = setTimeout(resolve, 500);
    wake = () => {
      clearTimeout(timer);
      resolve();
    };
  });
  try {
    await loop();
  } finally {
    watcher.close();
  }

  async function loop() {
  while (!stopped.value) {
    const next = changed();
    const requests = fs.readdirSync(exchange).filter((f) => /^req-\d+\.json$/.test(f)).sort((a, b) => parseInt(a.slice(4)) - parseInt(b.slice(4)));
    for (const file of requests) {
      const full = path.join(exchange, file);
      const request = JSON.parse(fs.readFileSync(full, "utf8"));
      fs.rmSync(full, { force: true });
      let response;
      try {
        response = { ok: true, value: await perform(page, request, ctx) };
      } catch (error) {
        const what = request.args?.selector ? ` (${request.args.view ?? "workbench"}: ${request.args.selector})` : "";
        response = { ok: false, error: `${error instanceof Error ? error.message.split("\n")[0] : String(error)}${what}` };
      }
      const out = path.join(exchange, file.replace(/^req-/, "res-"));
      fs.writeFileSync(`${out}.partial`, JSON.stringify(response));
      fs.renameSync(`${out}.partial`, out);
    }
    if (requests.length === 0) await next;
  }
  }
}
