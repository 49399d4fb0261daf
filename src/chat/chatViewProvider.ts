/** The sidebar webview: serves the page, validates what it posts, and lets the extension make requests of it. */
import * as vscode from "vscode";
import { Disposable } from "../util/dispose";
import { chatPageHtml } from "./html";
import {
  parseWebviewMessage,
  type ClickRequest,
  type HostMessage,
  type ReadTranscriptRequest,
  type RestoreFrame,
  type TranscriptSnapshot,
  type WebviewMessage,
} from "./protocol";

export const CHAT_VIEW_ID = "longropeQa.chat";

type PageRequest = ReadTranscriptRequest | ClickRequest;
type PageAnswer = TranscriptSnapshot | boolean;

interface Pending {
  readonly resolve: (value: PageAnswer) => void;
  readonly reject: (error: Error) => void;
  readonly timer: NodeJS.Timeout;
}

export class ChatViewProvider extends Disposable implements vscode.WebviewViewProvider {
  private view: vscode.WebviewView | undefined;
  private pageReady = false;
  private readonly readyWaiters = new Set<() => void>();
  private readonly pending = new Map<string, Pending>();
  private requestCounter = 0;

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly snapshot: () => RestoreFrame,
    private readonly onMessage: (message: WebviewMessage) => void,
  ) {
    super();
    this._register({ dispose: () => this.rejectPending("The chat view was closed.") });
  }

  resolveWebviewView(view: vscode.WebviewView): void {
    this.view = view;
    this.pageReady = false;
    const roots = [vscode.Uri.joinPath(this.extensionUri, "media"), vscode.Uri.joinPath(this.extensionUri, "dist")];
    view.webview.options = { enableScripts: true, enableCommandUris: false, localResourceRoots: roots };
    view.webview.html = chatPageHtml({
      cspSource: view.webview.cspSource,
      scriptUri: view.webview.asWebviewUri(vscode.Uri.joinPath(this.extensionUri, "dist", "webview.js")).toString(),
      styleUri: view.webview.asWebviewUri(vscode.Uri.joinPath(this.extensionUri, "media", "chat.css")).toString(),
    });
    const subscriptions = [
      view.webview.onDidReceiveMessage((raw: unknown) => this.receive(view, raw)),
      view.onDidDispose(() => {
        if (this.view === view) {
          this.view = undefined;
          this.pageReady = false;
          this.rejectPending("The chat view was closed.");
        }
        subscriptions.forEach((s) => s.dispose());
      }),
    ];
  }

  private receive(view: vscode.WebviewView, raw: unknown): void {
    if (this.view !== view) return;
    const message = parseWebviewMessage(raw);
    if (!message) return;
    // The page posts only after its listener is up, so any message (not only `ready`) means answers can go out:
    // a page restoring its own state asks about citations before it says ready.
    if (message.type === "ready" || !this.pageReady) this.markReady(view, message.type === "ready");
    switch (message.type) {
      case "ready":
        return;
      case "transcript":
        return this.settle(message.id, message.snapshot);
      case "clicked":
        return this.settle(message.id, message.clicked);
      default:
        this.onMessage(message);
    }
  }

  private markReady(view: vscode.WebviewView, sendSnapshot: boolean): void {
    this.pageReady = true;
    if (sendSnapshot) void view.webview.postMessage(this.snapshot());
    for (const waiter of this.readyWaiters) waiter();
    this.readyWaiters.clear();
  }

  /** Sends a frame if a page is listening; a page that loads later catches up through `restore`. */
  post(message: HostMessage): void {
    if (this.view && this.pageReady) void this.view.webview.postMessage(message);
  }

  /** Opens the sidebar and waits (at most `timeoutMs`) until the page listens; false when it did not in time. */
  async reveal(timeoutMs = 10_000): Promise<boolean> {
    if (this.view && !this.view.visible) this.view.show(true);
    if (!this.view) await vscode.commands.executeCommand(`${CHAT_VIEW_ID}.focus`);
    if (this.pageReady) return true;
    return new Promise<boolean>((resolve) => {
      const done = (ok: boolean) => {
        clearTimeout(timer);
        this.readyWaiters.delete(onReady);
        resolve(ok);
      };
      const onReady = () => done(true);
      const timer = setTimeout(() => done(false), timeoutMs);
      this.readyWaiters.add(onReady);
    });
  }

  /** A request the page answers with a message of the same id (the integration tests' hooks). */
  async request(message: Omit<ReadTranscriptRequest, "id">): Promise<TranscriptSnapshot>;
  async request(message: Omit<ClickRequest, "id">): Promise<boolean>;
  async request(message: Omit<PageRequest, "id">): Promise<PageAnswer> {
    if (!(await this.reveal())) throw new Error("The LongRoPE QA chat view did not load.");
    const id = `r${++this.requestCounter}`;
    return new Promise<PageAnswer>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`The chat view did not answer "${message.type}" within 10 s.`));
      }, 10_000);
      this.pending.set(id, { resolve, reject, timer });
      this.post({ ...message, id } as PageRequest);
    });
  }

  private settle(id: string, value: PageAnswer): void {
    const p = this.pending.get(id);
    if (!p) return;
    this.pending.delete(id);
    clearTimeout(p.timer);
    p.resolve(value);
  }

  private rejectPending(reason: string): void {
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.reject(new Error(reason));
    }
    this.pending.clear();
  }
}
