/**
 * The chat page's HTML. Pure (no `vscode` import) so the browser tests load exactly the page the extension serves.
 * CSP: nothing by default; scripts only with this load's nonce; styles and fonts only from the extension's own
 * resources; images only inline (codicons, no remote trackers in answers).
 */
import { randomBytes } from "node:crypto";

export interface ChatPageOptions {
  /** `webview.cspSource`. */
  readonly cspSource: string;
  readonly scriptUri: string;
  readonly styleUri: string;
  /** Default: a fresh random nonce. */
  readonly nonce?: string;
}

export function newNonce(): string {
  return randomBytes(18).toString("base64url");
}

function attr(value: string): string {
  return value.replace(/&/g, "&amp;").replace(/"/g, "&quot;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/** A webview page: the CSP above, one stylesheet, one script with this load's nonce, and `body`. */
export function webviewPageHtml(options: ChatPageOptions, title: string, body: string): string {
  const nonce = options.nonce ?? newNonce();
  const csp = [
    "default-src 'none'",
    `script-src 'nonce-${nonce}'`,
    `style-src ${options.cspSource}`,
    `font-src ${options.cspSource}`,
    `img-src ${options.cspSource} data:`,
  ].join("; ");
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${attr(csp)}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${attr(options.styleUri)}">
<title>${attr(title)}</title>
</head>
<body>
${body}<script nonce="${attr(nonce)}" src="${attr(options.scriptUri)}"></script>
</body>
</html>`;
}

export function chatPageHtml(options: ChatPageOptions): string {
  return webviewPageHtml(options, "LongRoPE QA", `<header id="meter" class="meter" aria-label="Context" hidden></header>
<section id="restricted" class="restricted" hidden>
  <h2>Restricted Mode</h2>
  <p>LongRoPE Repo QA reads every file of this workspace into a model prompt, and a workspace can point it at files
  it should not read. It stays off until you trust this folder.</p>
  <button type="button" data-action="trustWorkspace">Manage Workspace Trust</button>
</section>
<section id="welcome" class="welcome" aria-label="Getting started" hidden></section>
<main id="transcript" class="transcript" role="log" aria-live="polite" aria-relevant="additions" aria-label="Conversation"></main>
<div id="announcer" class="sr-only" role="status" aria-live="polite"></div>
<footer class="composer">
  <div id="status" class="status" aria-hidden="true"></div>
  <form id="ask-form">
    <div id="chips" class="chips" hidden></div>
    <label for="question" class="sr-only">Question about this repository</label>
    <textarea id="question" rows="3" placeholder="Ask about this repo (Enter sends, Shift+Enter for a new line)"></textarea>
    <div class="buttons">
      <button type="button" id="new-chat" class="secondary" title="New chat">New chat</button>
      <button type="button" id="stop" class="secondary" title="Stop (Escape)" hidden>Stop</button>
      <button type="submit" id="send">Send</button>
    </div>
  </form>
</footer>
`);
}
