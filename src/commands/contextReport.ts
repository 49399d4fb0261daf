/**
 * "LongRoPE QA: Show context report": what goes into the prompt and what is left out, as a view in the editor area
 * (media/report.ts). Its figures come from the budget a question would get, so they agree with the chat's.
 */
import * as fs from "node:fs/promises";
import * as path from "node:path";
import * as vscode from "vscode";
import { addAlwaysInclude, maxAnswerTokens, readConfig, workspaceRoots } from "../config";
import type { LocalEngineConfig, PackBudget, RepoQaService } from "../engine/api";
import { estimateMemory } from "../engine/memoryEstimate";
import { formatBytes } from "../engine/memoryPlan";

import { resolveCitation } from "../chat/citations";
import { describeError } from "../util/errors";
import { reportPageHtml } from "./reportHtml";
import { answerLine, formatCount, parseAnswerTarget, reportModel, type AnswerReportTarget } from "./reportModel";
import { parseReportRequest, type ReportHostMessage, type ReportRequest } from "./reportProtocol";

export interface ContextReportDeps {
  readonly service: RepoQaService;
  readonly log: vscode.LogOutputChannel;
}

/** "Memory: …" for the tokens a question allocates (prompt + both reserves), or undefined without a model. */
async function memoryLine(engine: LocalEngineConfig, repoTokens: number | undefined, budget: PackBudget | undefined, modelPath: string | undefined): Promise<string | undefined> {
  if (!modelPath || repoTokens === undefined || !budget) return undefined;
  const tokens = repoTokens + budget.answerTokens + budget.questionTokens;
  try {
    const kvType = engine.kvCacheType ?? "f16";
    const e = await estimateMemory(modelPath, tokens, kvType);
    const verdict = e.fits ? "fits" : `does not fit — try a ${e.suggestion}`;
    return `Memory: the model file ${formatBytes(e.modelBytes)} + a ${kvType} KV cache of ${formatBytes(e.kvBytes)} for ${formatCount(tokens)} tokens (repository + answer + question); ${formatBytes(e.availableBytes)} free beside the model — ${verdict}`;
  } catch (error) {
    return `Memory: no estimate (${describeError(error)})`;
  }
}

/** Adds `<folder>/` to the .longropeignore of the workspace root holding it; returns the file changed. */
async function excludeFolder(promptPath: string): Promise<string> {
  const roots = workspaceRoots();
  const [first, ...rest] = promptPath.split("/");
  const named = roots.length > 1 ? roots.find((r) => r.name === first) : undefined;
  const root = named ?? roots[0];
  if (!root) throw new Error("No workspace folder is open.");
  const relative = named ? rest.join("/") : promptPath;
  if (!relative || relative.split("/").includes("..")) throw new Error(`"${promptPath}" is not a folder of this workspace.`);
  const file = path.join(root.path, ".longropeignore");
  const existing = await fs.readFile(file, "utf8").catch(() => "");
  const line = `${relative.replace(/\/$/, "")}/`;
  if (!existing.split(/\r?\n/).includes(line)) {
    await fs.writeFile(file, `${existing}${existing && !existing.endsWith("\n") ? "\n" : ""}${line}\n`);
  }
  return file;
}

class ReportPanel {
  private panel: vscode.WebviewPanel | undefined;
  private running: AbortController | undefined;
  /** Set when opened from an answer; the palette command opens the plain report. */
  private answer: AnswerReportTarget | undefined;

  constructor(private readonly extensionUri: vscode.Uri, private readonly deps: ContextReportDeps) {}

  /** Opens the view (its page asks for the report once it loads) or brings it back with fresh figures. */
  async show(answer?: AnswerReportTarget): Promise<void> {
    this.answer = answer;
    if (!this.panel) {
      this.panel = this.create();
      return;
    }
    this.panel.reveal();
    await this.refresh();
  }

