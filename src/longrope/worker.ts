/**
 * The child process of the LongRoPE tools: the only place they run node-llama-cpp (a native crash must not take the
 * CLI or the editor down). It talks only over IPC, since the native addon prints to stdout; the request loop is
 * every worker's. Argument `--gpu=auto|cpu` picks the backend (default: cpu).
 */
import type { Llama } from "node-llama-cpp";
import { isPplRequest, type PplProgress, type PplRequest, type PplResults } from "./pplProtocol";
import { generateStories, measurePerplexity, tokenizeText } from "./workerTasks";
import { runPasskey } from "./passkeyTask";
import { VariantModels } from "./workerModels";
import { serveRequests } from "../util/requestLoop";

let llamaPromise: Promise<Llama> | undefined;
let models: VariantModels | undefined;

async function backend(): Promise<Llama> {
  llamaPromise ??= (async () => {
    const { getLlama, LlamaLogLevel } = await import("node-llama-cpp");
    const gpu = process.argv.includes("--gpu=auto") ? "auto" : false;
    return getLlama({ build: "never", gpu, logLevel: LlamaLogLevel.error });
  })();
  return llamaPromise;
}

serveRequests<PplRequest, PplProgress>({
  name: "LongRoPE worker",
  isRequest: isPplRequest,
  handle: async (request, signal, report): Promise<PplResults[keyof PplResults]> => {
    const llama = await backend();
    models ??= new VariantModels(llama);
    const context = { llama, models, signal, progress: (p: PplProgress) => report.progress(p) };
    switch (request.type) {
      case "generateStories":
        return generateStories(request, context);
      case "tokenize":
        return tokenizeText(request, context);
      case "perplexity":
        return measurePerplexity(request, context);
      case "passkey":
        return runPasskey(request, context);
    }
  },
  onDisconnect: async () => {
    await models?.dispose().catch(() => undefined);
  },
});
