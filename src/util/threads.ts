/**
 * The engine's thread count, whatever a setting or flag asks: at most the machine's logical cores. A workspace's
 * `threads: 16` made one answer 45x slower on 2 cores (llama.cpp's threads spin-wait on each other), and 100000 spawned
 * ~3,000 threads before SIGABRT. 0 (or anything that is not a positive whole number) means "choose for me".
 */
import os from "node:os";

export function clampThreads(requested: unknown, cores: number = os.availableParallelism()): number {
  if (typeof requested !== "number" || !Number.isInteger(requested) || requested <= 0) return 0;
  return Math.min(requested, Math.max(1, cores));
}
