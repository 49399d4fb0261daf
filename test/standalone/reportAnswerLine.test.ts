// The context report opened from an answer: the line saying what that answer read, and the command's argument check
// (any extension or keybinding can run longropeQa.showContextReport with anything).
import { test } from "node:test";
import assert from "node:assert/strict";
import { answerLine, parseAnswerTarget } from "../../src/commands/reportModel";

test("the line names the question and the files the answer read, five at most, and says the report below packs anew", () => {
  const read = ["README.md", "src/a.ts", "src/b.ts", "src/c.ts", "src/d.ts", "src/e.ts", "src/f.ts"];
  assert.equal(
    answerLine({ question: "What does this do?", read, readCount: 1234, total: 2000 }),
    "The answer to “What does this do?” read 1,234 of 2,000 files: README.md, src/a.ts, src/b.ts, src/c.ts, src/d.ts and 1,229 more. " +
      "Below, the same question asked now: with the editors open now and without the conversation before it.",
  );
  const long = answerLine({ question: "x".repeat(500), read: ["a"], readCount: 1, total: 3 });
  assert.match(long, /^The answer to “x{119}…” read 1 of 3 files: a\. /);
  assert.match(answerLine({ question: "q", read: [], readCount: 0, total: 3 }), /^The answer to “q” read 0 of 3 files\. Below/);
});

test("the command's argument is taken only in the shape the chat sends", () => {
  const good = { question: "q", read: ["a.ts"], readCount: 1, total: 4 };
  assert.deepEqual(parseAnswerTarget(good), good);
  assert.deepEqual(parseAnswerTarget({ ...good, extra: "dropped" }), good);
  for (const bad of [undefined, null, "q", { ...good, question: 1 }, { ...good, readCount: -1 }, { ...good, total: 1.5 }, { ...good, read: "a.ts" }, { ...good, read: [1] }, { ...good, read: Array(301).fill("a") }]) {
    assert.equal(parseAnswerTarget(bad), undefined, String(JSON.stringify(bad)).slice(0, 80));
  }
});
