/**
 * Synthetic needles: a small file with one function whose name and returned string exist nowhere else, so a right
 * answer can only come from reading the prompt. Names come from a seeded generator (the same seed gives the same
 * needles for every variant: paired trials).
 */
import { SeededRandom } from "../../src/longrope/search/random";

/** A seeded generator (the LongRoPE search's mulberry32), enough for shuffling files and picking words. */
export function seededRandom(seed: number): () => number {
  const random = new SeededRandom(seed);
  return () => random.next();
}

const VERBS = ["resolve", "compute", "derive", "lookup", "build", "select", "encode", "normalize", "fetch", "describe"];
const ADJECTIVES = ["amber", "brisk", "cobalt", "dusky", "elder", "fallow", "gilded", "hollow", "ivory", "jagged", "lunar", "mossy", "nimble", "ochre", "pewter", "russet", "silent", "tawny", "umber", "velvet"];
const NOUNS = ["falcon", "harbor", "lantern", "meadow", "orchid", "quarry", "ridge", "saddle", "thistle", "willow", "beacon", "cinder", "dune", "ember", "fjord", "glacier", "heron", "isle", "juniper", "kestrel"];
const FILE_WORDS = ["routing", "ledger", "slots", "shelf", "relay", "weights", "tally", "keys", "notes", "stamp", "gauge", "index2", "tokens", "marks", "spool"];

export interface Needle {
  readonly functionName: string;
  /** The string the function returns: two words and four digits, never in any real file. */
  readonly literal: string;
  /** Name of the needle's file (its folder is chosen by the haystack). */
  readonly fileName: string;
  readonly text: string;
  /** 1-based line of the `return` holding the literal: what a right citation points at (± 3 lines). */
  readonly returnLine: number;
}

const pick = <T>(random: () => number, items: readonly T[]) => items[Math.floor(random() * items.length)]!;
const capital = (word: string) => word[0]!.toUpperCase() + word.slice(1);

/** `count` needles with distinct names, literals and file names. */
export function makeNeedles(random: () => number, count: number): Needle[] {
  const needles: Needle[] = [];
  const used = new Set<string>();
  while (needles.length < count) {
    const functionName = `${pick(random, VERBS)}${capital(pick(random, ADJECTIVES))}${capital(pick(random, NOUNS))}`;
    const literal = `${pick(random, ADJECTIVES)}-${pick(random, NOUNS)}-${1000 + Math.floor(random() * 9000)}`;
    const fileName = `${pick(random, FILE_WORDS)}-${pick(random, NOUNS)}.js`;
    if (used.has(functionName) || used.has(literal) || used.has(fileName)) continue;
    [functionName, literal, fileName].forEach((name) => used.add(name));
    const text = [
      `// Settings shared by the ${fileName.replace(/\.js$/, "")} helpers.`,
      "",
      `export function ${functionName}() {`,
      `  return "${literal}";`,
      "}",
      "",
    ].join("\n");
    needles.push({ functionName, literal, fileName, text, returnLine: 4 });
  }
  return needles;
}
