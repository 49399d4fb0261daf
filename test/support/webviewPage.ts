/**
 * Loads the chat page (the exact HTML the extension serves, with dist/webview.js and media/chat.css) into real
 * headless Chromium, with a stand-in for `acquireVsCodeApi` that records what the page posts and its saved state.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, before } from "node:test";
import { chromium, type BrowserContext, type Page } from "playwright-core";
import { chatPageHtml } from "../../src/chat/html";
import type { HostMessage, WebviewMessage } from "../../src/chat/protocol";
import { chromiumPath } from "./chromium.cjs";
import { readComposer, readTranscript, type ComposerView, type Transcript } from "./pageReaders.cjs";

export const repoRoot = path.resolve(__dirname, "../..");
const ORIGIN = "https://webview.test";

export type Theme = "light" | "dark" | "high-contrast";

const themes: Record<Theme, Record<string, string>> = {
  light: {
    foreground: "#3b3b3b", "sideBar-background": "#f8f8f8", "editor-background": "#ffffff",
    descriptionForeground: "#717171", "textLink-foreground": "#005fb8", "textLink-activeForeground": "#005fb8",
    "textCodeBlock-background": "#e8e8e8", "button-background": "#005fb8", "button-foreground": "#ffffff",
    "button-hoverBackground": "#0258a8", "button-secondaryBackground": "#e5e5e5", "button-secondaryForeground": "#3b3b3b",
    "input-background": "#ffffff", "input-foreground": "#3b3b3b", "input-border": "#cecece", "focusBorder": "#005fb8",
    "panel-border": "#e5e5e5", "errorForeground": "#f85149", "progressBar-background": "#005fb8",
    "debugTokenExpression-string": "#a31515", "debugTokenExpression-number": "#098658", "debugTokenExpression-name": "#001080",
    "symbolIcon-keywordForeground": "#0000ff", "symbolIcon-functionForeground": "#795e26",
    "font-family": "sans-serif", "font-size": "13px", "editor-font-family": "monospace",
  },
  dark: {
    foreground: "#cccccc", "sideBar-background": "#181818", "editor-background": "#1f1f1f",
    descriptionForeground: "#9d9d9d", "textLink-foreground": "#4daafc", "textLink-activeForeground": "#4daafc",
    "textCodeBlock-background": "#2b2b2b", "button-background": "#0078d4", "button-foreground": "#ffffff",
    "button-hoverBackground": "#026ec1", "button-secondaryBackground": "#313131", "button-secondaryForeground": "#cccccc",
    "input-background": "#313131", "input-foreground": "#cccccc", "input-border": "#3c3c3c", "focusBorder": "#0078d4",
    "panel-border": "#2b2b2b", "errorForeground": "#f85149", "progressBar-background": "#0078d4",
    "debugTokenExpression-string": "#ce9178", "debugTokenExpression-number": "#b5cea8", "debugTokenExpression-name": "#9cdcfe",
    "symbolIcon-keywordForeground": "#569cd6", "symbolIcon-functionForeground": "#dcdcaa",
    "font-family": "sans-serif", "font-size": "13px", "editor-font-family": "monospace",
  },
  "high-contrast": {
    foreground: "#ffffff", "sideBar-background": "#000000", "editor-background": "#000000", contrastBorder: "#6fc3df",
    descriptionForeground: "#ffffff", "textLink-foreground": "#21a6ff", "textLink-activeForeground": "#21a6ff",
    "textCodeBlock-background": "#000000", "button-background": "#000000", "button-foreground": "#ffffff",
    "button-border": "#6fc3df", "button-secondaryBackground": "#000000", "button-secondaryForeground": "#ffffff",
    "input-background": "#000000", "input-foreground": "#ffffff", "input-border": "#6fc3df", "focusBorder": "#f38518",
    "panel-border": "#6fc3df", "errorForeground": "#f48771", "progressBar-background": "#6fc3df",
    "debugTokenExpression-string": "#ce9178", "debugTokenExpression-number": "#b5cea8", "debugTokenExpression-name": "#9cdcfe",
    "symbolIcon-keywordForeground": "#569cd6", "symbolIcon-functionForeground": "#dcdcaa",
    "font-family": "sans-serif", "font-size": "13px", "editor-font-family": "monospace",
  },
};

export async function launchBrowser(): Promise<{ context: BrowserContext; close(): Promise<void> }> {
  const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), "lrq-chromium-"));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: chromiumPath(),
    headless: true,
    viewport: { width: 420, height: 760 },
    args: [
      "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
      "--disable-component-update", "--disable-sync",
    ],
  });
  return {
    context,
    async close() {
      await context.close();
      fs.rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}

/**
 * One headless Chromium for the calling describe(): launched in a before() hook, closed in an after() hook even when
 * the launch or another before() failed (a browser left running would keep the test process alive).
 */
export function chromiumForSuite(): { readonly context: BrowserContext } {
  let browser: Awaited<ReturnType<typeof launchBrowser>> | undefined;
  before(async () => {
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
  });
  return {
    get context() {
      if (!browser) throw new Error("Chromium did not start: see the suite's before() hook.");
      return browser.context;
    },
  };
}

