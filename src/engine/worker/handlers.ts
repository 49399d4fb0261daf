/** What each request does in the worker; the state (loaded model, prompt session) lives here between requests. */
import type { DownloadModelRequest, EngineRequest, EngineResults, LogFrame, ProgressFrame, StateCacheSettings } from "../protocol";
import { loadModel, type LoadedModel } from "./modelLoader";
import { PromptSession } from "./promptSession";
import { DEFAULT_PROMPT_STYLE, chatWrapperFor } from "./promptStyle";
import { StateStore } from "./stateStore";
import { WorkerError, firstLine } from "./workerError";

export interface Reporter {
  progress(frame: Omit<ProgressFrame, "type" | "id">): void;
  token(text: string): void;
  log(level: LogFrame["level"], message: string): void;
}

let current: { key: string; loaded: LoadedModel; session: PromptSession } | undefined;

export async function handleRequest(
  request: Exclude<EngineRequest, { type: "cancel" }>,
  signal: AbortSignal,
  report: Reporter,
): Promise<EngineResults[keyof EngineResults]> {
  switch (request.type) {
    case "loadModel":
      return (await ensureLoaded(request.settings, request.stateCache, report)).loaded.info;
    case "tokenize": {
      const { model } = requireLoaded().loaded;
      return { counts: request.texts.map((text) => model.tokenize(text, false).length) };
    }
    case "ingest":
      return requireLoaded().session.ingest(request.repoContext, request.maxTokens, signal, ingestReporter(report));
    case "ask":
      return requireLoaded().session.ask(request, signal, ingestReporter(report), (text) => report.token(text));
    case "downloadModel":
      return downloadModel(request, signal, report);
  }
}

/** Work a request leaves for after its `done` frame (saving state after an answer); runs before the next request. */
export async function afterRequest(): Promise<void> {
  await current?.session.runAfterAnswer();
}

function ingestReporter(report: Reporter) {
  return (done: number, total: number) => report.progress({ phase: "ingest", done, total, unit: "tokens" });
}

function requireLoaded(): NonNullable<typeof current> {
  if (!current) throw new WorkerError("model-not-loaded", "No model is loaded yet; load one (longropeQa.modelPath or --model) first.");
  return current;
}

async function ensureLoaded(
  settings: Parameters<typeof loadModel>[0],
  stateCache: StateCacheSettings | undefined,
  report: Reporter,
): Promise<NonNullable<typeof current>> {
  const key = JSON.stringify({ settings, stateCache });
  if (current?.key === key) return current;
  if (current) {
    await current.session.dispose();
    await current.loaded.model.dispose();
    current = undefined;
  }
  const loaded = await loadModel(settings, (fraction) =>
    report.progress({ phase: "load", done: Math.round(fraction * 100), total: 100, unit: "bytes" }),
  );
  const chatWrapper = await chatWrapperFor(loaded.model, DEFAULT_PROMPT_STYLE.template);
  const store = stateCache ? await StateStore.open(stateCache.directory, stateCache.maxBytes) : undefined;
  report.log("info", `loaded ${loaded.info.name} (${loaded.info.architecture}, ${chatWrapper.wrapperName} template, ${loaded.threads} threads)`);
  current = { key, loaded, session: new PromptSession(loaded, chatWrapper, store) };
  return current;
}

async function downloadModel(request: DownloadModelRequest, signal: AbortSignal, report: Reporter) {
  const { uri, directory, fileName } = request;
  const { createModelDownloader } = await import("node-llama-cpp");
  try {
    const downloader = await createModelDownloader({
      modelUri: uri,
      dirPath: directory,
      fileName,
      skipExisting: true,
      deleteTempFileOnCancel: false,
      onProgress: ({ downloadedSize, totalSize }) =>
        report.progress({ phase: "download", done: downloadedSize, total: totalSize, unit: "bytes" }),
    });
    return { modelPath: await downloader.download({ signal }) };
  } catch (error) {
    if (signal.aborted) throw new WorkerError("internal", "The model download was cancelled; ask again to resume it.");
    const network = /ENOTFOUND|ECONNREFUSED|ECONNRESET|ETIMEDOUT|EAI_AGAIN|fetch failed|network/i.test(String(error));
    throw new WorkerError(
      network ? "offline" : "internal",
      network
        ? `offline: set longropeQa.modelPath / --model (downloading ${uri} failed: ${firstLine(error)}).`
        : `Could not download ${uri} (${firstLine(error)}); set longropeQa.modelPath / --model to a local GGUF file.`,
      { cause: error },
    );
  }
}
