/**
 * A tokenizer that remembers the tokens of its last few long texts. Chat templates put the system message between
 * special tokens, so with it the packed repo is tokenized once per repo text, not again for every question and probe.
 */
import type { Token, Tokenizer } from "node-llama-cpp";
import { makeRoom } from "../../util/makeRoom";

const longText = 4096;
const rememberedTexts = 4;

export function rememberLongTexts(tokenizer: Tokenizer): Tokenizer {
  const memory = new Map<string, Token[]>();
  const tokenize = ((text: string, specialTokens?: boolean | "builtin", options?: "trimLeadingSpace") => {
    if (text.length < longText || specialTokens !== false) return tokenizer(text, specialTokens as boolean, options);
    const key = `${options ?? ""}\0${text}`;
    let tokens = memory.get(key);
    if (tokens === undefined) {
      tokens = tokenizer(text, false, options);
      makeRoom(memory, rememberedTexts);
    } else {
      memory.delete(key);
    }
    memory.set(key, tokens);
    return tokens.slice();
  }) as Tokenizer;
  return Object.assign(tokenize, {
    detokenize: tokenizer.detokenize,
    isSpecialToken: (token: Token) => tokenizer.isSpecialToken(token),
    isEogToken: (token: Token) => tokenizer.isEogToken(token),
  });
}
