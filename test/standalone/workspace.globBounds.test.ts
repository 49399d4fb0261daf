/**
 * Glob bombs in the include / exclude settings: refused with a sentence naming the pattern, before any expensive
 * compile; ordinary patterns compiled once per settings value; a matching time budget per pack.
 */
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { GLOB_LIMITS, GlobRules } from "../../src/workspace/globRules";
import { packWorkspace } from "../../src/workspace/index";
import { RepoQaError } from "../../src/util/errors";
import { makeTree, type TempTree } from "../fixtures/makeTree";
import { useTempCacheHome } from "../support/tempCache";

// Findings are cached on disk by content: a scan from an earlier run must not stand in for this one.
useTempCacheHome();

const trees: TempTree[] = [];
after(() => trees.forEach((t) => t.cleanup()));

const TEN = `{${"abcdefghij".split("").join(",")}}`;
/** 100,000 brace expansions: 2.7 s to compile and 12 ms per path to match before the bound (40 of them froze the host). */
const BOMB = `**/${TEN.repeat(5)}/**/*.ts`;

function refusal(fn: () => unknown): RepoQaError {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof RepoQaError, `expected a RepoQaError, got ${String(error)}`);
    assert.equal(error.code, "bad-input");
    return error;
  }
  assert.fail("the pattern was accepted");
}

describe("glob patterns are bounded", () => {
  it("a brace bomb is refused at once, naming the pattern and the setting", () => {
    const started = performance.now();
    const error = refusal(() => new GlobRules({ exclude: ["dist/**", BOMB] }));
    assert.ok(performance.now() - started < 1000, "refused before compiling 100,000 expansions");
    assert.match(error.message, /^The pattern "\*\*\/\{a,b,c.*…" in longropeQa\.exclude expands to more than 256 patterns; simplify it\.$/);
  });

  it("files.exclude is bounded too, and so is the sum of many moderate patterns", () => {
    assert.match(refusal(() => new GlobRules({ filesExclude: { [BOMB]: true } })).message, /in files\.exclude expands/);
    const moderate = Array.from({ length: 20 }, (_, i) => `${TEN}${TEN}/x${i}`); // 100 expansions each, 2,000 in all
    assert.doesNotThrow(() => new GlobRules({ exclude: moderate }));
    const tooMany = Array.from({ length: 50 }, (_, i) => `${TEN}${TEN}/y${i}`);
    assert.match(refusal(() => new GlobRules({ include: tooMany })).message, /^The patterns in longropeQa\.include expand to 5000 patterns together/);
  });

  it("an over-long pattern and one with too many ** are refused; a pattern minimatch rejects is a sentence, not a TypeError", () => {
    assert.match(refusal(() => new GlobRules({ exclude: ["a".repeat(GLOB_LIMITS.maxLength + 1)] })).message, /is longer than 1024 characters/);
    assert.match(refusal(() => new GlobRules({ exclude: ["**/x".repeat(GLOB_LIMITS.maxGlobstars + 1)] })).message, /has more than 16 "\*\*"/);
  });

  it("patterns are compiled once per settings value", () => {
    const a = new GlobRules({ exclude: ["**/*.gen.ts"] }) as unknown as { exclude: readonly unknown[] };
    const b = new GlobRules({ exclude: ["**/*.gen.ts"] }) as unknown as { exclude: readonly unknown[] };
    assert.equal(a.exclude[0], b.exclude[0], "the same compiled matcher object");
  });

  it("matching past the time budget stops the pack with a sentence naming the slowest pattern", () => {
    const rules = new GlobRules({ exclude: ["**/*.slow", "**/*.other"] }, { matchBudgetMs: 0 });
    assert.throws(() => rules.verdict(["src/a.ts"], false), /^RepoQaError: Matching the workspace against "\*\*\/\*\.(slow|other)" in longropeQa\.exclude took over 0 s; simplify that pattern\.$/);
  });

  it("a pack with a bomb in its settings rejects with that sentence (no stack trace, no freeze)", async () => {
    const t = makeTree({ "a.ts": "a" });
    trees.push(t);
    await assert.rejects(packWorkspace({ roots: [{ name: "w", path: t.root }], exclude: [BOMB] }), /expands to more than 256 patterns/);
  });
});
