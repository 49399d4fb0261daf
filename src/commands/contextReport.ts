/** "LongRoPE QA: Show context report": what goes into the prompt and what is left out, as a read-only document. */
import * as vscode from "vscode";
import { contextReserve, type LocalEngineConfig, type RepoQaService, type ServicePackResult } from "../engine/api";
import { maxAnswerTokens, readConfig } from "../config";
import { renderPackReport } from "../workspace/index";
import { describeError } from "../util/errors";
import { estimateMemory } from "../engine/memoryEstimate";
import { formatBytes } from "../engine/memoryPlan";

const SCHEME = "longrope-qa-report";
const REPORT_URI = vscode.Uri.from({ scheme: SCHEME, path: "/Context report.md" });

export interface ContextReportDeps {
  readonly service: RepoQaService;
  readonly log: vscode.LogOutputChannel;
}

class ReportDocuments implements vscode.TextDocumentContentProvider {
  private readonly changed = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.changed.event;
  text = "";

  set(text: string): void {
    this.text = text;
    this.changed.fire(REPORT_URI);
  }
  provideTextDocumentContent(): string {
    return this.text;
  }
  dispose(): void {
    this.changed.dispose();
  }
}

/** "What fits in memory": KV cache for the packed repo plus the answer, next to the model file and free memory. */
async function memorySection(engine: LocalEngineConfig, repoTokens: number | undefined, service: RepoQaService): Promise<string> {
  const modelPath = engine.modelPath || service.lastModel?.modelPath;
  if (!modelPath || repoTokens === undefined) return "\n## Memory\n\nSet `longropeQa.modelPath` to see what fits in memory.\n";
  try {
    const kvType = engine.kvCacheType ?? "f16";
    const e = await estimateMemory(modelPath, repoTokens + contextReserve(maxAnswerTokens()), kvType);
    const verdict = e.fits ? "fits" : `does not fit — try a ${e.suggestion}`;
    return [
      "\n## Memory\n",
      `- Model file: ${formatBytes(e.modelBytes)} (${modelPath})`,
      `- KV cache (${kvType}) for ${e.contextTokens} tokens (repo + answer reserve): ${formatBytes(e.kvBytes)} (${formatBytes(e.kvBytesPerToken)} per token)`,
      `- Free memory beside the model: ${formatBytes(e.availableBytes)} — ${verdict}`,
      "",
    ].join("\n");
  } catch (error) {
    return `\n## Memory\n\nNo estimate: ${describeError(error)}\n`;
  }
}

/** With a server answering, its memory is not this machine's: say who counts the tokens and how much context it has. */
function serverSection(result: ServicePackResult): string {
  return [
    "\n## Server\n",
    `- Answered by ${result.server}; its memory and GPUs decide what fits (docs/scale-out.md has the arithmetic).`,
    `- Context: ${result.contextLimit ?? "unknown"} tokens, of which the packed repo may take all but the answer reserve.`,
    `- Token counts: ${result.tokenEstimate ? `**${result.tokenEstimate}**` : "counted by the server's tokenizer (or the local GGUF of the same model)"}.`,
    "",
  ].join("\n");
}

export function registerContextReport(_context: vscode.ExtensionContext, deps: ContextReportDeps): vscode.Disposable {
  const documents = new ReportDocuments();
  const command = vscode.commands.registerCommand("longropeQa.showContextReport", async () => {
    try {
      const config = readConfig();
      const result = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: "LongRoPE QA: packing the workspace", cancellable: true },
        (progress, token) => {
          const abort = new AbortController();
          token.onCancellationRequested(() => abort.abort());
          return deps.service.pack(config, {
            signal: abort.signal,
            onStatus: (s) => {
              if (s.state === "packing") progress.report({ message: `${s.filesSeen} files, ${s.tokensSoFar} tokens` });
              else if (s.state === "loading") progress.report({ message: "loading the model's tokenizer" });
            },
          });
        },
      );
      const memory = result.server ? serverSection(result) : await memorySection(config.engine, result.totalTokens, deps.service);
      documents.set(renderPackReport(result) + memory);
      const doc = await vscode.workspace.openTextDocument(REPORT_URI);
      await vscode.languages.setTextDocumentLanguage(doc, "markdown");
      await vscode.window.showTextDocument(doc, { preview: true });
    } catch (error) {
      deps.log.error(`Context report failed: ${describeError(error)}`);
      const action = await vscode.window.showErrorMessage(describeError(error), "Open logs");
      if (action === "Open logs") deps.log.show();
    }
  });
  return vscode.Disposable.from(
    documents,
    vscode.workspace.registerTextDocumentContentProvider(SCHEME, documents),
    command,
  );
}
