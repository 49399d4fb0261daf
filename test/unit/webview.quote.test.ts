/** What the model reads for a question with an attachment chip: cites path:lines, quotes code that cannot break its fence. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { MAX_QUOTE } from "../../src/chat/protocol";
import { attachmentLabel, quoteForModel, selectionAttachment } from "../../src/chat/quote";

describe("attachment questions", () => {
  it("cites the lines and fences the code with its language, then the question", () => {
    const a = { path: "src/greet.ts", firstLine: 3, lastLine: 5, languageId: "typescript", text: "a\nb\nc" };
    assert.equal(attachmentLabel(a), "src/greet.ts:3-5");
    assert.equal(quoteForModel("Why?", a), "About src/greet.ts:3-5:\n```typescript\na\nb\nc\n```\nWhy?");
    assert.equal(quoteForModel("", { ...a, firstLine: 7, lastLine: 7, text: "x" }), "About src/greet.ts:7:\n```typescript\nx\n```\nWhat does this code do?");
    assert.equal(quoteForModel("Tests?", { path: "src/math.ts" }), "About src/math.ts: Tests?");
    assert.equal(quoteForModel("", { path: "src/math.ts" }), "About src/math.ts: What does this file do?");
    assert.equal(quoteForModel("Plain", undefined), "Plain");
  });

  it("uses a longer fence than any backtick run inside, and cuts long selections", () => {
    const q = quoteForModel("", { path: "README.md", firstLine: 1, lastLine: 4, languageId: "markdown", text: "```js\nx\n````\n" });
    assert.ok(q.startsWith("About README.md:1-4:\n`````markdown\n"), q);
    assert.ok(q.includes("\n`````\n"), q);
    const long = selectionAttachment({ path: "big.txt", firstLine: 1, lastLine: 900, languageId: "plaintext", text: "y".repeat(MAX_QUOTE * 3) });
    assert.ok(long.text!.length === MAX_QUOTE + 2 && long.text!.endsWith("y\n…"), `${long.text!.length} chars`);
  });

  it("drops a language id that could break out of the fence's info string", () => {
    const q = quoteForModel("", { path: "x", firstLine: 1, lastLine: 1, languageId: 'js" onerror="x', text: "1" });
    assert.equal(q, "About x:1:\n```\n1\n```\nWhat does this code do?");
  });
});
