/**
 * A conversation never fails for its own length. When the repo, the earlier turns, the question and the answer
 * reserve do not fit the model's window: the oldest turns go first, then the answer reserve shrinks (to a floor),
 * and only what is still missing is taken from the repo (the caller re-packs with a smaller budget). The repo prefix
 * is kept as long as possible because it is the part the KV cache already holds.
 */
import type { ChatTurn } from "./protocol";

/**
 * Chat-template tokens around the messages, measured with `AskResult.promptTokens` against the parts tokenized
 * alone: stories260K (no template: node-llama-cpp's general wrapper) 36 fixed + about 9 per message, SmolLM2 (ChatML)
 * 16 + about 6. The estimate below stays above both, so the worker's own check never fires after this fit.
 */
export const templateTokens = { fixed: 48, perMessage: 12 } as const;
/** The worker keeps this many tokens free beyond prompt + answer (promptSession.ts `contextMargin`). */
const workerMargin = 16;
/** The answer reserve never shrinks below this (or below what was asked for, if that is less). */
export const minAnswerTokens = 256;

export interface ConversationSize {
  readonly contextSize: number;
  readonly repoTokens: number;
  readonly questionTokens: number;
  /** Tokens of each earlier turn (question + answer), oldest first. */
  readonly turnTokens: readonly number[];
  /** The answer reserve asked for (longropeQa.maxAnswerTokens). */
  readonly answerTokens: number;
}

export interface ConversationPlan {
  /** Index of the oldest turn kept; `turnTokens.length` when none is. */
  readonly firstTurn: number;
  readonly answerTokens: number;
  /** Tokens the repo must give up (0 when the rest fits around it). */
  readonly repoShortfall: number;
}

export function planConversation(size: ConversationSize): ConversationPlan {
  const fixed = size.repoTokens + templateTokens.fixed + workerMargin + size.questionTokens + 2 * templateTokens.perMessage;
  const turnCost = size.turnTokens.map((t) => t + 2 * templateTokens.perMessage);
  let historyTokens = turnCost.reduce((a, b) => a + b, 0);
  let firstTurn = 0;
  while (firstTurn < turnCost.length && fixed + historyTokens + size.answerTokens > size.contextSize) {
    historyTokens -= turnCost[firstTurn]!;
    firstTurn++;
  }
  const room = size.contextSize - fixed - historyTokens;
  if (room >= size.answerTokens) return { firstTurn, answerTokens: size.answerTokens, repoShortfall: 0 };
  const floor = Math.min(size.answerTokens, minAnswerTokens);
  if (room >= floor) return { firstTurn, answerTokens: room, repoShortfall: 0 };
  return { firstTurn, answerTokens: floor, repoShortfall: floor - room };
}

export interface FittedConversation extends ConversationPlan {
  readonly history: readonly ChatTurn[];
  readonly droppedTurns: number;
}

/** Counts the question and the turns with the model's tokenizer, then plans. */
export async function fitConversation(
  size: Omit<ConversationSize, "questionTokens" | "turnTokens"> & { readonly question: string; readonly history: readonly ChatTurn[] },
  countTokens: (texts: readonly string[]) => Promise<readonly number[]>,
): Promise<FittedConversation> {
  const counts = await countTokens([size.question, ...size.history.flatMap((t) => [t.question, t.answer])]);
  const turnTokens = size.history.map((_, i) => (counts[1 + 2 * i] ?? 0) + (counts[2 + 2 * i] ?? 0));
  const plan = planConversation({ ...size, questionTokens: counts[0] ?? 0, turnTokens });
  return { ...plan, history: size.history.slice(plan.firstTurn), droppedTurns: plan.firstTurn };
}
