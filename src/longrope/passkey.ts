/**
 * Passkey retrieval with the LongRoPE paper's prompt (microsoft/LongRoPE evaluation/passkey.py, from landmark
 * attention): a task description, filler ("The grass is green. …"), "The pass key is K. Remember it. K is the pass
 * key.", more filler, "What is the pass key? The pass key is". A trial passes when the first integer of the greedy
 * answer (10 tokens) equals K. We also score K against 9 decoy numbers by log-likelihood as the continuation, which
 * still ranks methods where every greedy answer fails.
 *
 * Keys are 5-digit, at 5 depths (the centres of five equal bins: 10%, 30%, …, 90% of the filler before the key), and
 * every trial is fixed by (seed, length, depth, index), so every method answers the same prompts (paired trials).
 */
import { elementAt } from "../util/elementAt";
import { RepoQaError } from "../util/errors";
import type { PasskeyTrial, PplProgress, RopeVariant } from "./pplProtocol";
import type { PplWorker } from "./pplWorker";
import { SeededRandom } from "./search/random";

const taskDescription = "There is an important info hidden inside a lot of irrelevant text. Find it and memorize them. I will quiz you about the important information there.";
const garbage = "The grass is green. The sky is blue. The sun is yellow. Here we go. There and back again.";
const finalQuestion = "What is the pass key? The pass key is";
export const passkeyDepths: readonly number[] = [0.1, 0.3, 0.5, 0.7, 0.9];
/** The paper's max_new_tokens. */
const answerTokens = 10;
const decoys = 9;

export interface PasskeyPlan {
  readonly length: number;
  readonly seed: number;
  /** Trials per depth; the cell has `depths × trialsPerDepth` trials. */
  readonly trialsPerDepth: number;
}

export interface PasskeyTrialOutcome {
  readonly depth: number;
  readonly key: number;
  readonly answer: string;
  readonly passed: boolean;
  /** ln p(" K") − max over decoys of ln p(" decoy"): positive when the true key is the most likely of the 10. */
  readonly margin: number;
  readonly promptTokens: number;
}

export interface PasskeyCell {
  readonly trials: readonly PasskeyTrialOutcome[];
  /** Fraction of trials whose first answered integer is K. */
  readonly accuracy: number;
  /** Fraction of trials where K out-scores all 9 decoys (chance: 10%). */
  readonly rankedFirst: number;
  readonly seconds: number;
}

/** The filler repeated, cut to `chars` characters (as the paper's garbage_inf[:n]). */
function filler(chars: number): string {
  const repeated = Array.from({ length: Math.ceil(chars / (garbage.length + 1)) + 1 }, () => garbage).join(" ");
  return repeated.slice(0, chars);
}

function keysFor(plan: PasskeyPlan, depthIndex: number, trial: number): { key: number; decoys: number[] } {
  const rng = new SeededRandom(plan.seed * 1_000_003 + plan.length * 101 + depthIndex * 13 + trial);
  const draw = () => 10_000 + rng.int(90_000);
  const key = draw();
  const others = new Set<number>();
  while (others.size < decoys) {
    const d = draw();
    if (d !== key) others.add(d);
  }
  return { key, decoys: [...others] };
}

/** Runs one cell (one method at one length) and scores it. */
export async function runPasskeyCell(
  worker: PplWorker, modelPath: string, variant: RopeVariant, plan: PasskeyPlan,
  options: { readonly threads: number; readonly flashAttention?: boolean; readonly signal?: AbortSignal; readonly onProgress?: (progress: PplProgress) => void },
): Promise<PasskeyCell> {
  const tokenize = async (text: string) => (await worker.request("tokenize", { modelPath, text }, { signal: options.signal })).tokens;
  const { bos, addBos } = await worker.request("tokenize", { modelPath, text: "" }, { signal: options.signal });
  const garbageChars = await fillerChars(tokenize, plan.length - answerTokens - 8);
  if (garbageChars <= 0) {
    throw new RepoQaError(`A passkey prompt does not fit ${plan.length} tokens with this tokenizer; test longer lengths.`, "bad-input");
  }
  const groups: { prefix: number[]; trials: PasskeyTrial[]; keys: number[] }[] = [];
  for (const [d, depth] of passkeyDepths.entries()) {
    const before = Math.round(garbageChars * depth);
    const prefix = [...(addBos === false ? [] : [bos]), ...(await tokenize(`${taskDescription}\n${filler(before)}\n`))];
    const trials: PasskeyTrial[] = [];
    const keys: number[] = [];
    for (let t = 0; t < plan.trialsPerDepth; t++) {
      const { key, decoys: wrong } = keysFor(plan, d, t);
      const suffix = await tokenize(`The pass key is ${key}. Remember it. ${key} is the pass key.\n${filler(garbageChars - before)}\n${finalQuestion}`);
      const candidates = await Promise.all([key, ...wrong].map((k) => tokenize(` ${k}`)));
      trials.push({ suffix, candidates });
      keys.push(key);
    }
    groups.push({ prefix, trials, keys });
  }
  const result = await worker.request("passkey", {
    modelPath, variant, contextSize: plan.length, maxNewTokens: answerTokens, threads: options.threads, flashAttention: options.flashAttention,
    groups: groups.map(({ prefix, trials }) => ({ prefix, trials })),
  }, { signal: options.signal, onProgress: options.onProgress });
  const trials: PasskeyTrialOutcome[] = [];
  for (const [d, group] of groups.entries()) {
    const depth = elementAt(passkeyDepths, d);
    const depthResults = elementAt(result.groups, d);
    for (const [t, key] of group.keys.entries()) {
      const r = elementAt(depthResults, t);
      const answer = r.answer;
      // Candidates are [key, ...decoys] (above), so the first log-likelihood is the key's own.
      const own = elementAt(r.candidateLogLikelihoods, 0);
      const others = r.candidateLogLikelihoods.slice(1);
      trials.push({
        depth, key, answer, passed: firstInteger(answer) === key,
        margin: own - Math.max(...others), promptTokens: r.promptTokens,
      });
    }
  }
  return {
    trials,
    accuracy: trials.filter((t) => t.passed).length / trials.length,
    rankedFirst: trials.filter((t) => t.margin > 0).length / trials.length,
    seconds: result.seconds,
  };
}

/** The paper's check: the first run of digits in the answer, as a number. */
export function firstInteger(text: string): number | undefined {
  const m = /\d+/.exec(text);
  return m ? Number(m[0]) : undefined;
}

/** Characters of filler that make the whole prompt about `promptTokens` tokens (the filler tokenizes regularly). */
async function fillerChars(tokenize: (text: string) => Promise<number[]>, promptTokens: number): Promise<number> {
  const overhead = (await tokenize(`${taskDescription}\n\nThe pass key is 12345. Remember it. 12345 is the pass key.\n\n${finalQuestion}`)).length;
  const sample = filler(20_000);
  const perToken = sample.length / (await tokenize(sample)).length;
  // Two separately tokenized halves cost up to a couple of tokens more than one piece; keep 4 in hand.
  return Math.max(0, Math.floor((promptTokens - overhead - 4) * perToken));
}
