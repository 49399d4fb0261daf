/**
 * The child process of the LongRoPE tools: the only place they run node-llama-cpp (a native crash must not take the
 * CLI or the editor down). It talks only over IPC, since the native addon prints to stdout. Requests run one at a time.
 * Argument `--gpu=auto|cpu` picks the backend (default: cpu).
 */
import type { Llama } from "node-llama-cpp";
import { isPplRequest, type PplFrame, type PplRequest, type PplResults } from "./pplProtocol";
import { generateStories, measurePerplexity, tokenizeText, type WorkerContext } from "./workerTasks";
import { runPasskey } from "./passkeyTask";
import { VariantModels } from "./workerModels";
import { serveRequests } from "../util/requestLoop";

let llamaPromise: Promise<Llama> | undefined;
let models: VariantModels | undefined;

function send(frame: PplFrame): void {
  process.send?.(frame);
}

async function backend(): Promise<Llama> {
  llamaPromise ??= (async () => {
    const { getLlama, LlamaLogLevel } = await import("node-llama-cpp");
    const gpu = process.argv.includes("--gpu=auto") ? "auto" : false;
    return getLlama({ build: "never", gpu, logLevel: LlamaLogLevel.error });
  })();
  return llamaPromise;
}

serveRequests<PplRequest>((message) => (isPplRequest(message) ? message : undefined), run);

async function run(request: Exclude<PplRequest, { type: "cancel" }>, signal: AbortSignal): Promise<void> {
  try {
    const llama = await backend();
    models ??= new VariantModels(llama);
    const context: WorkerContext = {
      llama, models, signal,
      progress: (message) => send({ type: "progress", id: request.id, message }),
    };
    let result: PplResults[keyof PplResults];
    if (request.type === "generateStories") result = await generateStories(request, context);
    else if (request.type === "tokenize") result = await tokenizeText(request, context);
    else if (request.type === "passkey") result = await runPasskey(request, context);
    else result = await measurePerplexity(request, context);
    send({ type: "done", id: request.id, result });
  } catch (error) {
    const message = signal.aborted ? "cancelled" : error instanceof Error ? error.message.split("\n")[0]! : String(error);
    send({ type: "error", id: request.id, message });
  }
}

async function shutdown(): Promise<void> {
  await models?.dispose().catch(() => undefined);
  process.exit(0);
}

process.on("disconnect", () => void shutdown());
send({ type: "ready", pid: process.pid });
