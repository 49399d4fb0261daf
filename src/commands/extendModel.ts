/**
 * "LongRoPE QA: Extend model context…": writes an extended copy next to the model. By default a model that ships long
 * factors (Phi-4-mini, Llama-3.x) gets its own factors rescaled to the new ratio (seconds, no search); a search on the
 * user's own workspace and the NTK / YaRN vectors are the other choices, all against the model's ORIGINAL window.
 * The engine then picks the copy only for prompts the model's own window cannot hold (src/engine/modelChoice.ts), so
 * short prompts keep the unstretched model.
 */
import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import * as vscode from "vscode";
import { readConfig, SECTION } from "../config";
import { baselineFactorSet, type RopeFactorSet } from "../longrope/factors";
import type { FactorsFile } from "../longrope/factorsFile";
import { describeExtendedModel, extendedModelPath, extendModel } from "../longrope/extend";
import { readModelRopeInfo, shipsLongFactors, type ModelRopeInfo } from "../longrope/modelShape";
import { searchFactors } from "../longrope/factorSearch";
import { packWorkspace } from "../workspace/index";
import { describeError, isAbortError, RepoQaError } from "../util/errors";

type Method =
  | { readonly kind: "rescale" }
  | { readonly kind: "search"; readonly budgetSeconds: number }
  | { readonly kind: "ntk" | "yarn" };

export function registerExtendModelCommand(
  context: vscode.ExtensionContext,
  deps: { readonly log: vscode.LogOutputChannel },
): vscode.Disposable {
  let running = false;
  return vscode.commands.registerCommand("longropeQa.extendModel", async () => {
    if (running) {
      void vscode.window.showInformationMessage("LongRoPE QA is already extending a model; wait for it or cancel it.");
      return;
    }
    running = true;
    try {
      await extendInteractively(context, deps.log);
    } catch (error) {
      if (isAbortError(error)) return;
      deps.log.error(`Extend model failed: ${describeError(error)}`);
      const action = await vscode.window.showErrorMessage(describeError(error), "Open logs");
      if (action === "Open logs") deps.log.show();
    } finally {
      running = false;
    }
  });
}

async function extendInteractively(context: vscode.ExtensionContext, log: vscode.LogOutputChannel): Promise<void> {
  const config = readConfig();
  const modelPath = config.engine.modelPath || (await pickModel());
  if (!modelPath) return;
  const info = await readModelRopeInfo(modelPath);
  if (info.architecture !== "llama" && info.architecture !== "phi3") {
    throw new RepoQaError(`${path.basename(modelPath)} is a "${info.architecture}" model; extending works for llama and phi3 models.`, "bad-input");
  }
  const target = await pickTarget(info);
  if (!target) return;
  const method = await pickMethod(info);
  if (!method) return;
  const outPath = extendedModelPath(modelPath, target);
  if (existsSync(outPath)) {
    const answer = await vscode.window.showWarningMessage(`${path.basename(outPath)} exists. Replace it?`, { modal: true }, "Replace");
    if (answer !== "Replace") return;
  }
  const sidecar = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: "LongRoPE QA: extending the model", cancellable: true },
    async (progress, token) => {
      const abort = new AbortController();
      token.onCancellationRequested(() => abort.abort());
      // Every factor vector is absolute against the model's original window (4,096 for Phi-4-mini, not 131,072).
      const scale = target / info.originalContext;
      const factors: FactorsFile | RopeFactorSet | undefined = method.kind === "search"
        ? await searchOnWorkspace(config.pack, modelPath, info, target, method.budgetSeconds, abort.signal, progress, log)
        : method.kind === "rescale" ? undefined : baselineFactorSet(method.kind, scale, info);
      let lastPercent = -1;
      return extendModel({
        modelPath, outPath, targetContext: target, originalContext: info.originalContext,
        longFactors: factors?.factors, method: factors?.method, attnFactor: factors?.attnFactor,
        source: method.kind === "search" ? searchedSource(factors as FactorsFile, method.budgetSeconds) : method.kind === "rescale" ? undefined : "no search",
        signal: abort.signal,
        onProgress: ({ done, total }) => {
          const percent = Math.floor((done / Math.max(1, total)) * 100);
          if (percent > lastPercent) progress.report({ message: `writing ${path.basename(outPath)}: ${percent}%` });
          lastPercent = percent;
        },
      });
    },
  );
  log.info(`Wrote ${outPath}: ${describeExtendedModel(sidecar)}`);
  // The copy is used only when a prompt does not fit the model's own window; "Use" points the setting at the BASE
  // model (never at the copy, which would stretch short prompts too).
  const configured = config.engine.modelPath && path.resolve(config.engine.modelPath) === path.resolve(modelPath);
  const choice = await vscode.window.showInformationMessage(
    `Wrote ${path.basename(outPath)} (${target.toLocaleString("en-US")} tokens, ${describeExtendedModel(sidecar)}). ` +
    `Prompts longer than ${info.contextLength.toLocaleString("en-US")} tokens use it; shorter ones keep ${path.basename(modelPath)}.`,
    ...(configured ? [] : [`Use ${path.basename(modelPath)} and its copy`]), "Reveal file",
  );
  if (choice === "Reveal file") {
    await vscode.commands.executeCommand("revealFileInOS", vscode.Uri.file(outPath));
  } else if (choice) {
    await vscode.workspace.getConfiguration(SECTION).update("modelPath", modelPath, vscode.ConfigurationTarget.Global);
  }
}

