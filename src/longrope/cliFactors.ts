/** `longrope factors`: prints one λ per RoPE pair for a method, a scale and a model. */
import { parseArgs } from "node:util";
import { RepoQaError } from "../util/errors";
import { baselineFactorSet, type RopeFactorSet, type RopeMethod } from "./factors";
import { readFactorsFile } from "./factorsFile";
import { readModelRopeInfo } from "./modelShape";
import { requireModel } from "./commandSupport";

const methods: readonly RopeMethod[] = ["pi", "ntk", "yarn", "longrope"];

export async function runFactorsCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      method: { type: "string" },
      scale: { type: "string" },
      model: { type: "string" },
      "original-context": { type: "string" },
      factors: { type: "string" },
      json: { type: "boolean" },
    },
  });
  const method = values.method as RopeMethod;
  if (!methods.includes(method)) throw new RepoQaError(`--method must be one of ${methods.join(", ")}.`, "bad-input");
  const scale = Number(values.scale);
  if (!(scale >= 1)) throw new RepoQaError("--scale must be a number ≥ 1 (target context ÷ original context).", "bad-input");
  const info = await readModelRopeInfo(requireModel(values.model));
  const originalContext = values["original-context"] ? Number(values["original-context"]) : info.originalContext;
  if (!(Number.isInteger(originalContext) && originalContext > 0)) {
    throw new RepoQaError("--original-context must be a positive whole number of tokens.", "bad-input");
  }
  let set: RopeFactorSet = baselineFactorSet(method, scale, { ...info, originalContext });
  if (method === "longrope" && values.factors) {
    const file = await readFactorsFile(values.factors);
    if (file.factors.length !== set.factors.length) {
      throw new RepoQaError(`${values.factors} has ${file.factors.length} factors; this model has ${set.factors.length} RoPE pairs.`, "bad-input");
    }
    set = { ...set, factors: file.factors, nHat: file.nHat ?? set.nHat, attnFactor: file.attnFactor ?? set.attnFactor };
  }
  if (values.json) {
    process.stdout.write(JSON.stringify(set) + "\n");
  } else {
    process.stdout.write(`${method} ×${scale} (L_orig ${originalContext}, attention factor ${set.attnFactor.toFixed(4)})\n`);
    set.factors.forEach((f, i) => process.stdout.write(`  pair ${String(i).padStart(3)}  λ = ${f.toFixed(6)}\n`));
  }
  return 0;
}
