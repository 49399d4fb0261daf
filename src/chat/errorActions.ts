/** Which buttons an error in the chat offers (pure; what each button does is in ./actionCommands.ts). */
import { RepoQaError } from "../util/errors";
import type { ErrorAction } from "./protocol";

export function actionsFor(error: unknown): ErrorAction[] {
  const code = error instanceof RepoQaError ? error.code : "internal";
  switch (code) {
    case "untrusted":
      return ["trustWorkspace"];
    case "model-not-found":
    case "model-invalid":
    case "offline":
      return ["chooseModel", "openSettings"];
    case "bad-input":
      return ["openSettings"];
    case "context-overflow":
    case "out-of-memory":
      return ["showContextReport", "openSettings"];
    case "empty-workspace":
      return [];
    default:
      return ["openLogs"];
  }
}
