// Answer quality on a real model (docs/answer-quality.md): needles in haystacks of real source code, packed by our
// packer and answered through the engine's PromptSession.
//   npm run eval:qa -- [--model smollm2|PATH] [--lengths 2000,4000,7000] [--seeds N] [--first-seed N] [--threads N] [--max-tokens N]
//                      [--variants all|a,b,…] [--variant-length N] [--needles all|one] [--no-controls | --only-controls] [--dry-run]
//                      [--flash-attention on|off] [--out FILE] [--json]
//   npm run eval:qa -- --report FILE [--variants …]   prints the tables of a saved --out file
// Without --variants: the engine's defaults at every length, with the controls. With it: each variant against the
// defaults at one length, on the same seeds (paired). Progress and an ETA go to stderr.
import { readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { fetchTestModel, isTestModelName } from "../../src/engine/testModels";
import { EvalModel } from "./evalModel";
import { buildHaystack, loadSourcePool } from "./haystack";
import { makeNeedles, seededRandom } from "./needles";
import { lengthDepthTables, variantTable } from "./report";
import { wilson } from "./score";
import { packHaystack, runControls, runHaystack, type AnswerRecord } from "./trials";
import { VARIANTS, variantsNamed, type Variant } from "./variants";

const root = path.resolve(__dirname, "../..");
const DEPTHS = [0, 0.25, 0.5, 0.75, 1];

const { values } = parseArgs({
  options: {
    model: { type: "string", default: "smollm2" },
    lengths: { type: "string", default: "2000,4000,7000" },
    seeds: { type: "string", default: "4" },
    "first-seed": { type: "string", default: "1" },
    threads: { type: "string", default: "1" },
    "max-tokens": { type: "string", default: "64" },
    variants: { type: "string" },
    "variant-length": { type: "string", default: "2000" },
    needles: { type: "string", default: "all" },
    "flash-attention": { type: "string", default: "on" },
    "no-controls": { type: "boolean", default: false },
    "only-controls": { type: "boolean", default: false },
    "dry-run": { type: "boolean", default: false },
    out: { type: "string" },
    report: { type: "string" },
    json: { type: "boolean", default: false },
  },
});

function wholeNumbers(text: string, flag: string): number[] {
  const numbers = text.split(",").map((s) => Number(s.trim()));
  if (numbers.some((n) => !Number.isInteger(n) || n <= 0)) throw new Error(`${flag} takes whole numbers separated by commas, not "${text}".`);
  return numbers;
}

/** Raw file tokens that make a packed prompt of about `length` tokens (tree, tags, numbers and needles on top). */
function fileTokensFor(length: number): number {
  return Math.round((length - 300) / 1.3);
}

function chosenVariants(): Variant[] {
  if (!values.variants) return [VARIANTS[0]!];
  const list = values.variants === "all" ? VARIANTS.filter((v) => v.name !== "question-first") : variantsNamed(values.variants.split(","));
  const seen = new Set<string>();
  // Variants equal to the defaults (e.g. "lines-5th" while every 5th line is the default) are run once, as "default".
  return [VARIANTS[0]!, ...list].filter((v) => {
    const key = JSON.stringify([v.format, v.style, v.questionFirst ?? false]);
    return !seen.has(key) && !!seen.add(key);
  });
}

async function main(): Promise<void> {
  if (values.report) {
    const saved = JSON.parse(readFileSync(values.report, "utf8")) as { records: AnswerRecord[] };
    process.stdout.write((values.variants ? variantTable(saved.records, "default") : lengthDepthTables(saved.records)) + "\n");
    return;
  }
  const modelPath = isTestModelName(values.model) ? await fetchTestModel(values.model, { log: (l) => process.stderr.write(`${l}\n`) }) : path.resolve(values.model);
  const [seeds] = wholeNumbers(values.seeds, "--seeds");
  const [firstSeed] = wholeNumbers(values["first-seed"], "--first-seed");
  const [threads] = wholeNumbers(values.threads, "--threads");
  const [maxTokens] = wholeNumbers(values["max-tokens"], "--max-tokens");
  const lengths = values.variants ? wholeNumbers(values["variant-length"], "--variant-length") : wholeNumbers(values.lengths, "--lengths");
  const variants = chosenVariants();
  if (values.needles !== "all" && values.needles !== "one") throw new Error(`--needles is "all" or "one", not "${values.needles}".`);
  const needles = values.needles;
  // Flash attention gives the same answers on the CPU and reads a 4k prompt ~30% faster (measured on SmolLM2: 31 vs 23 tok/s).
  const model = await EvalModel.load(modelPath, threads!, values["flash-attention"] !== "off");
  const pool = loadSourcePool(root);
  const tokenCache = new Map<string, number>();
  const tokensOf = (text: string) => tokenCache.get(text) ?? tokenCache.set(text, model.tokens(text)).get(text)!;
  const records: AnswerRecord[] = [];
  const started = performance.now();
  const steps = seeds! * lengths.length * variants.length;
  const saveRecords = () => {
    if (values.out) writeFileSync(values.out, JSON.stringify({ model: path.basename(modelPath), threads, maxTokens, seeds, lengths, needles, records }, null, 1) + "\n");
  };
  let step = 0;
  try {
    for (let seed = firstSeed!; seed < firstSeed! + seeds!; seed++) {
      for (const length of lengths) {
        const random = seededRandom(seed * 100_003 + length);
        const haystack = buildHaystack(pool, random, fileTokensFor(length), makeNeedles(random, DEPTHS.length), DEPTHS, tokensOf);
        for (const variant of variants) {
          const ctx = { model, variant, seed, length, maxTokens: maxTokens! };
          if (values["dry-run"]) {
            const packed = await packHaystack(ctx, haystack, haystack.needles);
            process.stderr.write(`seed ${seed}, ${length}: ${haystack.files.length} files, ${packed.tokens} tokens, needles at slots ${haystack.needles.map((n) => n.slot).join(",")}\n`);
            continue;
          }
          if (!values["only-controls"]) records.push(...(await runHaystack(ctx, haystack, needles)));
          if (!values["no-controls"] && length === lengths[0]) records.push(...(await runControls(ctx, haystack)));
          step++;
          saveRecords(); // after every step, so a run stopped early still leaves its paired results
          const elapsed = (performance.now() - started) / 1000;
          const last = [...records].reverse().find((r) => r.condition === "haystack");
          process.stderr.write(
            `[${step}/${steps}] seed ${seed}, ${length} tokens (packed ${last?.repoTokens ?? "–"}), ${variant.name}: ` +
              `${(elapsed / 60).toFixed(1)} min so far, about ${((elapsed / step) * (steps - step) / 60).toFixed(1)} min left\n`,
          );
        }
      }
    }
  } finally {
    await model.dispose();
  }
  if (values["dry-run"]) return;
  const minutes = (performance.now() - started) / 60_000;
  if (values.json) {
    process.stdout.write(JSON.stringify(summary(records, minutes), null, 2) + "\n");
    return;
  }
  process.stdout.write(`${path.basename(modelPath)}, ${seeds} seeds × ${DEPTHS.length} needles (${needles === "all" ? "all in one prompt" : "one per prompt"}) × 2 questions per length, ${threads} thread(s), ` +
    `answers of at most ${maxTokens} tokens, greedy; ${minutes.toFixed(1)} min\n\n`);
  process.stdout.write(values.variants ? variantTable(records, "default") + "\n" : lengthDepthTables(records) + "\n");
}

function summary(records: readonly AnswerRecord[], minutes: number) {
  const shareOf = (rs: readonly AnswerRecord[], pick: (r: AnswerRecord) => boolean | undefined) => {
    const hits = rs.filter(pick).length;
    return { hits, n: rs.length, ...wilson(hits, rs.length) };
  };
  const groups = new Map<string, AnswerRecord[]>();
  for (const r of records) {
    const key = r.condition === "haystack" ? `${r.variant}/${r.length}` : `${r.variant}/${r.condition}`;
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  return {
    minutes,
    groups: Object.fromEntries(
      [...groups].map(([key, rs]) => [key, {
        literal: shareOf(rs.filter((r) => r.question === "literal"), (r) => r.right),
        file: shareOf(rs.filter((r) => r.question === "file"), (r) => r.right),
        citation: shareOf(rs.filter((r) => r.question === "literal"), (r) => r.citationRight),
      }]),
    ),
  };
}

main().catch((error) => {
  process.stderr.write(`eval:qa: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