  private create(): vscode.WebviewPanel {
    const media = vscode.Uri.joinPath(this.extensionUri, "media");
    const dist = vscode.Uri.joinPath(this.extensionUri, "dist");
    const panel = vscode.window.createWebviewPanel("longropeQa.contextReport", "Context report", vscode.ViewColumn.Active, {
      enableScripts: true,
      enableCommandUris: false,
      localResourceRoots: [media, dist],
    });
    panel.iconPath = vscode.Uri.joinPath(media, "icon.svg");
    panel.webview.html = reportPageHtml({
      cspSource: panel.webview.cspSource,
      scriptUri: panel.webview.asWebviewUri(vscode.Uri.joinPath(dist, "report.js")).toString(),
      styleUri: panel.webview.asWebviewUri(vscode.Uri.joinPath(media, "report.css")).toString(),
    });
    panel.webview.onDidReceiveMessage((raw: unknown) => {
      const request = parseReportRequest(raw);
      if (request) this.handle(request).catch((error: unknown) => this.fail(error));
    });
    panel.onDidDispose(() => {
      this.running?.abort();
      this.panel = undefined;
    });
    return panel;
  }

  private post(message: ReportHostMessage): void {
    void this.panel?.webview.postMessage(message);
  }

  private fail(error: unknown): void {
    this.deps.log.error(`Context report: ${describeError(error)}`);
    this.post({ type: "error", message: describeError(error) });
  }

  private async handle(request: ReportRequest): Promise<void> {
    switch (request.type) {
      case "ready":
      case "refresh":
        return this.refresh();
      case "openFile": {
        const file = await resolveCitation(workspaceRoots(), request.path);
        if (file) await vscode.window.showTextDocument(vscode.Uri.file(file), { viewColumn: vscode.ViewColumn.Beside, preview: true });
        return;
      }
      case "excludeFolder": {
        const file = await excludeFolder(request.path);
        return this.refresh(`Added ${request.path}/ to ${vscode.workspace.asRelativePath(file)}.`);
      }
      case "alwaysInclude":
        await addAlwaysInclude(request.path);
        return this.refresh(`Added ${request.path} to longropeQa.alwaysInclude: it is read first when the repository does not fit.`);
    }
  }

  /** Packs as a question would (same answer reserve, same budget) and shows the result. */
  async refresh(changed?: string): Promise<void> {
    this.running?.abort();
    const abort = (this.running = new AbortController());
    this.post({ type: "busy", message: "Packing the workspace…" });
    try {
      const answer = this.answer;
      // From an answer, packed for its question: files it names go first, as they did for the answer.
      const config = readConfig(answer?.question);
      const result = await this.deps.service.pack(config, {
        signal: abort.signal,
        onStatus: (s) => {
          if (s.state === "packing") this.post({ type: "busy", message: `Packing the workspace: ${formatCount(s.filesSeen)} files…` });
          else if (s.state === "loading") this.post({ type: "busy", message: "Loading the model's tokenizer…" });
        },
      }, maxAnswerTokens());
      if (abort.signal.aborted) return;
      const modelPath = config.engine.modelPath || this.deps.service.lastModel?.modelPath;
      const memory = await memoryLine(config.engine, result.totalTokens, result.budget, modelPath);
      this.post({ type: "report", report: reportModel(result, result.budget, memory), changed, ...(answer ? { answer: answerLine(answer) } : {}) });
    } catch (error) {
      this.fail(error);
    }
  }

  dispose(): void {
    this.running?.abort();
    this.panel?.dispose();
  }
}

export function registerContextReport(context: vscode.ExtensionContext, deps: ContextReportDeps): vscode.Disposable {
  const panel = new ReportPanel(context.extensionUri, deps);
  return vscode.Disposable.from(panel, vscode.commands.registerCommand("longropeQa.showContextReport", (arg?: unknown) => panel.show(parseAnswerTarget(arg))));
}
