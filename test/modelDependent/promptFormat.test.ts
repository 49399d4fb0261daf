// The prompt variants the answer-quality eval compares (docs/answer-quality.md): line numbering, instruction
// placement, where the repo goes in the chat, and which chat template renders it (on SmolLM2's real template).
import assert from "node:assert/strict";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import type { Llama, LlamaModel } from "node-llama-cpp";
import { frameFile, instructionFor } from "../../src/workspace/format";
import { packWorkspace } from "../../src/workspace/index";
import { buildHistory, chatWrapperFor } from "../../src/engine/worker/promptStyle";
import { sharedModels } from "../support/models";

const tinyRepo = path.resolve(__dirname, "../fixtures/tiny-repo");

describe("prompt format options", () => {
  it("numbers every line, every 5th, or none", () => {
    const text = "a\nb\nc\nd\ne\nf\n";
    assert.equal(frameFile("x.ts", text, 1), '<file path="x.ts">\n1|a\n2|b\n3|c\n4|d\n5|e\n6|f\n</file>\n');
    assert.equal(frameFile("x.ts", text, 5), '<file path="x.ts">\na\nb\nc\nd\n5|e\nf\n</file>\n');
    assert.equal(frameFile("x.ts", text, 0), `<file path="x.ts">\n${text}</file>\n`);
    assert.equal(frameFile("x.ts", "no newline", 0), '<file path="x.ts">\nno newline\n</file>\n');
    assert.equal(frameFile("e.ts", "", 1), '<file path="e.ts">\n</file>\n');
  });

  it("the instruction says how lines are numbered, and goes before the tree or after the last file", async () => {
    assert.match(instructionFor(1), /every line starts with its line number/);
    assert.match(instructionFor(5), /every 5th line starts/);
    assert.doesNotMatch(instructionFor(0), /\|/);
    const roots = [{ name: "t", path: tinyRepo }];
    const before = await packWorkspace({ roots });
    const afterFiles = await packWorkspace({ roots, format: { instruction: "after", lineNumberEvery: 0 } });
    assert.ok(before.text.startsWith(instructionFor(5)));
    assert.ok(afterFiles.text.startsWith("<tree>\n"));
    assert.ok(afterFiles.text.endsWith(`</file>\n\n${instructionFor(0)}\n`));
    assert.ok(!afterFiles.text.includes("5|"));
  });

  it("both chat layouts keep the repo text a prefix no question changes", () => {
    for (const repoIn of ["system", "user"] as const) {
      const first = buildHistory("REPO", [], "Q1", repoIn);
      const followUp = buildHistory("REPO", [{ question: "Q1", answer: "A1" }], "Q2", repoIn);
      assert.deepEqual(followUp.slice(0, first.length - 1), first.slice(0, -1), repoIn);
      assert.equal(JSON.stringify(first).includes("REPO"), true);
    }
    assert.deepEqual(buildHistory("REPO", [], "Q", "user")[0], { type: "user", text: "REPO\n\nQ" });
  });
});

describe("chat templates on SmolLM2 (tokenizer only)", () => {
  let llama: Llama | undefined; // undefined when before() failed first
  let model: LlamaModel | undefined;
  const loaded = (): LlamaModel => model ?? assert.fail("SmolLM2 did not load (see the before hook)");
  before(async () => {
    const { getLlama, LlamaLogLevel } = await import("node-llama-cpp");
    llama = await getLlama({ build: "never", gpu: false, logLevel: LlamaLogLevel.error });
    model = await llama.loadModel({ modelPath: sharedModels.smollm2 });
  });
  after(async () => {
    await model?.dispose();
    await llama?.dispose();
  });

  const tokensOf = async (template: "model" | "library", repoIn: "system" | "user") =>
    (await chatWrapperFor(loaded(), template)).generateContextState({ chatHistory: buildHistory("REPO", [], "Q", repoIn) }).contextText;

  it("the model's own template starts with one <|im_start|>; node-llama-cpp's ChatML wrapper with two", async () => {
    const model = loaded();
    const imStart = model.tokenize("<|im_start|>", true)[0];
    const own = (await tokensOf("model", "system")).tokenize(model.tokenizer);
    const library = (await tokensOf("library", "system")).tokenize(model.tokenizer);
    assert.deepEqual(own.slice(0, 2).map((t) => t === imStart), [true, false]);
    assert.deepEqual(library.slice(0, 2).map((t) => t === imStart), [true, true]);
  });

  it("with the repo in the user message, the template adds SmolLM2's own system prompt", async () => {
    const text = (await tokensOf("model", "user")).toString();
    assert.match(text, /^<\|im_start\|>system\nYou are a helpful AI assistant named SmolLM/);
    assert.match(text, /<\|im_start\|>user\nREPO\n\nQ<\|im_end\|>/);
  });
});
