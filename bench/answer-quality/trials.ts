/**
 * One haystack (or control) under one variant: pack it with our packer, ask both questions about every needle, score.
 * Questions run depth-first in one conversation-free session, so the cached repo is read once per haystack.
 */
import { mkdtempSync, rmSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { packWorkspace } from "../../src/workspace/index";
import { renderFooter, renderHeader } from "../../src/workspace/format";
import type { EvalModel } from "./evalModel";
import { writeHaystack, type Haystack, type PlacedNeedle } from "./haystack";
import { scoreFile, scoreLiteral } from "./score";
import type { Variant } from "./variants";

export type Condition = "haystack" | "no-repo" | "needle-only";

export interface AnswerRecord {
  readonly variant: string;
  readonly condition: Condition;
  readonly seed: number;
  readonly length: number;
  readonly depth: number;
  /** Tokens of the packed text before the needle's block ÷ all of it. */
  readonly actualDepth: number;
  readonly repoTokens: number;
  readonly question: "literal" | "file";
  readonly answer: string;
  readonly right: boolean;
  readonly confused?: boolean;
  readonly cited?: boolean;
  readonly citationRight?: boolean;
  readonly nameOnly?: boolean;
  readonly ms: number;
  readonly generatedTokens: number;
}

export const questions = {
  literal: (fn: string) => `What string does the function ${fn} return?`,
  file: (fn: string) => `Which file defines the function ${fn}?`,
};

interface TrialContext {
  readonly model: EvalModel;
  readonly variant: Variant;
  readonly seed: number;
  readonly length: number;
  readonly maxTokens: number;
}

async function pack(ctx: Pick<TrialContext, "model" | "variant">, write: (dir: string) => void): Promise<{ text: string; tokens: number }> {
  const dir = mkdtempSync(path.join(os.tmpdir(), "answer-quality-"));
  try {
    write(dir);
    const counter = { countTokens: (texts: readonly string[]) => Promise.resolve(texts.map((t) => ctx.model.tokens(t))) };
    const packed = await packWorkspace({ roots: [{ name: "haystack", path: dir }], tokenCounter: counter, format: ctx.variant.format });
    return { text: packed.text, tokens: packed.totalTokens ?? 0 };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function askAbout(ctx: TrialContext, condition: Condition, repo: { text: string; tokens: number }, needles: readonly PlacedNeedle[]): Promise<AnswerRecord[]> {
  const records: AnswerRecord[] = [];
  for (const needle of needles) {
    const marker = repo.text.indexOf(`<file path="${needle.path}">`);
    const actualDepth = marker < 0 ? 0 : ctx.model.tokens(repo.text.slice(0, marker)) / Math.max(1, repo.tokens);
    const facts = { literal: needle.literal, path: needle.path, returnLine: needle.returnLine, otherLiterals: needles.filter((n) => n !== needle).map((n) => n.literal) };
    for (const question of ["literal", "file"] as const) {
      const asked = questions[question](needle.functionName);
      const repoText = ctx.variant.questionFirst ? `Question: ${asked}\n\n${repo.text}` : repo.text;
      const answer = await ctx.model.ask(ctx.variant.style, repoText, asked, ctx.maxTokens);
      const base = {
        variant: ctx.variant.name, condition, seed: ctx.seed, length: ctx.length, depth: needle.depth, actualDepth, repoTokens: repo.tokens,
        question, answer: answer.text, ms: answer.ms, generatedTokens: answer.generatedTokens,
      };
      if (question === "literal") {
        const s = scoreLiteral(answer.text, facts);
        records.push({ ...base, right: s.right, confused: s.confused, cited: !!s.citation, citationRight: s.citationRight });
      } else {
        const s = scoreFile(answer.text, facts);
        records.push({ ...base, right: s.right, nameOnly: s.nameOnly });
      }
    }
  }
  return records;
}

/**
 * "all": every needle in one prompt (one repo read per haystack; the others are distractors). "one": each needle in a
 * prompt of its own, deepest first, so each prompt shares the cached text before its needle with the previous one.
 */
export async function runHaystack(ctx: TrialContext, haystack: Haystack, needles: "all" | "one"): Promise<AnswerRecord[]> {
  if (needles === "all") return askAbout(ctx, "haystack", await packHaystack(ctx, haystack, haystack.needles), haystack.needles);
  const records: AnswerRecord[] = [];
  for (const needle of [...haystack.needles].sort((a, b) => b.depth - a.depth)) {
    records.push(...(await askAbout(ctx, "haystack", await packHaystack(ctx, haystack, [needle]), [needle])));
  }
  return records;
}

export function packHaystack(ctx: Pick<TrialContext, "model" | "variant">, haystack: Haystack, needles: readonly PlacedNeedle[]): Promise<{ text: string; tokens: number }> {
  return pack(ctx, (dir) => writeHaystack(dir, haystack, needles));
}

/** Controls: the instruction with no files (the model cannot know; must be ~0), and each needle's file alone (the ceiling). */
export async function runControls(ctx: TrialContext, haystack: Haystack): Promise<AnswerRecord[]> {
  const instructionOnly = renderHeader("", ctx.variant.format) + renderFooter(ctx.variant.format);
  const noRepo = await askAbout(ctx, "no-repo", { text: instructionOnly, tokens: ctx.model.tokens(instructionOnly) }, haystack.needles);
  const alone: AnswerRecord[] = [];
  for (const needle of haystack.needles) {
    const repo = await packHaystack(ctx, { files: [], needles: [] }, [{ ...needle, slot: 0 }]);
    alone.push(...(await askAbout(ctx, "needle-only", repo, [needle])));
  }
  return [...noRepo, ...alone];
}
