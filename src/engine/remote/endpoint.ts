/**
 * The server address as the user gave it (`longropeQa.endpoint`, `--endpoint`): checked once into a URL, with the
 * facts the rest needs (where `/tokenize` lives, whether the repository would travel unencrypted).
 */
import { isIP } from "node:net";
import { RepoQaError } from "../../util/errors";
import type { RemoteEngineConfig } from "../api";

export interface Endpoint {
  /** The `/v1` base without a trailing slash, e.g. "http://127.0.0.1:8080/v1". */
  readonly base: string;
  /** Scheme, host and port: llama-server and vLLM serve `/tokenize` and `/props` there, outside `/v1`. */
  readonly origin: string;
  /** "host:port", for sentences and the meter. */
  readonly host: string;
  /** http:// to a host that is not this machine: the repository would cross the network in clear text. */
  readonly insecure: boolean;
}

export function parseEndpoint(raw: string): Endpoint {
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    throw new RepoQaError(`longropeQa.endpoint (--endpoint) must be a URL such as http://127.0.0.1:8080/v1 (it is "${raw}").`, "bad-input");
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new RepoQaError(`longropeQa.endpoint (--endpoint) must start with http:// or https:// (it is "${raw}").`, "bad-input");
  }
  if (url.username || url.password) {
    throw new RepoQaError("longropeQa.endpoint (--endpoint) must not carry a user name or password; set the API key with \"LongRoPE QA: Set API key…\" (or LONGROPE_QA_API_KEY).", "bad-input");
  }
  const base = `${url.origin}${url.pathname.replace(/\/+$/, "")}`;
  return { base, origin: url.origin, host: url.host, insecure: url.protocol === "http:" && !isLoopback(url.hostname) };
}

export function isLoopback(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, "");
  if (host === "localhost" || host.endsWith(".localhost")) return true;
  if (isIP(host) === 4) return host.startsWith("127.");
  return host === "::1";
}

/** What identifies one remote backend: another endpoint, model, key or timeout is another backend. */
export function remoteKey(config: RemoteEngineConfig): string {
  return [config.endpoint, config.model ?? "", config.apiKey ?? "", config.timeoutMs ?? ""].join("\u0000");
}

/** The one sentence warning about an unencrypted endpoint (shown once by the extension, by the CLI each run). */
export function insecureWarning(endpoint: Endpoint): string {
  return `LongRoPE QA sends the whole repository to ${endpoint.host} over plain http://, unencrypted; use https:// or a server on this machine unless the network is trusted.`;
}
