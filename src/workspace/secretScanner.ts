/**
 * Finds secrets with secretlint's recommended preset and ./secretRules. A cheap pre-filter (./secretPrefilter) picks
 * the files either can flag at all; only those are scanned. secretlint sets up every rule on each `lintSource` call
 * (~0.1 ms and much garbage per call), so small ordinary files are scanned together: their texts joined by a
 * separator no secret pattern crosses, the findings mapped back to each file. Files whose name or extension a rule
 * looks at (package.json, .npmrc, .json, .p12), files with `secretlint-disable` comments (which would reach into the
 * next file) and large files are scanned alone.
 *
 * secretlint's profiler marks every lint on the process-wide `performance` timeline and keeps an observer that scans
 * all earlier marks on each new one (quadratic: ~12 s extra for 20,000 files). The bundles replace that module with
 * ./secretlintProfilerStub (esbuild alias), so nothing in the shared extension host is patched; under tsx (tests) the
 * real profiler runs, on the few files the pre-filter lets through.
 */
import * as path from "node:path";
import type { SecretLintCoreConfig } from "@secretlint/types";
import { ownRulesMayFlag, presetMayFlag } from "./secretPrefilter";
import { ownSecretFindings } from "./secretRules";
import { contentHash } from "./tokens";

/**
 * Identifies the rules: findings cached on disk under another version are stale. Bump the suffix when ./secretRules,
 * ./secretPrefilter or the way findings are located changes; the preset's version is checked by a unit test.
 */
export const SECRET_RULES_VERSION = "secretlint-preset-recommend@12.0.0+lrq.2";

export interface SecretRange {
  readonly start: number;
  readonly end: number;
  readonly rule: string;
}

export interface ScannedText {
  readonly path: string;
  readonly absolutePath: string;
  readonly text: string;
}

interface LintMessage {
  readonly messageId: string;
  readonly range: readonly [number, number];
  readonly data?: Readonly<Record<string, unknown>>;
}

interface ScanUnit {
  readonly members: number[];
  readonly offsets: number[];
  content: string;
}

const SEPARATOR = "\n\u0000\u0000\n";
const UNIT_CHARS = 256 * 1024;
const SOLO_CHARS = 64 * 1024;
const SLICE_MS = 8;
const SOLO_NAMES = /(^|\/)(package\.json|package-lock\.json|\.npmrc)$|\.(json|p12)$/i;

/** Findings by content hash, across packs: a re-pack (every question re-packs) rescans only changed files. */
const findingsCache = new Map<string, SecretRange[]>();
const MAX_CACHED = 200_000;

export function clearSecretCache(): void {
  findingsCache.clear();
}

export interface ScanOptions {
  /** Default: true. False scans every file with every rule (the pre-filter's equivalence test). */
  readonly prefilter?: boolean;
}

/** Findings per file (same order as `files`), or undefined when the signal aborted. */
export async function scanForSecrets(
  files: readonly ScannedText[],
  signal?: AbortSignal,
  onUnit?: () => void,
  options: ScanOptions = {},
): Promise<SecretRange[][] | undefined> {
  const hashes = files.map((f) => contentHash(f.text));
  const useCache = options.prefilter !== false;
  const cached = hashes.map((h) => (useCache ? findingsCache.get(h) : undefined));
  const missing = files.flatMap((f, i) => (cached[i] ? [] : [f]));
  const fresh = await scanUncached(missing, signal, onUnit, options.prefilter !== false);
  if (!fresh) return undefined;
  let next = 0;
  return files.map((_, i) => {
    if (cached[i]) return cached[i]!;
    const found = fresh[next++]!;
    if (findingsCache.size >= MAX_CACHED) findingsCache.delete(findingsCache.keys().next().value!);
    if (useCache) findingsCache.set(hashes[i]!, found);
    return found;
  });
}

