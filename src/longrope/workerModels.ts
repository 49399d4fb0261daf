/**
 * The models of one worker, by RoPE variant: the GGUF as it is (with metadata overrides) or a temporary copy carrying
 * per-pair factors in `rope_freqs.weight`. A search tries each candidate once, so only the few most recent are kept;
 * evicting one disposes the model and deletes its copy.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { rm } from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import type { Llama, LlamaModel } from "node-llama-cpp";
import { elementAt } from "../util/elementAt";
import { metadataString, patchGguf, readGgufHeader } from "./gguf/index";

interface Entry {
  readonly key: string;
  readonly model: Promise<LlamaModel>;
  readonly copy?: string;
}

const keep = 3;

export class VariantModels {
  private entries: Entry[] = [];
  private copies = 0;
  private readonly dir = mkdtempSync(path.join(os.tmpdir(), "longrope-variants-"));

  constructor(private readonly llama: Llama) {
    process.once("exit", () => rmSync(this.dir, { recursive: true, force: true }));
  }

  /** The model with `ropeFreqs` (if any) in a temporary copy and `overrides` applied at load time. */
  async get(
    modelPath: string, overrides: Readonly<Record<string, number | string>> = {}, ropeFreqs?: readonly number[], slot: "long" | "short" = "long",
  ): Promise<LlamaModel> {
    const key = JSON.stringify([modelPath, overrides, ropeFreqs ?? null, slot]);
    const found = this.entries.find((e) => e.key === key);
    if (found) {
      this.entries = [found, ...this.entries.filter((e) => e !== found)];
      return found.model;
    }
    const variant = ropeFreqs ? { copy: path.join(this.dir, `variant-${this.copies++}.gguf`), freqs: ropeFreqs } : undefined;
    const copy = variant?.copy;
    const model = (async () => {
      if (variant) await patchGguf(modelPath, variant.copy, { tensors: await factorTensors(modelPath, Float32Array.from(variant.freqs), slot) });
      return this.llama.loadModel({ modelPath: copy ?? modelPath, gpuLayers: "auto", metadataOverrides: nest(overrides) });
    })();
    const entry: Entry = { key, model, copy };
    this.entries.unshift(entry);
    while (this.entries.length > keep) {
      const oldest = this.entries.pop();
      if (oldest) await this.evict(oldest);
    }
    try {
      return await model;
    } catch (error) {
      this.entries = this.entries.filter((e) => e !== entry);
      if (copy) await rm(copy, { force: true });
      throw error;
    }
  }

  async dispose(): Promise<void> {
    const all = this.entries;
    this.entries = [];
    for (const entry of all) await this.evict(entry);
    await rm(this.dir, { recursive: true, force: true });
  }

  private async evict(entry: Entry): Promise<void> {
    await entry.model.then((m) => m.dispose(), () => undefined);
    if (entry.copy) await rm(entry.copy, { force: true });
  }
}

/**
 * llama reads per-pair factors from `rope_freqs`; phi3 (LongRoPE models) reads `rope_factors_long` / `_short` and
 * picks one by context size (long beyond the original window), so a candidate replaces the set of its slot and the
 * model's other set stays as shipped. A model that has only one of the two gets the candidate in both.
 */
async function factorTensors(modelPath: string, factors: Float32Array, slot: "long" | "short"): Promise<Record<string, Float32Array>> {
  const header = await readGgufHeader(modelPath);
  const has = (name: string) => header.tensors.some((t) => t.name === name);
  const phi3Style = metadataString(header, "general.architecture") === "phi3" || has("rope_factors_long.weight");
  if (!phi3Style) {
    if (slot === "short") throw new Error("short factors need a model with long/short factor sets (phi3)");
    return { "rope_freqs.weight": factors };
  }
  if (!has("rope_factors_long.weight") || !has("rope_factors_short.weight")) {
    return { "rope_factors_long.weight": factors, "rope_factors_short.weight": factors };
  }
  return { [`rope_factors_${slot}.weight`]: factors };
}

/** `{"llama.rope.freq_base": 4e4}` → `{llama: {rope: {freq_base: 4e4}}}` (node-llama-cpp's override shape). */
export function nest(flat: Readonly<Record<string, number | string>>): Record<string, unknown> {
  const root: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(flat)) {
    const parts = key.split(".");
    let node = root;
    for (const part of parts.slice(0, -1)) node = (node[part] ??= {}) as Record<string, unknown>;
    node[elementAt(parts, parts.length - 1)] = value;
  }
  return root;
}
