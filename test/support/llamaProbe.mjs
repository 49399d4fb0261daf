// Child process for tests that need llama.cpp: loads one model, reports the summed negative log-likelihood of a
// token sequence and optionally a few greedy tokens, as one JSON line on stdout. A native crash ends only this process.
// Usage: node test/support/llamaProbe.mjs '{"modelPath", "contextSize", "text" | "tokens", "scoreFrom"? | "scoreLast"?,
//   "generate"?, "metadataOverrides"?, "threads"?}'. Only positions ≥ scoreFrom are scored (full-vocabulary
//   probabilities are costly for 32k-token vocabularies).
import { getLlama, LlamaLogLevel } from "node-llama-cpp";

const o = JSON.parse(process.argv[2]);
const llama = await getLlama({ build: "never", gpu: false, logLevel: LlamaLogLevel.error });
const model = await llama.loadModel({ modelPath: o.modelPath, metadataOverrides: o.metadataOverrides, gpuLayers: 0 });
const context = await model.createContext({ contextSize: o.contextSize, threads: o.threads ?? 1, batchSize: o.batchSize ?? 512 });
const sequence = context.getSequence();
const tokens = o.tokens ?? model.tokenize(o.text, true);
const scoreFrom = o.scoreLast ? tokens.length - 1 - o.scoreLast : (o.scoreFrom ?? 0);
const input = tokens.slice(0, -1).map((t, i) =>
  i >= scoreFrom ? [t, { generateNext: { probabilities: true } }] : t);
const out = await sequence.controlledEvaluate(input);
let nll = 0;
let scored = 0;
for (let i = 0; i < input.length; i++) {
  const probabilities = out[i]?.next.probabilities;
  if (!probabilities) continue;
  nll -= Math.log(probabilities.get(tokens[i + 1]) ?? 1e-30);
  scored++;
}
let generated = [];
if (o.generate) {
  const last = tokens.at(-1);
  for await (const t of sequence.evaluate([last], { temperature: 0 })) {
    generated.push(t);
    if (generated.length >= o.generate) break;
  }
}
process.stdout.write("\n@@probe " + JSON.stringify({
  nll, scored, tokenCount: tokens.length, generated, generatedText: model.detokenize(generated),
  trainContextSize: model.trainContextSize, contextSize: context.contextSize,
}) + "\n");
await context.dispose();
await model.dispose();
await llama.dispose();
