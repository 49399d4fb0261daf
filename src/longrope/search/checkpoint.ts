/**
 * A search checkpoint: the settings that define the run and every fitness measured so far. Resuming replays the
 * seeded search with these fitnesses (no model runs) and continues from the first unmeasured candidate.
 */
import { readFile } from "node:fs/promises";
import { writeTextAtomically } from "../../util/atomicFile";
import { RepoQaError } from "../../util/errors";
import { candidateKey, type Candidate } from "./candidate";
import type { ScoredCandidate } from "./evolution";

export interface CheckpointFile {
  readonly kind: "longrope-qa.search-checkpoint";
  readonly version: 1;
  /** Everything that must match for the fitnesses to mean the same thing (model, scale, samples, seed, …). */
  readonly settings: Readonly<Record<string, string | number | boolean>>;
  readonly elapsedMs: number;
  readonly evaluations: readonly { readonly factors: readonly number[]; readonly nHat: number; readonly fitness: number | null }[];
}

export class SearchCheckpoint {
  private readonly evaluations: CheckpointFile["evaluations"][number][] = [];
  private elapsedMs = 0;

  private constructor(readonly path: string, readonly settings: CheckpointFile["settings"]) {}

  /** Opens `path` if it exists (its settings must equal `settings`), or starts an empty checkpoint. */
  static async open(path: string, settings: CheckpointFile["settings"]): Promise<SearchCheckpoint> {
    const checkpoint = new SearchCheckpoint(path, settings);
    let text: string;
    try {
      text = await readFile(path, "utf8");
    } catch {
      return checkpoint;
    }
    // Any JSON file can sit at --checkpoint: only its kind and version make it one of ours.
    const parsed = JSON.parse(text) as { readonly kind?: unknown; readonly version?: unknown };
    if (parsed.kind !== "longrope-qa.search-checkpoint" || parsed.version !== 1) {
      throw new RepoQaError(`${path} is not a LongRoPE search checkpoint; pass another --checkpoint path.`, "bad-input");
    }
    const file = parsed as CheckpointFile;
    const differs = Object.keys({ ...settings, ...file.settings }).filter((k) => settings[k] !== file.settings[k]);
    if (differs.length > 0) {
      throw new RepoQaError(`The checkpoint ${path} belongs to another search (${differs.join(", ")} differ); delete it or pass another --checkpoint path.`, "bad-input");
    }
    checkpoint.evaluations.push(...file.evaluations);
    checkpoint.elapsedMs = file.elapsedMs;
    return checkpoint;
  }

  get elapsed(): number {
    return this.elapsedMs;
  }

  get count(): number {
    return this.evaluations.length;
  }

  /** Fitness by candidate key (unusable candidates are stored as null and read back as Infinity). */
  known(): Map<string, number> {
    return new Map(this.evaluations.map((e) => [candidateKey(e as Candidate), e.fitness ?? Infinity]));
  }

  /** Records one measured candidate and rewrites the file atomically. */
  async record(candidate: ScoredCandidate, elapsedMs: number): Promise<void> {
    const key = candidateKey(candidate);
    if (!this.evaluations.some((e) => candidateKey(e) === key)) {
      this.evaluations.push({ factors: candidate.factors, nHat: candidate.nHat, fitness: Number.isFinite(candidate.fitness) ? candidate.fitness : null });
    }
    this.elapsedMs = elapsedMs;
    const file: CheckpointFile = { kind: "longrope-qa.search-checkpoint", version: 1, settings: this.settings, elapsedMs, evaluations: this.evaluations };
    await writeTextAtomically(this.path, JSON.stringify(file, null, 1));
  }
}
