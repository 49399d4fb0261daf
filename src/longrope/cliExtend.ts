/** `longrope extend`: writes an extended copy of a GGUF model with given factors. */
import { parseArgs } from "node:util";
import { RepoQaError } from "../util/errors";
import { describeExtendedModel, extendModel } from "./extend";
import { readFactorsFile } from "./factorsFile";
import { readModelRopeInfo } from "./modelShape";

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
      "relative-to-model": { type: "boolean" },
      json: { type: "boolean" },
    },
  });
  if (!values.model || !values.factors || !values.out) {
    throw new RepoQaError("extend needs --model, --factors and --out.", "bad-input");
  }
  const targetContext = Number(values["target-context"]);
  if (!(Number.isInteger(targetContext) && targetContext > 0)) {
    throw new RepoQaError("--target-context must be a positive whole number of tokens.", "bad-input");
  }
  const long = await readFactorsFile(values.factors);
  const short = values["short-factors"] ? await readFactorsFile(values["short-factors"]) : undefined;
  const info = await readModelRopeInfo(values.model);
  const originalContext = values["original-context"] ? Number(values["original-context"]) : long.originalContext ?? info.originalContext;
  const controller = new AbortController();
  const onSignal = () => controller.abort();
  process.once("SIGINT", onSignal);
  let lastPercent = -1;
  try {
    const sidecar = await extendModel({
      modelPath: values.model,
      outPath: values.out,
      longFactors: long.factors,
      shortFactors: short?.factors,
      targetContext,
      originalContext,
      attnFactor: values["attn-factor"] ? Number(values["attn-factor"]) : undefined,
      relativeTo: values["relative-to-model"] ? "model" : "base",
      method: long.method,
      nHat: long.nHat,
      source: long.source,
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
