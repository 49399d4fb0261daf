/** The sidebar webview: serves the page, validates what it posts, and delivers frames once it listens. */
import * as vscode from "vscode";
import { Disposable } from "../util/dispose";
import { chatPageHtml } from "./html";
import { PageLink } from "./pageLink";
import { parseWebviewMessage, type HostMessage, type RestoreFrame, type WebviewMessage } from "./protocol";

export const CHAT_VIEW_ID = "longropeQa.chat";

export class ChatViewProvider extends Disposable implements vscode.WebviewViewProvider {
  private view: vscode.WebviewView | undefined;
  private readonly link = new PageLink();

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly snapshot: () => RestoreFrame,
    private readonly onMessage: (message: WebviewMessage) => void,
  ) {
    super();
  }

  resolveWebviewView(view: vscode.WebviewView): void {
    this.view = view;
    this.link.reset();
    const roots = [vscode.Uri.joinPath(this.extensionUri, "media"), vscode.Uri.joinPath(this.extensionUri, "dist")];
    const html = chatPageHtml({
      cspSource: view.webview.cspSource,
      scriptUri: view.webview.asWebviewUri(vscode.Uri.joinPath(this.extensionUri, "dist", "webview.js")).toString(),
      styleUri: view.webview.asWebviewUri(vscode.Uri.joinPath(this.extensionUri, "media", "chat.css")).toString(),
    });
    // Options first would load the restored view's empty document once, which the host reports as a webview
    // without a content security policy; with the HTML first, every document it loads carries the CSP.
    view.webview.html = html;
    view.webview.options = { enableScripts: true, enableCommandUris: false, localResourceRoots: roots };
    const subscriptions = [
      view.webview.onDidReceiveMessage((raw: unknown) => this.receive(view, raw)),
      view.onDidChangeVisibility(() => {
        if (view.visible) this.post({ type: "focus" });
      }),
      view.onDidDispose(() => {
        if (this.view === view) {
          this.view = undefined;
          this.link.reset();
        }
        subscriptions.forEach((s) => s.dispose());
      }),
    ];
  }

  private receive(view: vscode.WebviewView, raw: unknown): void {
    if (this.view !== view) return;
    const message = parseWebviewMessage(raw);
    if (!message) return;
    this.link.heard();
    if (message.type === "ready") {
      void view.webview.postMessage(this.snapshot());
      return;
    }
    this.onMessage(message);
  }

  /** Sends a frame if a page is listening; a page that loads later catches up through `restore`. */
  post(message: HostMessage): void {
    if (this.view && this.link.isReady) void this.view.webview.postMessage(message);
  }

  /**
   * Opens the sidebar and waits (at most `timeoutMs`) until the page listens; false when it did not in time.
   * `focus` gives the view the keyboard (the question box), as opening it from the palette should.
   */
  async reveal(timeoutMs = 10_000, focus = false): Promise<boolean> {
    if (this.view) this.view.show(!focus);
    else await vscode.commands.executeCommand(`${CHAT_VIEW_ID}.focus`);
    const ready = await this.link.whenReady(timeoutMs);
    if (ready && focus) this.post({ type: "focus" });
    return ready;
  }
}
