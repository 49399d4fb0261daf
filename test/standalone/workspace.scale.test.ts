/** 100,000 tiny files: the pack finishes in reasonable time with bounded memory. */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, it } from "node:test";
import { packWorkspace } from "../../src/workspace/index";
import { useTempCacheHome } from "../support/tempCache";

useTempCacheHome();

// RAM-backed when the machine has one: this measures the packer, not a disk shared with other jobs.
const tempBase = existsSync("/dev/shm") ? "/dev/shm" : os.tmpdir();
const FILES = 100_000;
const PER_DIR = 500;

it(`packs ${FILES.toLocaleString("en-US")} tiny files with bounded memory`, { timeout: 600_000 }, async (t) => {
  const root = mkdtempSync(path.join(tempBase, "lrq-100k-"));
  after(() => spawnSync("rm", ["-rf", root]));
  for (let d = 0; d < FILES / PER_DIR; d++) {
    const dir = path.join(root, `pkg${d}`, "src");
    mkdirSync(dir, { recursive: true });
    for (let i = 0; i < PER_DIR; i++) writeFileSync(path.join(dir, `m${i}.ts`), `export const v${i} = ${d};\n`);
  }
  global.gc?.();
  const heapBefore = process.memoryUsage().heapUsed;
  let peakHeap = heapBefore;
  let progressCalls = 0;
  const started = Date.now();
  const result = await packWorkspace({
    roots: [{ name: "big", path: root }],
    onProgress: () => {
      progressCalls++;
      peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
    },
  });
  const seconds = (Date.now() - started) / 1000;
  peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
  const growthMb = (peakHeap - heapBefore) / 2 ** 20;
  t.diagnostic(`${seconds.toFixed(1)} s, peak heap growth ${growthMb.toFixed(0)} MB, prompt ${(result.text.length / 2 ** 20).toFixed(1)} MB, ${progressCalls} progress calls`);
  assert.equal(result.included.length, FILES);
  assert.equal(result.excluded.length, 0);
  assert.ok(result.text.includes('<file path="pkg199/src/m499.ts">\nexport const v499 = 199;\n</file>'));
  // The prompt itself is ~7 MB of text; what the packer holds per file is a few hundred bytes.
  assert.ok(growthMb < 600, `heap grew by ${growthMb.toFixed(0)} MB`);
  assert.ok(progressCalls > 3 && progressCalls < 5000, `${progressCalls} progress calls (throttled)`);
});
