/**
 * Stage 3: every included file is scanned for secrets (./secretScanner); each secret is replaced in the prompt by
 * `[REDACTED:<rule>]` and the rest of the file is kept. Newlines inside a secret (private keys) are kept so that the
 * line numbers the model cites still match the file on disk.
 */
import type { TextFile } from "./readFiles";
import { scanForSecrets, type SecretRange } from "./secretScanner";

export interface RedactedFile {
  readonly file: TextFile;
  readonly redactions: number;
  /** Redactions by rule (`StripeKey`, `PrivateKey`, …); absent when there are none. */
  readonly redactedRules?: Readonly<Record<string, number>>;
}

/** Resolves with fewer files than given only when the signal aborted (the caller then returns a cancelled pack). */
export async function redactSecrets(files: readonly TextFile[], signal?: AbortSignal, onUnit?: () => void): Promise<RedactedFile[]> {
  const findings = await scanForSecrets(files, signal, onUnit);
  if (!findings) return [];
  return files.map((file, i): RedactedFile => (findings[i]!.length === 0 ? { file, redactions: 0 } : redact(file, findings[i]!)));
}

export function redact(file: TextFile, ranges: readonly SecretRange[]): RedactedFile {
  const merged = mergeRanges(ranges);
  let text = "";
  let at = 0;
  const redactedRules: Record<string, number> = {};
  for (const r of merged) {
    redactedRules[r.rule] = (redactedRules[r.rule] ?? 0) + 1;
    const newlines = file.text.slice(r.start, r.end).split("\n").length - 1;
    text += `${file.text.slice(at, r.start)}[REDACTED:${r.rule}]${"\n".repeat(newlines)}`;
    at = r.end;
  }
  text += file.text.slice(at);
  return { file: { ...file, text }, redactions: merged.length, redactedRules };
}

function mergeRanges(ranges: readonly SecretRange[]): SecretRange[] {
  // On the same range a provider's rule names the secret better than a generic assignment rule.
  const generic = (rule: string) => (rule.endsWith("Assignment") ? 1 : 0);
  const sorted = [...ranges].sort((a, b) => a.start - b.start || b.end - a.end || generic(a.rule) - generic(b.rule));
  const merged: SecretRange[] = [];
  for (const r of sorted) {
    const last = merged[merged.length - 1];
    if (last && r.start < last.end) merged[merged.length - 1] = { ...last, end: Math.max(last.end, r.end) };
    else merged.push(r);
  }
  return merged;
}
