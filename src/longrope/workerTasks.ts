/** What the LongRoPE worker does: generate seeded stories, tokenize text, measure perplexity (with n̂, by position). */
import { mkdtemp, rm } from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import type { Llama, LlamaContextSequence, LlamaModel, Token } from "node-llama-cpp";
import type { GenerateStoriesRequest, PerplexityRequest, PplProgress, PplResults, TokenizeTextRequest } from "./pplProtocol";
import { elementAt } from "../util/elementAt";
import type { VariantModels } from "./workerModels";

export interface WorkerContext {
  readonly llama: Llama;
  readonly models: VariantModels;
  readonly signal: AbortSignal;
  readonly progress: (progress: PplProgress) => void;
}

/** Tokens per evaluate call, so a cancel is seen between calls. */
export const chunkTokens = 1024;
/** Probabilities below this (f32 underflow) count as this, so one impossible token cannot make the mean infinite. */
export const minProbability = 1e-30;

export async function generateStories(request: GenerateStoriesRequest, ctx: WorkerContext): Promise<PplResults["generateStories"]> {
  const model = await ctx.models.get(request.modelPath);
  const bos = requireBos(model);
  const context = await model.createContext({ contextSize: request.maxTokens + 1, threads: request.threads, flashAttention: false });
  try {
    const sequence = context.getSequence();
    const stories: number[][] = [];
    for (let k = 0; k < request.count; k++) {
      ctx.signal.throwIfAborted();
      await sequence.clearHistory();
      const story: number[] = [];
      const options = { temperature: request.temperature, seed: request.firstSeed + k };
      for await (const token of sequence.evaluate([bos], options)) {
        if (token === bos || model.isEogToken(token)) break;
        story.push(token);
        if (story.length >= request.maxTokens) break;
      }
      stories.push(story);
    }
    return { stories, bos };
  } finally {
    await context.dispose();
  }
}

export async function tokenizeText(request: TokenizeTextRequest, ctx: WorkerContext): Promise<PplResults["tokenize"]> {
  const model = await ctx.models.get(request.modelPath);
  return { tokens: model.tokenize(request.text, false), bos: requireBos(model), addBos: model.tokens.shouldPrependBosToken };
}

export async function measurePerplexity(request: PerplexityRequest, ctx: WorkerContext): Promise<PplResults["perplexity"]> {
  const started = performance.now();
  const { variant } = request;
  const scaled = await ctx.models.get(request.modelPath, variant.overrides, variant.ropeFreqs, variant.factorSlot);
  const nHat = variant.nHat ?? 0;
  const prefixModel = nHat > 0 ? await ctx.models.get(request.modelPath, variant.overrides) : undefined;
  let sum = 0;
  let count = 0;
  const perSample: number[] = [];
  const buckets: { from: number; sum: number; count: number }[] = [];
  const every = Math.max(1, request.scoreEvery ?? 1);
  const onScored = (i: number, nll: number) => {
    if (!request.bucketTokens) return;
    const k = Math.floor(i / request.bucketTokens);
    while (buckets.length <= k) buckets.push({ from: buckets.length * request.bucketTokens, sum: 0, count: 0 });
    const bucket = elementAt(buckets, k);
    bucket.sum += nll;
    bucket.count++;
  };
  for (const [index, tokens] of request.samples.entries()) {
    ctx.progress({ phase: "perplexity", done: index, total: request.samples.length, unit: "samples", label: `${variant.label}, ${tokens.length} tokens` });
    const scoreFrom = request.scoreLast === undefined ? 0 : Math.max(0, tokens.length - 1 - request.scoreLast);
    const part = await sampleNll(tokens as Token[], { scaled, prefixModel, nHat, scoreFrom, every, onScored, request, signal: ctx.signal });
    sum += part.sum;
    count += part.count;
    perSample.push(Math.exp(part.sum / Math.max(1, part.count)));
  }
  const meanNll = sum / Math.max(1, count);
  return {
    meanNll, ppl: Math.exp(meanNll), scoredTokens: count, perSample, seconds: (performance.now() - started) / 1000,
    ...(request.bucketTokens ? { buckets } : {}),
  };
}

