/**
 * Secrets the recommended preset missed (Stripe, OpenAI `sk-proj-`, Anthropic, passwords and keys assigned to
 * credential names) are redacted, each rule with positive and negative examples; `.env` files stay out by default;
 * the report counts redactions per rule.
 */
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { packWorkspace, renderPackReport, toPackJson } from "../../src/workspace/index";
import { ownSecretFindings } from "../../src/workspace/secretRules";
import type { PackResult } from "../../src/workspace/types";
import { makeTree, type TempTree } from "../fixtures/makeTree";
import { OWN_RULE_CASES, OWN_RULE_NEGATIVES } from "../support/secretExamples";
import { useTempCacheHome } from "../support/tempCache";

// Findings are cached on disk by content: a scan from an earlier run must not stand in for this one.
useTempCacheHome();

const trees: TempTree[] = [];
after(() => trees.forEach((t) => t.cleanup()));
async function pack(files: Record<string, string>): Promise<PackResult> {
  const t = makeTree(files);
  trees.push(t);
  return packWorkspace({ roots: [{ name: "w", path: t.root }] });
}

describe("secret rules beyond the preset", () => {
  for (const [i, c] of OWN_RULE_CASES.entries()) {
    it(`${c.rule} #${i}: redacted in the prompt, the rest of the line kept`, async () => {
      const r = await pack({ [`src/file${i}.ts`]: c.text, "clean.ts": "export const clean = 1;\n" });
      assert.ok(!r.text.includes(c.secret), `leaked ${c.secret.slice(0, 10)}…`);
      assert.ok(r.text.includes(`[REDACTED:${c.rule}]`), `no [REDACTED:${c.rule}] in:\n${r.text.slice(-300)}`);
      assert.deepEqual(r.included.find((f) => f.path === `src/file${i}.ts`)?.redactedRules, { [c.rule]: 1 });
      assert.equal(r.included.find((f) => f.path === "clean.ts")?.redactions, 0);
    });
  }

  it("negatives (placeholders, references, identifiers, publishable keys, the AWS example id) are kept as they are", () => {
    for (const text of OWN_RULE_NEGATIVES) assert.deepEqual(ownSecretFindings(text), [], text);
  });

  it("the report counts redactions per rule, in the markdown and the JSON", async () => {
    const stripe = OWN_RULE_CASES.find((c) => c.rule === "StripeKey")!;
    const password = OWN_RULE_CASES.find((c) => c.rule === "PasswordAssignment")!;
    const r = await pack({ "a.ts": stripe.text + stripe.text.replace("const key", "const other"), "b.env.example": password.text });
    assert.deepEqual(toPackJson(r).redactionsByRule, { PasswordAssignment: 1, StripeKey: 2 });
    assert.match(renderPackReport(r), /^- Secrets redacted: 3 \(PasswordAssignment 1, StripeKey 2\)$/m);
  });
});

describe(".env files", () => {
  const env = "DB_PASSWORD=hunter2\nSTRIPE_KEY=" + ["sk_live_", "51H8xYzABCdefGHIjklMNOpqr"].join("") + "\n";

  it("are left out by default with reason secret-file; templates stay in", async () => {
    const r = await pack({ ".env": env, ".env.local": env, "config/prod.env": env, ".envrc": "export TOKEN=x\n", ".env.example": "DB_PASSWORD=\n", "app.ts": "ok" });
    assert.deepEqual(r.included.map((f) => f.path).sort(), [".env.example", "app.ts"]);
    for (const p of [".env", ".env.local", "config/prod.env", ".envrc"]) {
      assert.equal(r.excluded.find((e) => e.path === p)?.reason, "secret-file", p);
    }
  });

  it("a negation in .longropeignore re-includes one, and its secrets are still redacted", async () => {
    const r = await pack({ ".env": env, ".longropeignore": "!.env\n", "app.ts": "ok" });
    assert.ok(r.included.some((f) => f.path === ".env"));
    assert.ok(!r.text.includes("hunter2") && !r.text.includes("51H8xYz"));
    assert.deepEqual(r.included.find((f) => f.path === ".env")?.redactedRules, { PasswordAssignment: 1, StripeKey: 1 });
  });
});
