/** Wires the chat: the sidebar view, its commands, the status-bar item and the welcome state. */
import * as path from "node:path";
import * as vscode from "vscode";
import { SECTION, maxAnswerTokens, openSetting, workspaceRoots } from "../config";
import type { EngineStatus, RepoQaConfig, RepoQaService } from "../engine/api";
import { describeError } from "../util/errors";
import { chooseModelFile, runErrorAction } from "./actionCommands";
import { ChatSession } from "./chatSession";
import { CHAT_VIEW_ID, ChatViewProvider } from "./chatViewProvider";
import { resolveCitation } from "./citations";
import { fileOf, selectionOf } from "./editorQuestions";
import { externalLink, type Attachment, type WebviewMessage, type WelcomeInfo } from "./protocol";
import { createStatusBarItem } from "./statusBar";
import { createProgressNotifier } from "./progressNotification";
import { welcomeInfo } from "./welcome";

export interface ChatDeps {
  readonly service: RepoQaService;
  /** Throws RepoQaError for bad settings. */
  readonly readConfig: (question?: string) => RepoQaConfig;
  readonly log: vscode.LogOutputChannel;
}

async function openCitation(citedPath: string, line: number, log: vscode.LogOutputChannel): Promise<void> {
  const file = await resolveCitation(workspaceRoots(), citedPath);
  if (!file) {
    log.warn(`Citation ${citedPath}:${line} is not a file inside the workspace; not opened.`);
    return;
  }
  const document = await vscode.workspace.openTextDocument(vscode.Uri.file(file));
  const target = Math.min(Math.max(line, 1), document.lineCount) - 1;
  const position = new vscode.Position(target, 0);
  await vscode.window.showTextDocument(document, {
    selection: new vscode.Range(position, position),
    viewColumn: vscode.ViewColumn.One,
    preview: true,
  });
}

export interface ChatRegistration extends vscode.Disposable {
  /** Shows engine work started outside the chat (a re-ingest after an edit) in the status bar and the meter. */
  reportStatus(status: EngineStatus): void;
}

export function registerChat(context: vscode.ExtensionContext, deps: ChatDeps): ChatRegistration {
  const { log } = deps;
  const status = createStatusBarItem();
  const notifier = createProgressNotifier(() => session.stop());
  let welcome: WelcomeInfo | undefined;
  // `view` is declared below the session: the session posts through the view, the view reads the session's snapshot.
  const session = new ChatSession({
    service: deps.service,
    readConfig: deps.readConfig,
    maxTokens: maxAnswerTokens,
    store: context.workspaceState,
    post: (message) => view.post(message),
    isTrusted: () => vscode.workspace.isTrusted,
    remote: vscode.env.remoteName !== undefined,
    onStatus: (s) => {
      status.update(s);
      notifier.update(s);
    },
    onAnsweringChanged: (answering) => void vscode.commands.executeCommand("setContext", "longropeQa.answering", answering),
    // The walkthrough's "Ask your first question" completes on this, not when the view merely opens.
    onAnswered: () => void vscode.commands.executeCommand("setContext", "longropeQa.hasAsked", true),
    log: (level, message) => log[level](message),
  });

  const refreshWelcome = async () => {
    welcome = await welcomeInfo(context.globalStorageUri.fsPath);
    view.post({ type: "welcome", welcome });
  };

  const afterAction = async (outcome: { notice?: string; retry: boolean }, turnId: string | undefined) => {
    if (outcome.notice) session.notice(outcome.retry && turnId ? `${outcome.notice} Asking again.` : outcome.notice);
    if (outcome.retry && turnId) await session.retry(turnId);
  };

  const handle = async (message: WebviewMessage): Promise<void> => {
    switch (message.type) {
      case "ask":
        await session.ask(message.question.trim(), message.id, message.attachment);
        return;
      case "cancel":
        session.stop(message.targetId);
        return;
      case "newChat":
        session.newChat();
        return;
      case "openCitation":
        return openCitation(message.path, message.line, log);
      case "resolveCitations": {
        const roots = workspaceRoots();
        const checks = await Promise.all(message.paths.map(async (p) => ((await resolveCitation(roots, p)) ? p : undefined)));
        view.post({ type: "citations", id: message.id, resolved: checks.filter((p): p is string => p !== undefined) });
        return;
      }
      case "runAction":
        return afterAction(await runErrorAction(message.action, log, message.turnId ? session.answerReport(message.turnId) : undefined), message.turnId);
      case "copyText":
        return vscode.env.clipboard.writeText(message.text);
      case "openLink": {
        const url = externalLink(message.url);
        if (url) await vscode.env.openExternal(vscode.Uri.parse(url.href, true));
        return;
      }
    }
  };
  const view = new ChatViewProvider(
    context.extensionUri,
    () => ({ ...session.snapshot(), welcome }),
    (message) => {
      handle(message).catch((error: unknown) => log.error(`Chat message "${message.type}" failed: ${describeError(error)}`));
    },
  );

  const attach = async (attachment: Attachment | undefined) => {
    if (!attachment) return;
    await view.reveal(10_000, true);
    view.post({ type: "prefill", attachment });
  };

  const disposables: vscode.Disposable[] = [
    session,
    view,
    status.item,
    notifier,
    vscode.window.registerWebviewViewProvider(CHAT_VIEW_ID, view, { webviewOptions: { retainContextWhenHidden: true } }),
    vscode.commands.registerCommand("longropeQa.ask", async (question?: unknown) => {
      if (typeof question === "string" && question.trim()) {
        // The answer streams whether or not the page is up yet; a page that loads late catches up.
        await view.reveal(5_000);
        return session.ask(question.trim());
      }
      // From the palette or the keybinding: the question box is where the question goes.
      if (await view.reveal(10_000, true)) return undefined;
      const asked = await vscode.window.showInputBox({ title: "Ask about this repo", prompt: "A question about the open workspace", ignoreFocusOut: true });
      return asked?.trim() ? session.ask(asked.trim()) : undefined;
    }),
    vscode.commands.registerCommand("longropeQa.stop", () => session.stop()),
    vscode.commands.registerCommand("longropeQa.newChat", () => session.newChat()),
    vscode.commands.registerCommand("longropeQa.chooseModel", async () => {
      const chosen = await chooseModelFile();
      if (chosen) void vscode.window.showInformationMessage(`LongRoPE QA will answer with ${path.basename(chosen)}.`);
      return chosen;
    }),
    vscode.commands.registerCommand("longropeQa.openSettings", () => openSetting()),
    vscode.commands.registerCommand("longropeQa.askAboutSelection", () => {
      const editor = vscode.window.activeTextEditor;
      return attach(editor && selectionOf(editor));
    }),
    vscode.commands.registerCommand("longropeQa.askAboutFile", (uri?: unknown) => {
      const target = uri instanceof vscode.Uri ? uri : vscode.window.activeTextEditor?.document.uri;
      return attach(target && fileOf(target));
    }),
    vscode.workspace.onDidGrantWorkspaceTrust(() => view.post({ ...session.snapshot(), welcome })),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration(SECTION)) refreshWelcome().catch((error: unknown) => log.warn(`Welcome view: ${describeError(error)}`));
    }),
  ];
  refreshWelcome().catch((error: unknown) => log.warn(`Welcome view: ${describeError(error)}`));
  const all = vscode.Disposable.from(...disposables);
  return { dispose: () => void all.dispose(), reportStatus: (s) => session.reportStatus(s) };
}
