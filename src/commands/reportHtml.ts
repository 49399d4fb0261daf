/** The context report page's HTML (pure, so the browser tests load exactly the page the extension serves). */
import { webviewPageHtml, type ChatPageOptions } from "../chat/html";

export function reportPageHtml(options: ChatPageOptions): string {
  return webviewPageHtml(
    options,
    "Context report",
    `<main id="report">
<header><h1>Context report</h1><button type="button" id="refresh" class="secondary">Refresh</button></header>
<p id="busy" class="busy" role="status">Packing the workspace…</p>
<div id="content"></div>
</main>
`,
  );
}
