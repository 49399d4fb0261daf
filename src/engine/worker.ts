/**
 * The engine worker process: the only place node-llama-cpp runs. It talks only over the IPC channel (the native
 * addon prints to stdout/stderr, which the host forwards to its log); the request loop is every worker's.
 */
import { isEngineRequest, type EngineProgress, type EngineRequest } from "./protocol";
import { afterRequest, handleRequest } from "./worker/handlers";
import { serveRequests } from "../util/requestLoop";

// A graceful stop (the host disconnects) lets the request in progress and its state save finish first.
serveRequests<EngineRequest, EngineProgress>({
  name: "engine",
  isRequest: isEngineRequest,
  handle: handleRequest,
  after: afterRequest,
});
