/**
 * `longrope extend`: writes an extended copy of a GGUF model, with given factors or (without --factors) the model's
 * own long factors rescaled to the new ratio.
 */
import { parseArgs } from "node:util";
import { RepoQaError } from "../util/errors";
import { describeExtendedModel, extendModel } from "./extend";
import { readFactorsFile } from "./factorsFile";
import { wholeNumber } from "../util/args";
import { requireModel } from "./commandSupport";

export async function runExtendCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      model: { type: "string" },
      factors: { type: "string" },
      "short-factors": { type: "string" },
      "target-context": { type: "string" },
      "original-context": { type: "string" },
      "attn-factor": { type: "string" },
      out: { type: "string" },
      json: { type: "boolean" },
    },
  });
  if (!values.model || !values.out) {
    throw new RepoQaError("extend needs --model and --out (and --factors for a model that ships no long factors).", "bad-input");
  }
  const targetContext = Number(values["target-context"]);
  if (!(Number.isInteger(targetContext) && targetContext > 0)) {
    throw new RepoQaError("--target-context must be a positive whole number of tokens.", "bad-input");
  }
  const modelPath = requireModel(values.model);
  const long = values.factors ? await readFactorsFile(values.factors) : undefined;
  const short = values["short-factors"] ? await readFactorsFile(values["short-factors"]) : undefined;
  const originalContext = values["original-context"] ? wholeNumber(values["original-context"], "--original-context") : long?.originalContext;
  const controller = new AbortController();
  const onSignal = () => controller.abort();
  process.once("SIGINT", onSignal);
  if (long?.nHat) {
    process.stderr.write(`Note: ${values.factors} was searched with n̂ = ${long.nHat}; the copy runs without it (llama.cpp has no n̂, and on the models measured it did not help: docs/longrope.md).\n`);
  }
  let lastPercent = -1;
  try {
    const sidecar = await extendModel({
      modelPath,
      outPath: values.out,
      longFactors: long?.factors,
      shortFactors: short?.factors,
      targetContext,
      originalContext,
      attnFactor: values["attn-factor"] ? Number(values["attn-factor"]) : undefined,
      method: long?.method,
      source: long?.source,
      signal: controller.signal,
      onProgress: ({ done, total }) => {
        const percent = total > 0 ? Math.floor((done / total) * 100) : 100;
        if (percent !== lastPercent) process.stderr.write(`\rWriting ${values.out}: ${percent}%`);
        lastPercent = percent;
      },
    });
    process.stderr.write("\n");
    process.stdout.write(values.json ? JSON.stringify({ path: values.out, ...sidecar }) + "\n" : `${values.out}: ${describeExtendedModel(sidecar)}, context ${targetContext}\n`);
    return 0;
  } finally {
    process.off("SIGINT", onSignal);
  }
}
