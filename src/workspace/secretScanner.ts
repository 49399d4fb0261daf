/**
 * Finds secrets with secretlint's recommended preset. secretlint sets up every rule on each `lintSource` call
 * (~0.1 ms and much garbage per call), so small ordinary files are scanned together: their texts joined by a
 * separator no secret pattern crosses, the findings mapped back to each file. Files whose name or extension a rule
 * looks at (package.json, .npmrc, .json, .p12), files with `secretlint-disable` comments (which would reach into the
 * next file) and large files are scanned alone.
 */
import * as path from "node:path";
import type { SecretLintCoreConfig } from "@secretlint/types";
import { contentHash } from "./tokens";

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

/**
 * Names the rules that decide what is a secret. Findings are cached on disk under it (src/workspace/packCaches.ts):
 * change it whenever a rule is added, removed or changed, or packs keep applying the old rules' findings.
 */
export const SECRET_RULES_VERSION = "secretlint-rule-preset-recommend@12.0.0+aws-access-key-id@1";

const SEPARATOR = "\n\u0000\u0000\n";
const UNIT_CHARS = 256 * 1024;
const SOLO_CHARS = 64 * 1024;
const SOLO_NAMES = /(^|\/)(package\.json|package-lock\.json|\.npmrc)$|\.(json|p12)$/i;

/** Findings by content hash, across packs: a re-pack (every question re-packs) rescans only changed files. */
const findingsCache = new Map<string, SecretRange[]>();
const MAX_CACHED = 200_000;

export function clearSecretCache(): void {
  findingsCache.clear();
}

/** Findings per file (same order as `files`), or undefined when the signal aborted. */
export async function scanForSecrets(files: readonly ScannedText[], signal?: AbortSignal, onUnit?: () => void): Promise<SecretRange[][] | undefined> {
  const hashes = files.map((f) => contentHash(f.text));
  const cached = hashes.map((h) => findingsCache.get(h));
  const missing = files.flatMap((f, i) => (cached[i] ? [] : [f]));
  const fresh = await scanUncached(missing, signal, onUnit);
  if (!fresh) return undefined;
  let next = 0;
  return files.map((_, i) => {
    if (cached[i]) return cached[i]!;
    const found = fresh[next++]!;
    if (findingsCache.size >= MAX_CACHED) findingsCache.delete(findingsCache.keys().next().value!);
    findingsCache.set(hashes[i]!, found);
    return found;
  });
}

async function scanUncached(files: readonly ScannedText[], signal?: AbortSignal, onUnit?: () => void): Promise<SecretRange[][] | undefined> {
  if (files.length === 0) return [];
  const { lintSource, config } = await loadSecretlint();
  const findings: SecretRange[][] = files.map(() => []);
  for (const unit of groupIntoUnits(files)) {
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
    for (const message of result.messages as readonly LintMessage[]) {
      for (const range of locate(unit.content, message)) assignToMembers(range, unit, files, findings);
    }
    for (const range of awsAccessKeyIds(unit.content)) assignToMembers(range, unit, files, findings);
    onUnit?.();
  }
  return findings;
}

/**
 * AWS access key ids, which the preset scans only together with account ids (`enableIDScanRule`, whose account-id
 * pattern alone cost ~15% of a pack); the id is the public half of a key pair but still names the account.
 */
const AWS_ACCESS_KEY_ID = /\b(?:A3T[A-Z0-9]|AKIA|AGPA|AIDA|AROA|AIPA|ANPA|ANVA|ASIA)[A-Z0-9]{16}\b/g;
const AWS_EXAMPLE_KEY_ID = "AKIAIOSFODNN7EXAMPLE";

function awsAccessKeyIds(text: string): SecretRange[] {
  const ranges: SecretRange[] = [];
  for (const match of text.matchAll(AWS_ACCESS_KEY_ID)) {
    if (match[0] !== AWS_EXAMPLE_KEY_ID) ranges.push({ start: match.index!, end: match.index! + match[0].length, rule: "AWSAccessKeyID" });
  }
  return ranges;
}

function groupIntoUnits(files: readonly ScannedText[]): ScanUnit[] {
  const units: ScanUnit[] = [];
  let open: ScanUnit | undefined;
  files.forEach((file, index) => {
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
 * Where the secret of one finding is. Some rules report a range that starts at the variable name but has the
 * secret's length (the AWS secret key rule), which would leave the key's tail in the prompt; so the secret value the
 * rule reports in `data` is located in the text, and every occurrence of it is redacted.
 */
function locate(text: string, message: LintMessage): SecretRange[] {
  const rule = message.messageId;
  const value = Object.values(message.data ?? {}).find((v): v is string => typeof v === "string" && v.length >= 8 && text.includes(v));
  if (!value) return [{ start: message.range[0], end: message.range[1], rule }];
  const ranges: SecretRange[] = [];
  for (let at = text.indexOf(value); at !== -1; at = text.indexOf(value, at + value.length)) {
    ranges.push({ start: at, end: at + value.length, rule });
  }
  return ranges;
}

function assignToMembers(range: SecretRange, unit: ScanUnit, files: readonly ScannedText[], findings: SecretRange[][]): void {
  unit.members.forEach((fileIndex, i) => {
    const offset = unit.offsets[i]!;
    const end = offset + files[fileIndex]!.text.length;
    if (range.end <= offset || range.start >= end) return;
    findings[fileIndex]!.push({ start: Math.max(range.start, offset) - offset, end: Math.min(range.end, end) - offset, rule: range.rule });
  });
}

type LintSource = typeof import("@secretlint/core").lintSource;
let loaded: Promise<{ lintSource: LintSource; config: SecretLintCoreConfig }> | undefined;

function loadSecretlint() {
  silenceSecretlintProfiler();
  // Both packages are ESM-only; a dynamic import works from the CommonJS bundle and from tsx.
  loaded ??= Promise.all([import("@secretlint/core"), import("@secretlint/secretlint-rule-preset-recommend")]).then(
    ([core, preset]) => ({
      lintSource: core.lintSource,
      config: { rules: [{ id: "@secretlint/secretlint-rule-preset-recommend", rule: preset.creator }] },
    }),
  );
  return loaded;
}

let profilerSilenced = false;

/**
 * secretlint's built-in profiler marks every lint on the process-wide `performance` timeline and keeps a
 * PerformanceObserver that scans all earlier marks on each new one: quadratic, ~12 s extra for 20,000 files and a
 * buffer that outlives the pack. Its marks (all named "@core>…") are dropped; every other mark passes through.
 */
function silenceSecretlintProfiler(): void {
  if (profilerSilenced) return;
  profilerSilenced = true;
  const original = performance.mark.bind(performance);
  performance.mark = ((name: string, options?: PerformanceMarkOptions) =>
    name.startsWith("@core>") ? undefined : original(name, options)) as typeof performance.mark;
}
