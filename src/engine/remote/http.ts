/**
 * One HTTP exchange with the server, on node:http(s) rather than fetch: fetch (undici) cuts a response off after
 * 300 s without headers, and a server prefilling a million-token prompt can take longer than that before its first
 * byte. Here the only clock is ours: `idleMs` without a byte from the server, before the response or between chunks.
 * Network failures become one sentence each (./remoteErrors.ts); an aborted signal rejects with the AbortError.
 */
import * as http from "node:http";
import * as https from "node:https";
import type { Endpoint } from "./endpoint";
import { networkError, timeoutError } from "./remoteErrors";

export interface HttpRequest {
  readonly method: "GET" | "POST";
  readonly url: string;
  readonly body?: unknown;
  readonly apiKey?: string;
  readonly idleMs: number;
  readonly signal?: AbortSignal;
  /**
   * A connection of its own, closed after the response. For chat requests: llama-cpp-python leaves the connection of
   * a broken stream half-closed, and the next request sent on it by a keep-alive pool fails with ECONNRESET. A chat
   * request is long next to a handshake; the many short tokenize requests keep the pool.
   */
  readonly ownConnection?: boolean;
}

export interface HttpResponse {
  readonly status: number;
  readonly contentType: string;
  /** The body as it arrives; each chunk resets the idle clock. Errors here are sentences already. */
  chunks(): AsyncIterable<string>;
  text(): Promise<string>;
}

export function send(endpoint: Endpoint, request: HttpRequest): Promise<HttpResponse> {
  request.signal?.throwIfAborted();
  const url = new URL(request.url);
  const body = request.body === undefined ? undefined : JSON.stringify(request.body);
  const headers: Record<string, string> = { accept: "application/json, text/event-stream" };
  if (request.ownConnection) headers.connection = "close";
  if (body !== undefined) headers["content-type"] = "application/json";
  if (request.apiKey) headers.authorization = `Bearer ${request.apiKey}`;
  const client = url.protocol === "https:" ? https : http;
  return new Promise((resolve, reject) => {
    let timedOut = false;
    const options = { method: request.method, headers, signal: request.signal, ...(request.ownConnection ? { agent: false as const } : {}) };
    const req = client.request(url, options, (res) => {
      res.setEncoding("utf8");
      resolve({
        status: res.statusCode ?? 0,
        contentType: String(res.headers["content-type"] ?? ""),
        chunks: () => streamOf(res, () => (timedOut ? timeoutError(endpoint, request.idleMs) : undefined), endpoint, request.signal),
        text: async () => {
          let all = "";
          for await (const chunk of streamOf(res, () => (timedOut ? timeoutError(endpoint, request.idleMs) : undefined), endpoint, request.signal)) all += chunk;
          return all;
        },
      });
    });
    req.setTimeout(request.idleMs, () => {
      timedOut = true;
      req.destroy();
    });
    req.on("error", (error) => {
      if (request.signal?.aborted) reject(request.signal.reason instanceof Error ? request.signal.reason : error);
      else reject(timedOut ? timeoutError(endpoint, request.idleMs) : networkError(endpoint, error));
    });
    req.end(body);
  });
}

async function* streamOf(
  res: http.IncomingMessage,
  timeout: () => Error | undefined,
  endpoint: Endpoint,
  signal: AbortSignal | undefined,
): AsyncIterable<string> {
  try {
    for await (const chunk of res) yield chunk as string;
  } catch (error) {
    if (signal?.aborted) throw signal.reason ?? error;
    throw timeout() ?? networkError(endpoint, error);
  }
  // A socket destroyed by our idle clock can end the stream quietly instead of with an error.
  const late = timeout();
  if (late) throw late;
  if (!res.complete) throw networkError(endpoint, new Error("the connection closed before the response was complete"));
}
