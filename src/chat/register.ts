/** Wires the chat: the sidebar view, its commands, the status-bar item and (in test mode) the test hooks. */
import * as vscode from "vscode";
import { maxAnswerTokens, workspaceRoots } from "../config";
import type { EngineStatus, RepoQaConfig, RepoQaService } from "../engine/api";
import type { AskResult } from "../engine/protocol";
import { describeError } from "../util/errors";
import { ChatSession } from "./chatSession";
import { CHAT_VIEW_ID, ChatViewProvider } from "./chatViewProvider";
import { resolveCitation } from "./citations";
import { questionAboutFile, questionAboutSelection } from "./editorQuestions";
import { actionsFor, chooseModelFile, runErrorAction } from "./errorActions";
import type { WebviewMessage } from "./protocol";
import { createStatusBarItem } from "./statusBar";
import { createProgressNotifier } from "./progressNotification";
import { isTestMode, registerTestHooks } from "./testHooks";

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
  // Assigned right below; the session posts through the view, the view reads the session's snapshot.
  let view!: ChatViewProvider;
  const session = new ChatSession({
    service: deps.service,
    readConfig: deps.readConfig,
    maxTokens: maxAnswerTokens,
    store: context.workspaceState,
    post: (message) => view.post(message),
    isTrusted: () => vscode.workspace.isTrusted,
    actionsFor,
    onStatus: (s) => {
      status.update(s);
      if (s) notifier.update(s);
    },
    onAnsweringChanged: (answering) => void vscode.commands.executeCommand("setContext", "longropeQa.answering", answering),
    log: (level, message) => log[level](message),
  });

  const handle = async (message: WebviewMessage): Promise<void> => {
    switch (message.type) {
      case "ask":
        await session.ask(message.question.trim(), message.id);
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
        return runErrorAction(message.action, log);
      case "copyText":
        return vscode.env.clipboard.writeText(message.text);
      case "openLink": {
        const uri = vscode.Uri.parse(message.url, true);
        if (uri.scheme === "https" || uri.scheme === "http") await vscode.env.openExternal(uri);
        return;
      }
    }
  };
  view = new ChatViewProvider(context.extensionUri, () => session.snapshot(), (message) => {
    handle(message).catch((error: unknown) => log.error(`Chat message "${message.type}" failed: ${describeError(error)}`));
  });

  const prefill = async (text: string | undefined) => {
    if (!text) return;
    await view.reveal();
    view.post({ type: "prefill", text });
  };

  const disposables: vscode.Disposable[] = [
    session,
    view,
    status.item,
    notifier,
    vscode.window.registerWebviewViewProvider(CHAT_VIEW_ID, view, { webviewOptions: { retainContextWhenHidden: true } }),
    vscode.commands.registerCommand("longropeQa.ask", async (question?: unknown): Promise<AskResult | undefined> => {
      const asked =
        typeof question === "string" && question.trim()
          ? question.trim()
          : await vscode.window.showInputBox({ title: "Ask about this repo", prompt: "A question about the open workspace", ignoreFocusOut: true });
      if (!asked?.trim()) return undefined;
      // The answer streams whether or not the page is up yet; a page that loads late catches up.
      await view.reveal(5_000);
      return session.ask(asked.trim());
    }),
    vscode.commands.registerCommand("longropeQa.stop", () => session.stop()),
    vscode.commands.registerCommand("longropeQa.newChat", () => session.newChat()),
    vscode.commands.registerCommand("longropeQa.chooseModel", () => chooseModelFile()),
    vscode.commands.registerCommand("longropeQa.askAboutSelection", () => {
      const editor = vscode.window.activeTextEditor;
      return prefill(editor && questionAboutSelection(editor));
    }),
    vscode.commands.registerCommand("longropeQa.askAboutFile", (uri?: unknown) => {
      const target = uri instanceof vscode.Uri ? uri : vscode.window.activeTextEditor?.document.uri;
      return prefill(target && questionAboutFile(target));
    }),
    vscode.workspace.onDidGrantWorkspaceTrust(() => view.post(session.snapshot())),
  ];
  if (isTestMode(context)) disposables.push(registerTestHooks(view));
  const all = vscode.Disposable.from(...disposables);
  return { dispose: () => all.dispose(), reportStatus: (s) => session.reportStatus(s) };
}
