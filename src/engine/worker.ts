/**
 * The engine worker process: the only place node-llama-cpp runs. It talks only over the IPC channel (the native
 * addon prints to stdout/stderr, which the host forwards to its log). Requests run one at a time in arrival order;
 * `cancel` acts at once on the request it names.
 */
import { isEngineRequest, type EngineFrame, type EngineRequest, type EngineResults, type ProgressFrame } from "./protocol";
import { afterRequest, handleRequest } from "./worker/handlers";
import { WorkerError, firstLine } from "./worker/workerError";
import { serveRequests } from "../util/requestLoop";

function send(frame: EngineFrame): void {
  process.send?.(frame);
}

const requests = serveRequests<EngineRequest>((message) => {
  if (isEngineRequest(message)) return message;
  send({ type: "log", level: "warn", message: "ignored a message that is not an engine request" });
  return undefined;
}, run);

async function run(request: Exclude<EngineRequest, { type: "cancel" }>, signal: AbortSignal): Promise<void> {
  try {
    const result: EngineResults[keyof EngineResults] = await handleRequest(request, signal, {
      progress: (frame: Omit<ProgressFrame, "type" | "id">) => send({ type: "progress", id: request.id, ...frame }),
      token: (text: string) => send({ type: "token", id: request.id, text }),
      log: (level, message) => send({ type: "log", level, message }),
    });
    send({ type: "done", id: request.id, result });
  } catch (error) {
    const known = error instanceof WorkerError;
    if (!known) process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
    send({
      type: "error",
      id: request.id,
      code: known ? error.code : "internal",
      message: known ? error.message : `The engine failed: ${firstLine(error)}`,
    });
  }
  try {
    await afterRequest();
  } catch (error) {
    send({ type: "log", level: "warn", message: `after ${request.type}: ${firstLine(error)}` });
  }
}

// A graceful stop (the host disconnects) lets the request in progress and its state save finish first.
process.on("disconnect", () => void requests.idle().finally(() => process.exit(0)));
send({ type: "ready", pid: process.pid });
