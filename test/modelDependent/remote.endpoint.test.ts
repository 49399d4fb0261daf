// The remote backend's pure parts: the endpoint as the user wrote it, and the servers' own ways of refusing a prompt.
import { test } from "node:test";
import assert from "node:assert/strict";
import { isLoopback, parseEndpoint } from "../../src/engine/remote/endpoint";
import { contextLimitOf, httpError } from "../../src/engine/remote/remoteErrors";
import { RepoQaError } from "../../src/util/errors";

test("an endpoint URL: the /v1 base without a trailing slash, the origin where /tokenize lives", () => {
  const e = parseEndpoint(" http://127.0.0.1:8080/v1/ ");
  assert.deepEqual(e, { base: "http://127.0.0.1:8080/v1", origin: "http://127.0.0.1:8080", host: "127.0.0.1:8080", insecure: false });
});

test("plain http:// is insecure only off this machine", () => {
  for (const url of ["http://localhost:8000/v1", "http://127.0.0.2/v1", "http://[::1]:8000/v1", "http://api.localhost/v1", "https://gpu.example.com/v1"]) {
    assert.equal(parseEndpoint(url).insecure, false, url);
  }
  for (const url of ["http://10.0.0.5:8000/v1", "http://gpu.example.com/v1", "http://127.0.0.1.example.com/v1"]) {
    assert.equal(parseEndpoint(url).insecure, true, url);
  }
  assert.equal(isLoopback("128.0.0.1"), false);
});

test("a bad endpoint is one sentence naming the setting and the flag", () => {
  const bad = (raw: string, pattern: RegExp) =>
    assert.throws(() => parseEndpoint(raw), (e: unknown) => e instanceof RepoQaError && e.code === "bad-input" && pattern.test(e.message));
  bad("localhost:8080", /must start with http:\/\/ or https:\/\/ \(it is "localhost:8080"\)/);
  bad("not a url", /longropeQa\.endpoint \(--endpoint\) must be a URL such as http:\/\/127\.0\.0\.1:8080\/v1/);
  bad("https://user:secret@host/v1", /must not carry a user name or password; set the API key with "LongRoPE QA: Set API key…"/);
});

test("each server's refusal for length gives its context size", () => {
  const llamaCppPython = JSON.stringify({ error: { message: "This model's maximum context length is 2048 tokens. However, you requested 5036 tokens (5016 in the messages, 20 in the completion).", code: "context_length_exceeded" } });
  const vllm = JSON.stringify({ object: "error", message: "This model's maximum context length is 131072 tokens. However, you requested 140000 tokens in the messages.", type: "BadRequestError", code: 400 });
  const llamaServer = JSON.stringify({ error: { code: 400, message: "the request exceeds the available context size, try increasing it", type: "exceed_context_size_error", n_prompt_tokens: 5000, n_ctx: 4096 } });
  assert.equal(contextLimitOf(400, llamaCppPython), 2048);
  assert.equal(contextLimitOf(400, vllm), 131072);
  assert.equal(contextLimitOf(400, llamaServer), 4096);
  assert.equal(contextLimitOf(400, JSON.stringify({ error: { message: "bad temperature" } })), undefined);
  assert.equal(contextLimitOf(500, llamaCppPython), undefined, "a 500 is the server's failure, not a refusal");
});

test("HTTP errors quote the server and say what to do", () => {
  const endpoint = parseEndpoint("http://127.0.0.1:8080/v1");
  const unauthorized = httpError(endpoint, 403, JSON.stringify({ detail: "Forbidden" }));
  assert.equal(unauthorized.code, "unauthorized");
  assert.match(unauthorized.message, /refused the API key \(HTTP 403: "Forbidden"\); set it with/);
  const missing = httpError(endpoint, 404, JSON.stringify({ detail: "Not Found" }));
  assert.match(missing.message, /no such endpoint or model \(HTTP 404: "Not Found"\); check that longropeQa\.endpoint \(--endpoint\) ends in its OpenAI base/);
  assert.equal(httpError(endpoint, 502, "Bad Gateway").message, 'The server at 127.0.0.1:8080 answered HTTP 502: "Bad Gateway"; see its log, then ask again.');
});