async function searchOnWorkspace(
  pack: ReturnType<typeof readConfig>["pack"], modelPath: string, info: ModelRopeInfo,
  target: number, budgetSeconds: number, signal: AbortSignal,
  progress: vscode.Progress<{ message?: string; increment?: number }>, log: vscode.LogOutputChannel,
): Promise<FactorsFile> {
  progress.report({ message: "reading the workspace" });
  const packed = await packWorkspace({ ...pack, signal });
  signal.throwIfAborted();
  const dir = await mkdtemp(path.join(os.tmpdir(), "longrope-qa-extend-"));
  try {
    const textPath = path.join(dir, "workspace.txt");
    await writeFile(textPath, packed.text);
    let reported = 0;
    return await searchFactors({
      modelPath, textPath, targetContext: target, originalContext: info.originalContext, budgetSeconds, signal,
      log: (line) => log.debug(`search: ${line}`),
      onProgress: (p) => {
        if (p.phase === "samples") return progress.report({ message: "search: tokenizing the workspace" });
        const done = (p.iteration / p.iterations) * 100;
        progress.report({ increment: done - reported, message: `search iteration ${p.iteration}/${p.iterations}${p.bestPpl ? `, best perplexity ${p.bestPpl.toFixed(3)}` : ""}` });
        reported = done;
      },
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function pickModel(): Promise<string | undefined> {
  const picked = await vscode.window.showOpenDialog({
    title: "Choose the GGUF model to extend", canSelectMany: false, filters: { "GGUF model": ["gguf"] },
  });
  return picked?.[0]?.fsPath;
}

async function pickTarget(info: ModelRopeInfo): Promise<number | undefined> {
  const items = [2, 4, 8, 16].map((ratio) => ({
    label: `${(info.contextLength * ratio).toLocaleString("en-US")} tokens`,
    description: `×${ratio} of the model's ${info.contextLength.toLocaleString("en-US")}`,
    value: info.contextLength * ratio,
  }));
  return (await vscode.window.showQuickPick(items, { title: "Extend the context window to" }))?.value;
}

async function pickMethod(info: ModelRopeInfo): Promise<Method | undefined> {
  const items: (vscode.QuickPickItem & { value: Method })[] = [
    ...(shipsLongFactors(info)
      ? [{ label: "Rescale the model's own LongRoPE factors", description: "recommended, no search, seconds", value: { kind: "rescale" } as const }]
      : []),
    { label: "Search LongRoPE factors on this workspace", description: "2 minutes", value: { kind: "search", budgetSeconds: 120 } },
    { label: "Search LongRoPE factors on this workspace", description: "10 minutes, better factors", value: { kind: "search", budgetSeconds: 600 } },
    { label: "NTK-aware factors", description: "no search, seconds", value: { kind: "ntk" } },
    { label: "YaRN factors", description: "no search, seconds", value: { kind: "yarn" } },
  ];
  return (await vscode.window.showQuickPick(items, { title: "How to choose the RoPE factors" }))?.value;
}

function searchedSource(factors: FactorsFile & { readonly ppl?: number }, budgetSeconds: number): string {
  const roots = vscode.workspace.workspaceFolders?.map((f) => f.name).join(", ") ?? "this workspace";
  const ppl = typeof factors.ppl === "number" ? `, perplexity ${factors.ppl.toFixed(2)}` : "";
  return `searched on ${roots} (${Math.round(budgetSeconds / 60)} min budget${ppl}, ${new Date().toISOString().slice(0, 10)})`;
}
