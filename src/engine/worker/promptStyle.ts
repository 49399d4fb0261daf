/**
 * How the engine puts the packed repo and the question to the model, and how it samples the answer. The defaults are
 * what the answer-quality eval (bench/answer-quality, docs/answer-quality.md) measured best on SmolLM2-135M-Instruct;
 * the other values are there for that eval to compare.
 */
import type { ChatHistoryItem, ChatWrapper, LlamaModel, Token } from "node-llama-cpp";
import type { ChatTurn } from "../protocol";

export interface PromptStyle {
  /**
   * "model": the GGUF's own Jinja chat template. "library": the node-llama-cpp wrapper it maps to; its ChatML wrapper
   * always starts with BOS, and SmolLM2's BOS *is* `<|im_start|>`, so prompts began `<|im_start|><|im_start|>system`
   * although the tokenizer says add_bos_token=false. Models without a template get the library's choice either way.
   */
  readonly template: "model" | "library";
  /**
   * "system": the packed repo is the system message. "user": it opens the first user message, before the question,
   * and the template's own system prompt (SmolLM2: "You are a helpful AI assistant named SmolLM…") stays.
   */
  readonly repoIn: "system" | "user";
  /**
   * Repeat penalty on the last 64 generated tokens; 1 = none (greedy decoding as is). 1.1 stops SmolLM2's broken-record
   * answers: +8 / −0 paired answers over greedy on 10 seeds at 2k tokens (McNemar p 0.008), answers 3.4 s instead of
   * 8.4 s. 1.3 is too much: it forbids the second "-" of a string like "nimble-meadow-5305" (literals right 40% → 0%).
   */
  readonly repeatPenalty: number;
  /** Which generated tokens the repeat penalty punishes: all, or only those with a letter (digits and punctuation may repeat). */
  readonly penalise: "all" | "words";
  /**
   * DRY ("don't repeat yourself") strength, 0 = off: penalises continuing a token sequence the answer already holds
   * (more than 2 tokens, last 64 generated tokens), so a loop stops while single repeated tokens stay free.
   */
  readonly dry: number;
}

export const DEFAULT_PROMPT_STYLE: PromptStyle = { template: "library", repoIn: "system", repeatPenalty: 1.1, penalise: "all", dry: 0 };

export async function chatWrapperFor(model: LlamaModel, template: PromptStyle["template"]): Promise<ChatWrapper> {
  const { resolveChatWrapper } = await import("node-llama-cpp");
  // The metadata is whatever the file's converter wrote; node-llama-cpp's own code reads tokenizer with ?. too.
  const { tokenizer } = model.fileInfo.metadata as { readonly tokenizer?: { readonly chat_template?: unknown } };
  const hasTemplate = typeof tokenizer?.chat_template === "string";
  if (template === "model" && hasTemplate) return resolveChatWrapper(model, { type: "jinjaTemplate", warningLogs: false });
  return resolveChatWrapper(model);
}

/** Keeps the tokens that contain a letter, remembering each token's answer (the filter runs for every generated token). */
export function wordTokenFilter(model: Pick<LlamaModel, "detokenize">): (tokens: Token[]) => Token[] {
  const isWord = new Map<Token, boolean>();
  const word = (token: Token) => {
    const known = isWord.get(token);
    if (known !== undefined) return known;
    const letter = /\p{L}/u.test(model.detokenize([token]));
    isWord.set(token, letter);
    return letter;
  };
  return (tokens) => tokens.filter(word);
}

/** The chat as the template sees it; in both layouts the repo text is a prefix no question changes. */
export function buildHistory(repoContext: string, turns: readonly ChatTurn[], question: string, repoIn: PromptStyle["repoIn"] = DEFAULT_PROMPT_STYLE.repoIn): ChatHistoryItem[] {
  const history: ChatHistoryItem[] = repoIn === "system" ? [{ type: "system", text: repoContext }] : [];
  const opening = (text: string, index: number) => (repoIn === "user" && index === 0 ? `${repoContext}\n\n${text}` : text);
  turns.forEach((turn, i) => history.push({ type: "user", text: opening(turn.question, i) }, { type: "model", response: [turn.answer] }));
  history.push({ type: "user", text: opening(question, turns.length) }, { type: "model", response: [] });
  return history;
}
