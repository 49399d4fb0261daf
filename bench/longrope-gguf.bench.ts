// GGUF patching speed: patchGguf (stream the tensor data through user space, add rope_freqs) against fs.copyFile of
// the same file (the kernel's copy_file_range, the floor for any copy), measured in the same run on a generated
// 512 MiB model. Keys: G1_patch_vs_copy_ratio, G1_patch_mib_per_s, G1_copy_mib_per_s, and G2_patch_rss_growth_mib
// (memory stays bounded by the two copy buffers whatever the model size).
import { copyFile, mkdtemp, rm } from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { buildGguf, GGML_TYPE, gguf, patchGguf } from "../src/longrope/gguf/index";

const json = process.argv.includes("--json");
const runs = 4;

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

async function main(): Promise<void> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "lrq-gguf-bench-"));
  try {
    const src = path.join(dir, "model.gguf");
    const bytes = 4096 * 65536 * 2;
    await buildGguf(src, {
      metadata: [["general.architecture", gguf.string("llama")]],
      tensors: [{ name: "big.weight", dims: [4096, 65536], type: GGML_TYPE.F16, fill: (c, o) => c.fill(o & 0xff) }],
    });
    const patchTimes: number[] = [];
    const copyTimes: number[] = [];
    let rssGrowth = 0;
    const out = path.join(dir, "out.gguf");
    const copy = async () => {
      const t = performance.now();
      await copyFile(src, out);
      copyTimes.push(performance.now() - t);
      await rm(out);
    };
    const patch = async () => {
      const before = process.memoryUsage().rss;
      const t = performance.now();
      await patchGguf(src, out, {
        tensors: { "rope_freqs.weight": new Float32Array(64).fill(2) },
        onProgress: () => { rssGrowth = Math.max(rssGrowth, process.memoryUsage().rss - before); },
      });
      patchTimes.push(performance.now() - t);
      await rm(out);
    };
    // Alternate the order: the second of a pair pays for the first one's page-cache writeback.
    for (let i = 0; i < runs; i++) {
      if (i % 2 === 0) { await copy(); await patch(); } else { await patch(); await copy(); }
    }
    const mib = bytes / 2 ** 20;
    const result = {
      G1_patch_mib_per_s: mib / (median(patchTimes) / 1000),
      G1_copy_mib_per_s: mib / (median(copyTimes) / 1000),
      G1_patch_vs_copy_ratio: median(copyTimes) / median(patchTimes),
      G2_patch_rss_growth_mib: rssGrowth / 2 ** 20,
    };
    if (json) {
      process.stdout.write(JSON.stringify(result) + "\n");
    } else {
      process.stdout.write(`| metric | value |\n|---|---|\n`);
      for (const [k, v] of Object.entries(result)) process.stdout.write(`| ${k} | ${v.toFixed(2)} |\n`);
      process.stdout.write(`(${runs} runs, medians, ${mib} MiB file)\n`);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

void main();