export interface PageOptions {
  readonly theme?: Theme;
  /** What `getState()` returns, as after a reload. */
  readonly initialState?: unknown;
  /**
   * "weak" replaces the page's CSP with one that allows inline script, so an XSS test measures the sanitizer alone
   * (with the real CSP, an injected handler would be blocked anyway and the test could not fail).
   */
  readonly csp?: "strict" | "weak";
  /** Another page than the chat (the context report): its HTML and the two files it loads. */
  readonly page?: { readonly html: (o: { cspSource: string; scriptUri: string; styleUri: string }) => string; readonly script: string; readonly style: string };
}

export interface ChatPage {
  readonly page: Page;
  send(message: HostMessage): Promise<void>;
  posted(): Promise<WebviewMessage[]>;
  state(): Promise<unknown>;
  /** The transcript and composer as the integration tests read them (test/support/pageReaders.cjs). */
  transcript(): Promise<Transcript>;
  composer(): Promise<ComposerView>;
  /** Runs until `predicate` holds on the posted messages; returns the first match. */
  waitForPosted(predicate: (m: WebviewMessage) => boolean, timeoutMs?: number): Promise<WebviewMessage>;
}

export async function openChatPage(context: BrowserContext, options: PageOptions = {}): Promise<ChatPage> {
  const theme = options.theme ?? "dark";
  const served = options.page ?? { html: chatPageHtml, script: "dist/webview.js", style: "media/chat.css" };
  let html = served.html({ cspSource: ORIGIN, scriptUri: `${ORIGIN}/${served.script}`, styleUri: `${ORIGIN}/${served.style}` });
  html = html.replace("<link rel=", `<link rel="stylesheet" href="${ORIGIN}/theme.css">\n<link rel=`);
  html = html.replace("<body>", `<body class="vscode-${theme}">`);
  if (options.csp === "weak") {
    html = html.replace(/content="default-src[^"]*"/, `content="default-src * 'unsafe-inline' 'unsafe-eval' data: blob:"`);
  }
  const themeCss = `:root {\n${Object.entries(themes[theme]).map(([k, v]) => `  --vscode-${k}: ${v};`).join("\n")}\n}`;
  const page = await context.newPage();
  await page.route(`${ORIGIN}/**`, (route) => {
    const url = new URL(route.request().url());
    const file = (name: string, type: string) =>
      route.fulfill({ status: 200, contentType: type, body: fs.readFileSync(path.join(repoRoot, name)) });
    if (url.pathname === "/index.html") return route.fulfill({ status: 200, contentType: "text/html", body: html });
    if (url.pathname === "/theme.css") return route.fulfill({ status: 200, contentType: "text/css", body: themeCss });
    if (url.pathname === `/${served.script}`) return file(served.script, "text/javascript");
    if (url.pathname === `/${served.style}`) return file(served.style, "text/css");
    return route.fulfill({ status: 404, body: "" });
  });
  // Anything else (a payload's remote image, a tracker) never leaves the machine.
  await page.route((url) => !url.href.startsWith(ORIGIN), (route) => route.abort());
  // tsx compiles the functions below with esbuild's keepNames, which calls a `__name` helper the page lacks.
  await page.addInitScript("globalThis.__name = (f) => f;");
  await page.addInitScript((initialState) => {
    const w = window as unknown as Record<string, unknown>;
    const posted: unknown[] = [];
    w.__posted = posted;
    w.__cspViolations = [];
    document.addEventListener("securitypolicyviolation", (e) =>
      (w.__cspViolations as string[]).push(`${e.violatedDirective} ${e.blockedURI}`),
    );
    w.acquireVsCodeApi = () => ({
      postMessage: (m: unknown) => posted.push(JSON.parse(JSON.stringify(m))),
      getState: () => initialState,
      setState: (s: unknown) => {
        w.__state = JSON.parse(JSON.stringify(s));
      },
    });
  }, options.initialState);
  await page.goto(`${ORIGIN}/index.html`);
  const chat: ChatPage = {
    page,
    // Posted messages are handled in order as tasks of their own: resolve once a marker posted after this one arrives,
    // so the page has handled the message before the test looks.
    send: (message) =>
      page.evaluate(
        (m) =>
          new Promise<void>((resolve) => {
            const marker = `lrq-test-marker-${Math.random()}`;
            const onMessage = (event: MessageEvent) => {
              if ((event.data as { marker?: unknown } | null)?.marker !== marker) return;
              window.removeEventListener("message", onMessage);
              resolve();
            };
            window.addEventListener("message", onMessage);
            window.postMessage(m, "*");
            window.postMessage({ type: "__testMarker", marker }, "*");
          }),
        message as unknown as Record<string, unknown>,
      ),
    posted: () => page.evaluate(() => (window as unknown as { __posted: WebviewMessage[] }).__posted),
    state: () => page.evaluate(() => (window as unknown as { __state: unknown }).__state),
    transcript: () => page.evaluate(readTranscript),
    composer: () => page.evaluate(readComposer),
    async waitForPosted(predicate, timeoutMs = 5000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = (await chat.posted()).find(predicate);
        if (found) return found;
        if (Date.now() > deadline) throw new Error("The page did not post the expected message in time.");
        await new Promise((r) => setTimeout(r, 25));
      }
    },
  };
  await chat.waitForPosted((m) => m.type === "ready");
  return chat;
}
