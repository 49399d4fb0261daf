/**
 * What went wrong with the server, as one sentence with an action each. The context-length refusals of the servers
 * this project is tested or documented against, as they word them:
 *   llama-cpp-python, vLLM: "This model's maximum context length is 2048 tokens. However, you requested …"
 *   llama-server: {"error": {"type": "exceed_context_size_error", "n_ctx": 4096, "n_prompt_tokens": …}}
 */
import { RepoQaError, firstLine } from "../../util/errors";
import type { Endpoint } from "./endpoint";

const keyAction = 'set it with "LongRoPE QA: Set API key…" (or LONGROPE_QA_API_KEY for the CLI)';

export function networkError(endpoint: Endpoint, error: unknown): RepoQaError {
  const code = (error as { code?: string } | undefined)?.code ?? "";
  if (code === "ECONNREFUSED") {
    return new RepoQaError(
      `Cannot reach the inference server at ${endpoint.base} (connection refused); start the server, or correct longropeQa.endpoint (--endpoint).`,
      "unreachable",
      { cause: error },
    );
  }
  if (code === "ENOTFOUND" || code === "EAI_AGAIN" || code === "EHOSTUNREACH" || code === "ENETUNREACH") {
    return new RepoQaError(
      `Cannot reach the inference server at ${endpoint.base} (${code === "ENOTFOUND" ? "unknown host" : "no route to it"}); check longropeQa.endpoint (--endpoint) and the network.`,
      "unreachable",
      { cause: error },
    );
  }
  return new RepoQaError(`The connection to the inference server at ${endpoint.host} failed (${code || firstLine(error)}); check that it is running, then ask again.`, "unreachable", { cause: error });
}

export function timeoutError(endpoint: Endpoint, idleMs: number): RepoQaError {
  return new RepoQaError(
    `The inference server at ${endpoint.host} sent nothing for ${Math.round(idleMs / 1000)} s; check that it is running and not overloaded, then ask again.`,
    "timeout",
  );
}

export function unknownModelError(endpoint: Endpoint, model: string, served: readonly string[]): RepoQaError {
  const list = served.length ? `it serves ${served.map((m) => `"${m}"`).join(", ")}` : "it lists no model";
  return new RepoQaError(`The server at ${endpoint.host} has no model "${model}" (${list}); set longropeQa.endpointModel (--endpoint-model) to one it serves.`, "model-not-found");
}

/** The context size a server's refusal names, if it is a refusal for length. */
export function contextLimitOf(status: number, body: string): number | undefined {
  if (status !== 400 && status !== 413 && status !== 422) return undefined;
  const worded = /maximum context length is (\d+)/i.exec(body);
  if (worded) return Number(worded[1]);
  const parsed = parseJson(body) as { error?: { n_ctx?: unknown; type?: unknown } } | undefined;
  const nCtx = parsed?.error?.n_ctx;
  return typeof nCtx === "number" && parsed?.error?.type === "exceed_context_size_error" ? nCtx : undefined;
}

export function contextOverflowError(endpoint: Endpoint, limit: number, promptTokens: number | undefined): RepoQaError {
  const needs = promptTokens ? ` but the prompt needs about ${promptTokens}` : "";
  return new RepoQaError(
    `The server at ${endpoint.host} holds ${limit} tokens of context${needs}; exclude files (longropeQa.exclude), lower --budget or longropeQa.maxAnswerTokens, or start the server with a longer context.`,
    "context-overflow",
  );
}

/** A non-2xx answer as one sentence: the server's own message, and what to do about its status. */
export function httpError(endpoint: Endpoint, status: number, body: string): RepoQaError {
  const said = serverMessage(body);
  const quoted = said ? `: "${said.slice(0, 200)}"` : "";
  if (status === 401 || status === 403) {
    return new RepoQaError(`The server at ${endpoint.host} refused the API key (HTTP ${status}${quoted}); ${keyAction}.`, "unauthorized");
  }
  if (status === 404) {
    return new RepoQaError(
      `The server at ${endpoint.host} has no such endpoint or model (HTTP 404${quoted}); check that longropeQa.endpoint (--endpoint) ends in its OpenAI base, usually /v1, and longropeQa.endpointModel.`,
      "model-not-found",
    );
  }
  return new RepoQaError(`The server at ${endpoint.host} answered HTTP ${status}${quoted}; see its log, then ask again.`, status >= 500 ? "internal" : "bad-input");
}

export function interruptedError(endpoint: Endpoint, cause: unknown, partialAnswer: string): RepoQaError {
  const why = cause instanceof RepoQaError ? cause.message.replace(/\.$/, "") : firstLine(cause);
  return new RepoQaError(
    `The answer from ${endpoint.host} broke off mid-stream (${why}); the part above is incomplete, ask again for the whole answer.`,
    "interrupted",
    { cause, partialAnswer },
  );
}

export function emptyStreamError(endpoint: Endpoint, cause: RepoQaError): RepoQaError {
  return new RepoQaError(`The server at ${endpoint.host} closed the answer before its first token (${cause.message}); see the server's log, then ask again.`, "interrupted", { cause });
}

function serverMessage(body: string): string | undefined {
  const parsed = parseJson(body) as { error?: { message?: unknown } | string; message?: unknown; detail?: unknown } | undefined;
  const candidates = [typeof parsed?.error === "object" ? parsed.error.message : parsed?.error, parsed?.message, parsed?.detail];
  const found = candidates.find((c): c is string => typeof c === "string" && c.length > 0);
  return found ?? (body.trim() && !body.trimStart().startsWith("{") ? body.trim().split("\n")[0] : undefined);
}

export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
