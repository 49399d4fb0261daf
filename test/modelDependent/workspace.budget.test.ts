/**
 * Counting only what can fit: at a budget the packer tokenizes the files it may admit (ranked, estimated per
 * extension), and chooses exactly what it would choose with every file counted — on this repository and on a fixed
 * tree of pinned npm packages, with the real Llama-2 tokenizer.
 */
import assert from "node:assert/strict";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import { packWorkspace } from "../../src/workspace/index";
import type { PackOptions, TokenCounter, WorkspaceRoot } from "../../src/workspace/types";
import { loadLlamaTokenizer, type CountingTokenizer } from "../fixtures/llamaTokenizer";
import { makeTree } from "../fixtures/makeTree";
import { useTempCacheHome } from "../support/tempCache";

const repoRoot = path.resolve(__dirname, "../..");
useTempCacheHome();
let tokenizer: CountingTokenizer;
before(async () => (tokenizer = await loadLlamaTokenizer()));
after(async () => {
  await tokenizer.dispose();
});

/** Exact counts, remembered in memory so that repeated cold packs (fresh cache keys) do not re-run the tokenizer. */
const memo = new Map<string, number>();
let keySeq = 0;
function coldCounter(): TokenCounter & { sent: number } {
  const counter = {
    cacheKey: `budget-${process.pid}-${keySeq++}`,
    sent: 0,
    async countTokens(texts: readonly string[]) {
      counter.sent += texts.length;
      const unknown = texts.filter((t) => !memo.has(t));
      (await tokenizer.countTokens(unknown)).forEach((n, i) => memo.set(unknown[i]!, n));
      return texts.map((t) => memo.get(t)!);
    },
  };
  return counter;
}

const QUESTION = "How are errors reported when a pattern or a path is invalid?";
const BUDGETS = [300, 2_000, 8_000, 32_000, 128_000];

async function compareAtBudgets(roots: WorkspaceRoot[], extra: Partial<PackOptions>) {
  const rows: string[] = [];
  for (const budgetTokens of BUDGETS) {
    for (const question of [undefined, QUESTION]) {
      const base = { roots, redactSecrets: false, budgetTokens, question, ...extra };
      const exact = await packWorkspace({ ...base, tokenCounter: coldCounter(), countEveryFile: true });
      const lazyCounter = coldCounter();
      const lazy = await packWorkspace({ ...base, tokenCounter: lazyCounter });
      const label = `budget ${budgetTokens}${question ? " with a question" : ""}`;
      assert.deepEqual(lazy.included.map((f) => f.path), exact.included.map((f) => f.path), label);
      assert.equal(lazy.totalTokens, exact.totalTokens, label);
      assert.ok(lazy.totalTokens! <= budgetTokens, `${label}: ${lazy.totalTokens} tokens`);
      rows.push(`${label}: ${lazy.included.length} files; tokenized ${lazyCounter.sent} texts of ${exact.work!.textsTokenized}`);
    }
  }
  return rows;
}

describe("count only what can fit", () => {
  it("this repository: the same files as with every file counted, at budgets from 300 to 128k tokens", async (t) => {
    const rows = await compareAtBudgets([{ name: "repo", path: repoRoot }], {});
    rows.forEach((row) => t.diagnostic(row));
  });

  it("pinned npm packages (four roots, build output included): the same files as with every file counted", async (t) => {
    const roots = ["minimatch", "ignore", "isbinaryfile", "markdown-it"].map((name) => ({ name, path: path.join(repoRoot, "node_modules", name) }));
    const rows = await compareAtBudgets(roots, { defaultExcludes: false, exclude: ["**/node_modules/**"] });
    rows.forEach((row) => t.diagnostic(row));
  });

  it("a small budget over a large tree tokenizes a few files, not the tree; an unlimited pack counts them all", async () => {
    const files = Object.fromEntries(
      Array.from({ length: 600 }, (_, i) => [`src/mod${i}.ts`, `export function f${i}(x: number) {\n  return x * ${i};\n}\n`.repeat(1 + (i % 40))]),
    );
    const t = makeTree(files);
    try {
      const small = coldCounter();
      const r = await packWorkspace({ roots: [{ name: "w", path: t.root }], tokenCounter: small, budgetTokens: 2_000 });
      assert.ok(r.included.length >= 3 && r.totalTokens! <= 2_000);
      assert.ok(small.sent < 120, `${small.sent} texts tokenized for ${r.included.length} files kept out of 600`);
      assert.match(r.excluded.find((e) => e.reason === "budget" && /estimated/.test(e.detail!))!.detail!, /^about \d+ tokens \(estimated\); lower priority; over the budget of 2000 tokens$/);
      const all = coldCounter();
      const full = await packWorkspace({ roots: [{ name: "w", path: t.root }], tokenCounter: all });
      assert.equal(full.included.length, 600);
      assert.equal(all.sent, 601, "every file and the header");
    } finally {
      t.cleanup();
    }
  });
});
