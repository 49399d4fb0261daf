/** Parsing of command-line flag values, shared by every `longrope-qa` subcommand. */
import { RepoQaError } from "./errors";

/** A flag that must be a whole number; absent gives `fallback`, or an error naming the flag when there is none. */
export function wholeNumber(value: string | undefined, flag: string, fallback?: number): number {
  const n = optionalWholeNumber(value, flag) ?? fallback;
  if (n === undefined) throw new RepoQaError(`${flag} is required.`, "bad-input");
  return n;
}

export function optionalWholeNumber(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new RepoQaError(`${flag} must be a whole number (got "${value}").`, "bad-input");
  return n;
}
