/**
 * The worker side of passkey retrieval: for each group, the shared prefix is evaluated once; each trial then adds its
 * suffix, generates greedily, scores every candidate answer as a continuation, and is erased back to the prefix.
 */
import type { LlamaContextSequence, Token } from "node-llama-cpp";
import { elementAt } from "../util/elementAt";
import type { PasskeyRequest, PasskeyTrialResult, PplResults } from "./pplProtocol";
import { chunkTokens, minProbability, type WorkerContext } from "./workerTasks";

export async function runPasskey(request: PasskeyRequest, ctx: WorkerContext): Promise<PplResults["passkey"]> {
  const started = performance.now();
  const { variant } = request;
  const model = await ctx.models.get(request.modelPath, variant.overrides, variant.ropeFreqs, variant.factorSlot);
  const context = await model.createContext({ contextSize: request.contextSize, threads: request.threads, batchSize: 512, flashAttention: request.flashAttention ?? false });
  try {
    const sequence = context.getSequence();
    const groups: PasskeyTrialResult[][] = [];
    const trialsTotal = request.groups.reduce((n, group) => n + group.trials.length, 0);
    let trialsDone = 0;
    for (const [g, group] of request.groups.entries()) {
      await sequence.clearHistory();
      await feed(sequence, group.prefix as Token[], ctx.signal);
      const results: PasskeyTrialResult[] = [];
      for (const trial of group.trials) {
        ctx.progress({ phase: "passkey", done: trialsDone++, total: trialsTotal, unit: "trials", label: `${variant.label}, group ${g + 1}/${request.groups.length}` });
        const promptTokens = group.prefix.length + trial.suffix.length;
        if (promptTokens + request.maxNewTokens > request.contextSize) {
          throw new Error(`a passkey prompt of ${promptTokens} tokens does not fit a context of ${request.contextSize}`);
        }
        await feed(sequence, trial.suffix.slice(0, -1) as Token[], ctx.signal);
        const [last] = await sequence.controlledEvaluate([[trial.suffix.at(-1) as Token, { generateNext: { probabilities: true } }]]);
        const next = last?.next.probabilities ?? new Map<Token, number>();
        const candidateLogLikelihoods: number[] = [];
        for (const candidate of trial.candidates) {
          candidateLogLikelihoods.push(await continuationLogLikelihood(sequence, next, candidate as Token[], promptTokens));
        }
        const generated = await greedy(sequence, firstKey(next), request.maxNewTokens, (token) => model.isEogToken(token));
        await sequence.eraseContextTokenRanges([{ start: group.prefix.length, end: sequence.nextTokenIndex }]);
        results.push({ generated, answer: model.detokenize(generated as Token[]), candidateLogLikelihoods, promptTokens });
      }
      groups.push(results);
    }
    return { groups, seconds: (performance.now() - started) / 1000 };
  } finally {
    await context.dispose();
  }
}

async function feed(sequence: LlamaContextSequence, tokens: readonly Token[], signal: AbortSignal): Promise<void> {
  for (let start = 0; start < tokens.length; start += chunkTokens) {
    signal.throwIfAborted();
    await sequence.evaluateWithoutGeneratingNewTokens(tokens.slice(start, start + chunkTokens));
  }
}

/** Σ ln p(c_j | prompt, c_<j): the first from the prompt's own distribution, the rest evaluated and then erased. */
async function continuationLogLikelihood(
  sequence: LlamaContextSequence, first: ReadonlyMap<Token, number>, candidate: readonly Token[], promptTokens: number,
): Promise<number> {
  let sum = Math.log(Math.max(first.get(elementAt(candidate, 0)) ?? 0, minProbability));
  if (candidate.length < 2) return sum;
  const input = candidate.slice(0, -1).map((token) => [token, { generateNext: { probabilities: true } }] as const);
  const output = await sequence.controlledEvaluate(input as never);
  // output[j] is the distribution after candidate[j], which scores the token after it.
  for (const [j, token] of candidate.slice(1).entries()) {
    sum += Math.log(Math.max(output[j]?.next.probabilities?.get(token) ?? 0, minProbability));
  }
  await sequence.eraseContextTokenRanges([{ start: promptTokens, end: sequence.nextTokenIndex }]);
  return sum;
}

/** Greedy tokens from `first` on (the prompt's most likely next token), stopping at an end-of-generation token. */
async function greedy(sequence: LlamaContextSequence, first: Token | undefined, max: number, isEnd: (t: Token) => boolean): Promise<number[]> {
  const out: number[] = [];
  let token = first;
  while (token !== undefined && !isEnd(token) && out.length < max) {
    out.push(token);
    if (out.length === max) break;
    const [result] = await sequence.controlledEvaluate([[token, { generateNext: { token: true, options: { temperature: 0 } } }]]);
    token = result?.next.token ?? undefined;
  }
  return out;
}

/** The most likely token (the greedy choice). */
function firstKey(probabilities: ReadonlyMap<Token, number>): Token | undefined {
  let best: Token | undefined;
  let bestP = -1;
  for (const [token, p] of probabilities) {
    if (p > bestP) [best, bestP] = [token, p];
  }
  return best;
}
