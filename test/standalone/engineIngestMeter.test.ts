// IngestMeter: the worker's ingest progress frames → "ingesting" statuses with tokens per second and an ETA (pure).
import { test } from "node:test";
import assert from "node:assert/strict";
import type { EngineStatus } from "../../src/engine/api";
import { IngestMeter } from "../../src/engine/ingestMeter";
import type { ProgressFrame } from "../../src/engine/protocol";

function frame(done: number, total: number, phase: ProgressFrame["phase"] = "ingest"): ProgressFrame {
  return { type: "progress", id: "r1", phase, done, total, unit: "tokens" };
}

test("the rate counts from the first frame (tokens already cached do not inflate it) and the ETA follows from it", () => {
  let now = 1000;
  const seen: EngineStatus[] = [];
  const meter = new IngestMeter((s) => seen.push(s), () => now);
  meter.update(frame(4000, 10000)); // 4000 reused from the cache: the first frame sets the baseline
  now += 2000;
  meter.update(frame(6000, 10000)); // 2000 tokens in 2 s
  now += 1000;
  meter.update(frame(7000, 10000));
  assert.deepEqual(seen, [
    { state: "ingesting", done: 4000, total: 10000, tokensPerSecond: 0, etaMs: 0 },
    { state: "ingesting", done: 6000, total: 10000, tokensPerSecond: 1000, etaMs: 4000 },
    { state: "ingesting", done: 7000, total: 10000, tokensPerSecond: 1000, etaMs: 3000 },
  ]);
});

test("frames of other phases (download, load) are not ingest progress and are ignored", () => {
  const seen: EngineStatus[] = [];
  const meter = new IngestMeter((s) => seen.push(s), () => 0);
  meter.update(frame(50, 100, "load"));
  meter.update(frame(5, 10, "download"));
  assert.deepEqual(seen, []);
});
