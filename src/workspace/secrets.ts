/**
 * Stage 3: every included file is scanned with secretlint's recommended preset; each secret is replaced in the
 * prompt by `[REDACTED:<rule>]` and the rest of the file is kept. Newlines inside a secret (private keys) are kept
 * so that the line numbers the model cites still match the file on disk.
 */
import type { SecretLintCoreConfig } from "@secretlint/types";
import type { TextFile } from "./readFiles";

export interface RedactedFile {
  readonly file: TextFile;
  readonly redactions: number;
}

type LintSource = typeof import("@secretlint/core").lintSource;

let loaded: Promise<{ lintSource: LintSource; config: SecretLintCoreConfig }> | undefined;

function loadSecretlint() {
  silenceSecretlintProfiler();
  // Both packages are ESM-only; a dynamic import works from the CommonJS bundle and from tsx.
  loaded ??= Promise.all([import("@secretlint/core"), import("@secretlint/secretlint-rule-preset-recommend")]).then(
    ([core, preset]) => ({
      lintSource: core.lintSource,
      config: {
        rules: [
          {
            id: "@secretlint/secretlint-rule-preset-recommend",
            rule: preset.creator,
            // AWS access key ids are off by default; in a prompt that leaves the machine's hands they count.
            rules: [{ id: "@secretlint/secretlint-rule-aws", options: { enableIDScanRule: true } }],
          },
        ],
      },
    }),
  );
  return loaded;
}

const LINT_BATCH = 64;
let profilerSilenced = false;

/**
 * secretlint's built-in profiler marks every lint on the process-wide `performance` timeline and keeps a
 * PerformanceObserver that scans all earlier marks on each new one: quadratic, ~12 s extra for 20,000 files and a
 * growing buffer that outlives the pack. Its marks (all named "@core>…") are dropped; every other mark passes through.
 */
function silenceSecretlintProfiler(): void {
  if (profilerSilenced) return;
  profilerSilenced = true;
  const original = performance.mark.bind(performance);
  performance.mark = ((name: string, options?: PerformanceMarkOptions) =>
    name.startsWith("@core>") ? undefined : original(name, options)) as typeof performance.mark;
}

export async function redactSecrets(files: readonly TextFile[], signal?: AbortSignal): Promise<RedactedFile[]> {
  const { lintSource, config } = await loadSecretlint();
  const out: RedactedFile[] = [];
  for (let i = 0; i < files.length; i += LINT_BATCH) {
    if (signal?.aborted) break;
    const batch = files.slice(i, i + LINT_BATCH);
    const results = await Promise.all(
      batch.map((file) =>
        file.text === ""
          ? { messages: [] }
          : lintSource({
              source: { filePath: file.absolutePath, content: file.text, ext: extOf(file.path), contentType: "text" },
              options: { config },
            }),
      ),
    );
    results.forEach((result, j) => {
      const file = batch[j]!;
      const ranges = result.messages.flatMap((m) => secretRanges(file.text, m));
      out.push(ranges.length === 0 ? { file, redactions: 0 } : redact(file, ranges));
    });
  }
  return out;
}

interface LintMessage {
  readonly messageId: string;
  readonly range: readonly [number, number];
  readonly data?: Readonly<Record<string, unknown>>;
}

/**
 * Where the secret of one finding is. Some rules report a range that starts at the variable name but has the
 * secret's length (the AWS secret key rule), which would leave the key's tail in the prompt; so the secret value the
 * rule reports in `data` is located in the text, and every occurrence of it is redacted.
 */
function secretRanges(text: string, message: LintMessage): SecretRange[] {
  const rule = message.messageId;
  const value = Object.values(message.data ?? {}).find((v): v is string => typeof v === "string" && v.length >= 8 && text.includes(v));
  if (!value) return [{ start: message.range[0], end: message.range[1], rule }];
  const ranges: SecretRange[] = [];
  for (let at = text.indexOf(value); at !== -1; at = text.indexOf(value, at + value.length)) {
    ranges.push({ start: at, end: at + value.length, rule });
  }
  return ranges;
}

interface SecretRange {
  readonly start: number;
  readonly end: number;
  readonly rule: string;
}

export function redact(file: TextFile, ranges: readonly SecretRange[]): RedactedFile {
  const merged = mergeRanges(ranges);
  let text = "";
  let at = 0;
  for (const r of merged) {
    const secret = file.text.slice(r.start, r.end);
    const newlines = secret.split("\n").length - 1;
    text += `${file.text.slice(at, r.start)}[REDACTED:${r.rule}]${"\n".repeat(newlines)}`;
    at = r.end;
  }
  text += file.text.slice(at);
  return { file: { ...file, text }, redactions: merged.length };
}

function mergeRanges(ranges: readonly SecretRange[]): SecretRange[] {
  const sorted = [...ranges].sort((a, b) => a.start - b.start || b.end - a.end);
  const merged: SecretRange[] = [];
  for (const r of sorted) {
    const last = merged[merged.length - 1];
    if (last && r.start < last.end) merged[merged.length - 1] = { ...last, end: Math.max(last.end, r.end) };
    else merged.push(r);
  }
  return merged;
}

function extOf(path: string): string {
  const name = path.slice(path.lastIndexOf("/") + 1);
  const dot = name.lastIndexOf(".");
  return dot > 0 ? name.slice(dot + 1) : "";
}