async function scanUncached(files: readonly ScannedText[], signal: AbortSignal | undefined, onUnit: (() => void) | undefined, prefilter: boolean): Promise<SecretRange[][] | undefined> {
  const findings: SecretRange[][] = [];
  const forPreset: number[] = [];
  // The cheap pass runs over every file (~20 ms per MB): in slices, so the extension host stays responsive.
  let sliceStart = Date.now();
  for (const [i, file] of files.entries()) {
    if (Date.now() - sliceStart >= SLICE_MS) {
      await new Promise((resolve) => setImmediate(resolve));
      if (signal?.aborted) return undefined;
      sliceStart = Date.now();
    }
    findings.push(!prefilter || ownRulesMayFlag(file.text) ? ownSecretFindings(file.text) : []);
    if (!prefilter || presetMayFlag(file.text)) forPreset.push(i);
  }
  if (forPreset.length === 0) return findings;
  const { lintSource, config } = await loadSecretlint();
  for (const unit of groupIntoUnits(files, forPreset)) {
    if (signal?.aborted) return undefined;
    const solo = unit.members.length === 1 ? files[unit.members[0]!]! : undefined;
    const result = await lintSource({
      source: {
        filePath: solo?.absolutePath ?? "scan-batch.txt",
        content: unit.content,
        ext: solo ? path.extname(solo.absolutePath) : ".txt",
        contentType: "text",
      },
      options: { config, ...(solo ? {} : { noPhysicFilePath: true }) },
    });
    for (const message of result.messages as readonly LintMessage[]) assignToMember(message, unit, files, findings);
    onUnit?.();
  }
  return findings;
}

function groupIntoUnits(files: readonly ScannedText[], indices: readonly number[]): ScanUnit[] {
  const units: ScanUnit[] = [];
  let open: ScanUnit | undefined;
  indices.forEach((index) => {
    const file = files[index]!;
    if (file.text === "") return;
    if (file.text.length > SOLO_CHARS || SOLO_NAMES.test(file.path) || file.text.includes("secretlint-disable")) {
      units.push({ members: [index], offsets: [0], content: file.text });
      return;
    }
    if (!open || open.content.length + file.text.length > UNIT_CHARS) {
      open = { members: [], offsets: [], content: "" };
      units.push(open);
    } else open.content += SEPARATOR;
    open.members.push(index);
    open.offsets.push(open.content.length);
    open.content += file.text;
  });
  return units;
}

/**
 * Where the secret of one finding is, in the file the finding starts in. Some rules report a range that starts at
 * the variable name but has the secret's length (the AWS secret key rule), which would leave the key's tail in the
 * prompt; so the secret value the rule reports in `data` is located in that file, and every occurrence of it there is
 * redacted. Searching only that file keeps findings independent of which files share a batch.
 */
function assignToMember(message: LintMessage, unit: ScanUnit, files: readonly ScannedText[], findings: SecretRange[][]): void {
  let i = unit.offsets.length - 1;
  while (i > 0 && unit.offsets[i]! > message.range[0]) i--;
  const fileIndex = unit.members[i]!;
  const offset = unit.offsets[i]!;
  const text = files[fileIndex]!.text;
  const rule = message.messageId;
  const value = Object.values(message.data ?? {}).find((v): v is string => typeof v === "string" && v.length >= 8 && text.includes(v));
  if (!value) {
    const start = Math.max(0, message.range[0] - offset);
    const end = Math.min(text.length, message.range[1] - offset);
    if (end > start) findings[fileIndex]!.push({ start, end, rule });
    return;
  }
  for (let at = text.indexOf(value); at !== -1; at = text.indexOf(value, at + value.length)) {
    findings[fileIndex]!.push({ start: at, end: at + value.length, rule });
  }
}

type LintSource = typeof import("@secretlint/core").lintSource;
let loaded: Promise<{ lintSource: LintSource; config: SecretLintCoreConfig }> | undefined;

function loadSecretlint() {
  // Both packages are ESM-only; a dynamic import works from the CommonJS bundle and from tsx.
  loaded ??= Promise.all([import("@secretlint/core"), import("@secretlint/secretlint-rule-preset-recommend")]).then(
    ([core, preset]) => ({
      lintSource: core.lintSource,
      config: { rules: [{ id: "@secretlint/secretlint-rule-preset-recommend", rule: preset.creator }] },
    }),
  );
  return loaded;
}
