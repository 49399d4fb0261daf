/** Factor files (`--factors F.json`): a RopeFactorSet-like object with a `factors` array, or a bare array. */
import { readFile } from "node:fs/promises";
import { RepoQaError } from "../util/errors";
import type { RopeFactorSet } from "./factors";

export type FactorsFile = Partial<RopeFactorSet> & { readonly factors: number[]; readonly source?: string };

export async function readFactorsFile(file: string): Promise<FactorsFile> {
  let value: unknown;
  try {
    value = JSON.parse(await readFile(file, "utf8"));
  } catch (e) {
    throw new RepoQaError(`Cannot read the factors file ${file}: it must be JSON with a "factors" array.`, "bad-input", { cause: e });
  }
  const parsed: FactorsFile | undefined = Array.isArray(value)
    ? { factors: value as number[] }
    : (value as FactorsFile | null)?.factors !== undefined ? (value as FactorsFile) : undefined;
  if (!parsed || !Array.isArray(parsed.factors) || !parsed.factors.every((f) => typeof f === "number" && Number.isFinite(f) && f > 0)) {
    throw new RepoQaError(`The factors file ${file} must hold a "factors" array of positive numbers.`, "bad-input");
  }
  return parsed;
}
