// The CLI's progress lines when stderr is not a terminal (a log, CI): each phase is logged when it starts and again
// with its last figures when the next phase starts.
import assert from "node:assert/strict";
import { test } from "node:test";
import { createProgressPrinter } from "../../src/cliProgress";

function logOf(statuses: Parameters<ReturnType<typeof createProgressPrinter>["update"]>[0][]): string[] {
  let text = "";
  const stream = { isTTY: false, write: (chunk: string) => ((text += chunk), true) } as unknown as NodeJS.WriteStream;
  const progress = createProgressPrinter(stream);
  for (const status of statuses) progress.update(status);
  progress.done();
  return text.split("\n").filter(Boolean);
}

test("a phase ends in the log with its last figures, also when the next phase prints nothing", () => {
  assert.deepEqual(
    logOf([
      { state: "packing", filesSeen: 1, tokensSoFar: 0 },
      { state: "packing", filesSeen: 4, tokensSoFar: 388 },
      { state: "ingesting", done: 0, total: 409, tokensPerSecond: 0, etaMs: 0 },
      { state: "ingesting", done: 409, total: 409, tokensPerSecond: 173, etaMs: 0 },
      { state: "answering" },
    ]),
    [
      "packing: 1 files, 0 tokens",
      "packing: 4 files, 388 tokens",
      "reading the repo: 0/409 tokens 0%, 0 tok/s, ETA 0 s",
      "reading the repo: 409/409 tokens 100%, 173 tok/s, ETA 0 s",
    ],
  );
});

test("a phase with one event is logged once", () => {
  assert.deepEqual(logOf([{ state: "loading", modelPath: "m.gguf" }, { state: "packing", filesSeen: 2, tokensSoFar: 9 }]), [
    "loading m.gguf",
    "packing: 2 files, 9 tokens",
  ]);
});
