/** The prompt and answer variants the eval compares, each one change away from the engine's defaults. */
import { DEFAULT_FORMAT, type PromptFormat } from "../../src/workspace/format";
import { DEFAULT_PROMPT_STYLE, type PromptStyle } from "../../src/engine/worker/promptStyle";

export interface Variant {
  readonly name: string;
  readonly what: string;
  readonly format: PromptFormat;
  readonly style: PromptStyle;
  /**
   * The question also goes before the packed files. The repo prefix then depends on the question, so every question
   * reads the whole repo again: measured for the comparison, never a candidate default at that cost.
   */
  readonly questionFirst?: boolean;
}

const base = { format: DEFAULT_FORMAT, style: DEFAULT_PROMPT_STYLE };
const withFormat = (format: Partial<PromptFormat>) => ({ ...DEFAULT_FORMAT, ...format });
const withStyle = (style: Partial<PromptStyle>) => ({ ...DEFAULT_PROMPT_STYLE, ...style });

/** In an order where neighbours share their prompt (the answer settings), so the cached repo serves both. */
export const VARIANTS: readonly Variant[] = [
  { name: "default", what: "the engine's defaults", ...base },
  { name: "penalty-1.1", what: "repeat penalty 1.1 on the last 64 generated tokens", ...base, style: withStyle({ repeatPenalty: 1.1, penalise: "all" }) },
  { name: "penalty-1.3", what: "repeat penalty 1.3 on the last 64 generated tokens", ...base, style: withStyle({ repeatPenalty: 1.3, penalise: "all" }) },
  { name: "penalty-1.1-words", what: "repeat penalty 1.1 on generated tokens with a letter (digits, punctuation free)", ...base, style: withStyle({ repeatPenalty: 1.1, penalise: "words" }) },
  { name: "greedy", what: "no repeat penalty", ...base, style: withStyle({ repeatPenalty: 1, dry: 0 }) },
  { name: "dry-0.8", what: "DRY 0.8 (repeated sequences only) instead of the repeat penalty", ...base, style: withStyle({ repeatPenalty: 1, dry: 0.8 }) },
  { name: "lines-every", what: "every line numbered", ...base, format: withFormat({ lineNumberEvery: 1 }) },
  { name: "lines-5th", what: "every 5th line numbered", ...base, format: withFormat({ lineNumberEvery: 5 }) },
  { name: "lines-none", what: "no line numbers", ...base, format: withFormat({ lineNumberEvery: 0 }) },
  { name: "instruction-after", what: "instruction after the files", ...base, format: withFormat({ instruction: "after" }) },
  { name: "template-model", what: "the GGUF's own chat template (one BOS)", ...base, style: withStyle({ template: "model" }) },
  { name: "template-library", what: "node-llama-cpp's ChatML wrapper (two BOS)", ...base, style: withStyle({ template: "library" }) },
  { name: "repo-in-user", what: "repo in the first user message, the model's own system prompt", ...base, style: withStyle({ template: "model", repoIn: "user" }) },
  { name: "question-first", what: "question before the files too (no repo cache)", ...base, questionFirst: true },
];

export function variantsNamed(names: readonly string[]): Variant[] {
  return names.map((name) => {
    const variant = VARIANTS.find((v) => v.name === name);
    if (!variant) throw new Error(`Unknown variant "${name}"; known: ${VARIANTS.map((v) => v.name).join(", ")}.`);
    return variant;
  });
}