interface SampleOptions {
  readonly scaled: LlamaModel;
  readonly prefixModel?: LlamaModel;
  readonly nHat: number;
  readonly scoreFrom: number;
  readonly every: number;
  readonly onScored: (position: number, nll: number) => void;
  readonly request: PerplexityRequest;
  readonly signal: AbortSignal;
}

/**
 * Sum of −ln p(token[i+1] | token[0..i]) over scored positions i. With n̂, positions < n̂ run in the un-scaled model;
 * its KV cache (K is stored after RoPE) is saved and loaded into the scaled model, which continues: exactly LongRoPE's
 * "no interpolation for the first n̂ positions".
 */
async function sampleNll(tokens: readonly Token[], o: SampleOptions): Promise<{ sum: number; count: number }> {
  const { request } = o;
  const contextOptions = { threads: request.threads, batchSize: Math.min(request.batchSize ?? 512, tokens.length), flashAttention: request.flashAttention ?? false };
  const { prefixModel } = o;
  const split = prefixModel ? Math.min(o.nHat, tokens.length) : 0;
  let stateDir: string | undefined;
  let total = { sum: 0, count: 0 };
  try {
    if (prefixModel && split > 0) {
      const prefix = await prefixModel.createContext({ ...contextOptions, contextSize: Math.max(split + 1, 64) });
      try {
        const sequence = prefix.getSequence();
        total = await evaluateRange(sequence, tokens, 0, split, o);
        stateDir = await mkdtemp(path.join(os.tmpdir(), "longrope-nhat-"));
        await sequence.saveStateToFile(path.join(stateDir, "prefix.state"));
      } finally {
        await prefix.dispose();
      }
    }
    // One spare cell: a context exactly as long as the tokens fed makes node-llama-cpp shift it (erase ~5% of the
    // cells and re-evaluate) on the last batch: measured at 2,048 tokens, 31.5 s of CPU for that batch instead of 7.5.
    const context = await o.scaled.createContext({ ...contextOptions, contextSize: tokens.length + 1 });
    try {
      const sequence = context.getSequence();
      if (stateDir) await sequence.loadStateFromFile(path.join(stateDir, "prefix.state"), { acceptRisk: true });
      const rest = await evaluateRange(sequence, tokens, split, tokens.length, o);
      return { sum: total.sum + rest.sum, count: total.count + rest.count };
    } finally {
      await context.dispose();
    }
  } finally {
    if (stateDir) await rm(stateDir, { recursive: true, force: true });
  }
}

/** Feeds tokens[from..to) in chunks (cancellable between them), scoring positions ≥ scoreFrom. */
async function evaluateRange(sequence: LlamaContextSequence, tokens: readonly Token[], from: number, to: number, o: SampleOptions) {
  let sum = 0;
  let count = 0;
  for (let start = from; start < to; start += chunkTokens) {
    o.signal.throwIfAborted();
    const end = Math.min(to, start + chunkTokens);
    const scored = (i: number) => i >= o.scoreFrom && i + 1 < tokens.length && i % o.every === 0;
    if (Math.max(start, o.scoreFrom) > Math.min(end - 1, tokens.length - 2)) {
      await sequence.evaluateWithoutGeneratingNewTokens(tokens.slice(start, end));
      continue;
    }
    const input = tokens.slice(start, end).map((t, k) => (scored(start + k) ? [t, { generateNext: { probabilities: true } }] as const : t));
    const output = await sequence.controlledEvaluate(input as never);
    for (let k = 0; k < end - start; k++) {
      const i = start + k;
      if (!scored(i)) continue;
      const p = output[k]?.next.probabilities?.get(elementAt(tokens, i + 1)) ?? 0;
      const nll = -Math.log(Math.max(p, minProbability));
      o.onScored(i, nll);
      sum += nll;
      count++;
    }
  }
  return { sum, count };
}

function requireBos(model: LlamaModel): Token {
  const bos = model.tokens.bos;
  if (bos === null) throw new Error("this model has no beginning-of-sequence token, which the samples start with");
  return bos;
}
