/** One wording of token counts: the meter, the welcome, the memory suggestions and engine errors agree. */
import assert from "node:assert/strict";
import { it } from "node:test";
import { formatTokens } from "../../src/util/formatTokens";

it("token counts: exact below 10,000; windows in the k of model cards; other counts in thousands", () => {
  assert.deepEqual([2048, 8192, 9999].map(formatTokens), ["2,048", "8,192", "9,999"]);
  assert.deepEqual([32_768, 98_304, 131_072].map(formatTokens), ["32k", "96k", "128k"], "what the welcome calls Phi-4-mini's 128k window");
  assert.deepEqual([48_213, 10_000, 131_000, 250_400].map(formatTokens), ["48.2k", "10k", "131k", "250k"]);
});
