/**
 * Which model file answers a prompt: the configured one when the prompt fits its window, otherwise the smallest
 * LongRoPE-extended copy next to it (written by `longrope-qa longrope extend` or the "Extend model context…" command)
 * whose context holds the prompt. Short repos keep the unstretched model, as the paper intends.
 */
import { findExtendedModel } from "../longrope/extend";

export interface ModelChoice {
  readonly modelPath: string;
  /** Set when an extended copy was chosen, e.g. "LongRoPE ×8 factors, searched on …". */
  readonly extension?: string;
}

/** The largest context the configured model or one of its extended copies offers. */
export async function largestContext(basePath: string, baseContext: number): Promise<number> {
  let best = baseContext;
  for (let found = await findExtendedModel(basePath, best + 1); found; found = await findExtendedModel(basePath, best + 1)) {
    best = found.contextLength;
  }
  return best;
}

export async function chooseModel(basePath: string, baseContext: number, neededTokens: number): Promise<ModelChoice> {
  if (neededTokens <= baseContext) return { modelPath: basePath };
  const extended = await findExtendedModel(basePath, neededTokens);
  return extended ? { modelPath: extended.path, extension: extended.description } : { modelPath: basePath };
}
