/** The pre-filled "Ask about selection" question: cites path:lines and quotes code that cannot break its fence. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { MAX_QUOTE, fileQuestion, selectionQuestion } from "../../src/chat/quote";

describe("selection questions", () => {
  it("cites the lines and fences the code with its language", () => {
    const q = selectionQuestion({ path: "src/greet.ts", firstLine: 3, lastLine: 5, languageId: "typescript", text: "a\nb\nc" });
    assert.equal(q, "About src/greet.ts:3-5:\n```typescript\na\nb\nc\n```\n");
    assert.equal(
      selectionQuestion({ path: "a.md", firstLine: 7, lastLine: 7, languageId: "markdown", text: "x" }),
      "About a.md:7:\n```markdown\nx\n```\n",
    );
    assert.equal(fileQuestion("src/math.ts"), "About src/math.ts: ");
  });

  it("uses a longer fence than any backtick run inside, and cuts long selections", () => {
    const q = selectionQuestion({ path: "README.md", firstLine: 1, lastLine: 4, languageId: "markdown", text: "```js\nx\n````\n" });
    assert.ok(q.startsWith("About README.md:1-4:\n`````markdown\n"), q);
    assert.ok(q.endsWith("\n`````\n"), q);
    const long = selectionQuestion({ path: "big.txt", firstLine: 1, lastLine: 900, languageId: "plaintext", text: "y".repeat(MAX_QUOTE * 3) });
    assert.ok(long.length < MAX_QUOTE + 100 && long.includes("y\n…\n"), `${long.length} chars`);
  });

  it("drops a language id that could break out of the fence's info string", () => {
    const q = selectionQuestion({ path: "x", firstLine: 1, lastLine: 1, languageId: 'js" onerror="x', text: "1" });
    assert.equal(q, "About x:1:\n```\n1\n```\n");
  });
});
