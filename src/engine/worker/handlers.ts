/** What each request does in the worker; the state (loaded model, prompt session, repo text) lives here between requests. */
import { sameLoad, type DownloadModelRequest, type EngineProgress, type EngineRequest, type EngineResults, type LoadModelSettings, type RepoRef, type StateCacheSettings } from "../protocol";
import type { WorkReporter } from "../../util/requestLoop";
import { RepoQaError, firstLine } from "../../util/errors";
import { loadModel, type LoadedModel } from "./modelLoader";
import { PromptSession } from "./promptSession";
import { DEFAULT_PROMPT_STYLE, chatWrapperFor } from "./promptStyle";
import { StateStore } from "./stateStore";

type Reporter = WorkReporter<EngineProgress>;

let current: { settings: LoadModelSettings; stateCache: StateCacheSettings | undefined; loaded: LoadedModel; session: PromptSession } | undefined;
/** The last repo text the host sent; later requests name it by hash only. */
let repo: { hash: string; text: string } | undefined;

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
      return requireLoaded().session.ingest(repoText(request.repo), request.maxTokens, signal, ingestReporter(report));
    case "ask": {
      const text = repoText(request.repo);
      return requireLoaded().session.ask({ ...request, repoContext: text }, signal, ingestReporter(report), (t) => report.token(t));
    }
    case "downloadModel":
      return downloadModel(request, signal, report);
  }
}

/** Work a request leaves for after its `done` frame (saving state after an answer); runs before the next request. */
export async function afterRequest(): Promise<void> {
  await current?.session.runAfterAnswer();
}

function repoText(ref: RepoRef): string {
  if (ref.text !== undefined) repo = { hash: ref.hash, text: ref.text };
  if (repo?.hash !== ref.hash) throw new RepoQaError("The engine process lost the packed repository; ask again.", "internal");
  return repo.text;
}

function ingestReporter(report: Reporter) {
  return (done: number, total: number) => report.progress({ phase: "ingest", done, total, unit: "tokens" });
}

function requireLoaded(): NonNullable<typeof current> {
  if (!current) throw new RepoQaError("No model is loaded yet; load one (longropeQa.modelPath or --model) first.", "model-not-loaded");
  return current;
}

async function ensureLoaded(settings: LoadModelSettings, stateCache: StateCacheSettings | undefined, report: Reporter): Promise<NonNullable<typeof current>> {
  const sameCache = current?.stateCache?.directory === stateCache?.directory && current?.stateCache?.maxBytes === stateCache?.maxBytes && current?.stateCache?.key === stateCache?.key;
  if (current && sameLoad(current.settings, settings) && sameCache) return current;
  if (current) {
    await current.session.dispose();
    await current.loaded.model.dispose();
    current = undefined;
  }
  const loaded = await loadModel(settings, (fraction) =>
    report.progress({ phase: "load", done: Math.round(fraction * 100), total: 100, unit: "bytes" }),
  );
  const chatWrapper = await chatWrapperFor(loaded.model, DEFAULT_PROMPT_STYLE.template);
  const store = stateCache ? await StateStore.open(stateCache.directory, stateCache.maxBytes, Buffer.from(stateCache.key, "hex")) : undefined;
  report.log("info", `loaded ${loaded.info.name} (${loaded.info.architecture}, ${chatWrapper.wrapperName} template, ${loaded.threads} threads)`);
  current = { settings, stateCache, loaded, session: new PromptSession(loaded, chatWrapper, store) };
  return current;
}

/** A cancelled download throws with its signal aborted, which the request loop answers as cancelled. */
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
    if (signal.aborted) throw error;
    const network = /ENOTFOUND|ECONNREFUSED|ECONNRESET|ETIMEDOUT|EAI_AGAIN|fetch failed|network/i.test(String(error));
    throw new RepoQaError(
      network
        ? `offline: set longropeQa.modelPath / --model (downloading ${uri} failed: ${firstLine(error)}).`
        : `Could not download ${uri} (${firstLine(error)}); set longropeQa.modelPath / --model to a local GGUF file.`,
      network ? "offline" : "internal",
      { cause: error },
    );
  }
}
