/**
 * Secret rules the secretlint preset lacks (a red-team pass found these packed in clear): Stripe secret keys, OpenAI
 * keys without the `T3BlbkFJ` marker the preset requires, Anthropic keys outside the preset's exact length, AWS
 * access key ids (the preset scans them only with account ids), and values assigned to names such as `password`,
 * `DB_PASSWORD`, `apiKey`, `client_secret`, `token` that look like real credentials rather than placeholders or
 * references. Each finding is the secret value's range; the name and the quotes stay in the prompt.
 */
import type { SecretRange } from "./secretScanner";

/**
 * Provider tokens in one pass (four separate patterns with lookbehinds cost 3x more); which rule matched is read from
 * the capture group, and the character before the token is checked by hand.
 */
const TOKENS = new RegExp(
  [
    String.raw`((?:sk|rk)_(?:live|test)_[A-Za-z0-9]{16,247}(?![A-Za-z0-9])|whsec_[A-Za-z0-9+/=]{24,})`,
    String.raw`(sk-ant-(?:api|admin|oat|sid)\d{2}-[A-Za-z0-9_-]{32,300}(?![A-Za-z0-9_-]))`,
    String.raw`(sk-(?:(?:proj|svcacct|admin|None)-[A-Za-z0-9_-]{40,300}|[A-Za-z0-9]{48})(?![A-Za-z0-9_-]))`,
    String.raw`((?:A3T[A-Z0-9]|AKIA|AGPA|AIDA|AROA|AIPA|ANPA|ANVA|ASIA)[A-Z0-9]{16}\b)`,
  ].join("|"),
  "g",
);
const TOKEN_RULE_NAMES = ["StripeKey", "AnthropicKey", "OpenAIKey", "AWSAccessKeyID"] as const;
/** What may not come right before each kind of token (it would be the middle of a longer word). */
const TOKEN_BEFORE = [/[A-Za-z0-9_]/, /[A-Za-z0-9_-]/, /[A-Za-z0-9_-]/, /\w/] as const;
/** AWS's documentation example, everywhere in docs and tests. */
const ALLOWED_TOKENS = new Set(["AKIAIOSFODNN7EXAMPLE"]);

/**
 * A credential keyword followed by an assignment: `password =`, `"apiKey":`, `DB_PASS=`, `token =>`. Starting at the
 * keyword (not at the name) keeps the scan linear: a pattern that first matched a whole name lazily cost 2 s on 31 MB.
 */
const ASSIGNMENT = /((?:pass(?:word|wd|phrase)?|pwd|secret|token|key|credentials?)s?)(["'`]?)[ \t]*(?:=|:=|=>|:)[ \t]*/gi;
/**
 * The whole name must end in a credential keyword: `password`, `DB_PASSWORD`, `DB_PASS`, `apiKey`, `SECRET_KEY`,
 * `client_secret`, `authToken`, `credentials`. Not `tokenizer`, `passenger`, `compass`, `monkey`, `keyboard`.
 */
const NAME = /^[A-Za-z0-9_.-]*?(?:password|passwd|passphrase|(?<![A-Za-z])pass|pwd|secret|token|(?:api|access|private|auth|secret|signing|encryption|master|client)[_.-]?key|credentials?)s?$/i;
const NAME_CHAR = /[A-Za-z0-9_.-]/;
const QUOTED_VALUE = /(?:\w+\()?(["'`])([^"'`\n\\]{6,300})\1/y;
const UNQUOTED_VALUE = /([^\s"'`#;,]{6,300})[ \t]*(?:#[^\n]*)?(?=\n|$)/y;
const LINE_START = /(?:^|\n)[ \t]*(?:export[ \t]+|-[ \t]+)?$/;

/** Findings of the rules above in one file's text (ranges into `text`). */
export function ownSecretFindings(text: string): SecretRange[] {
  const ranges: SecretRange[] = [];
  for (const m of text.matchAll(TOKENS)) {
    const kind = m.findIndex((group, i) => i > 0 && group !== undefined) - 1;
    const before = m.index > 0 ? text[m.index - 1]! : "";
    if (ALLOWED_TOKENS.has(m[0]) || (before && TOKEN_BEFORE[kind]!.test(before))) continue;
    ranges.push({ start: m.index, end: m.index + m[0].length, rule: TOKEN_RULE_NAMES[kind]! });
  }
  for (const m of text.matchAll(ASSIGNMENT)) {
    const quote = m[2]!;
    let nameStart = m.index;
    while (nameStart > 0 && NAME_CHAR.test(text[nameStart - 1]!)) nameStart--;
    const name = text.slice(nameStart, m.index + m[1]!.length);
    if (!NAME.test(name) || (quote && text[nameStart - 1] !== quote)) continue;
    const at = m.index + m[0].length;
    QUOTED_VALUE.lastIndex = at;
    const quoted = QUOTED_VALUE.exec(text);
    if (quoted) {
      const value = quoted[2]!;
      if (isCredentialValue(name, value)) ranges.push(rangeOf(quoted.index + quoted[0].lastIndexOf(value), value, name));
      continue;
    }
    if (!LINE_START.test(text.slice(Math.max(0, nameStart - 200), nameStart))) continue;
    UNQUOTED_VALUE.lastIndex = at;
    const unquoted = UNQUOTED_VALUE.exec(text);
    const value = unquoted?.[1];
    if (value && isCredentialValue(name, value) && !looksLikeCode(value)) ranges.push(rangeOf(at, value, name));
  }
  return ranges;
}

function rangeOf(start: number, value: string, name: string): SecretRange {
  return { start, end: start + value.length, rule: assignmentRule(name) };
}

function assignmentRule(name: string): string {
  return /pass|pwd/i.test(name) ? "PasswordAssignment" : "SecretAssignment";
}

const PLACEHOLDER = /^(?:x+|\*+|\.+|-+|_+|changeme|change[_-]?me|password|passwd|secret|token|example|sample|dummy|test|testing|placeholder|redacted|none|null|nil|undefined|true|false|empty|todo|fixme|your[_-].*|my[_-].*|<.*>|\[.*\]|\{.*\}|.*example.*|.*placeholder.*)$/i;
/** References to a value kept elsewhere: `${DB_PASSWORD}`, `$TOKEN`, `{{ secret }}`, `%(pw)s`, `process.env.X`, `os.environ[...]`. */
const REFERENCE = /\$\{|\$[A-Z_]|\{\{|%\(|process\.env|os\.environ|getenv|import\.meta\.env|ENV\[|secrets\./i;

/**
 * Whether a value assigned to a credential name is one. A password name takes any literal that is not a placeholder
 * or a reference (people's passwords are not random); other names (token, secret, key) need a random-looking value:
 * 12+ characters, at least two of lower/upper/digit, ~3 bits of entropy per character, not an identifier in words
 * (`refresh_token`, `MySecretName`).
 */
function isCredentialValue(name: string, value: string): boolean {
  if (PLACEHOLDER.test(value) || REFERENCE.test(value) || /^(.)\1*$/.test(value) || /\s/.test(value)) return false;
  if (/pass|pwd/i.test(name)) {
    if (/^[a-z]+(?:[._-][a-z]+)+$/.test(value) || (/^[a-z]+$/.test(value) && value.length < 10)) return false;
    return value.length >= 6;
  }
  if (value.length < 12 || /^[A-Za-z]+(?:[._-][A-Za-z]+)*$/.test(value)) return false;
  const classes = [/[a-z]/, /[A-Z]/, /[0-9]/].filter((c) => c.test(value)).length;
  return classes >= 2 && entropyBitsPerChar(value) >= 3;
}

/** Unquoted YAML/ini values that are code or paths, not secrets: `config.password`, `getToken()`, `./secret.pem`. */
function looksLikeCode(value: string): boolean {
  return /[()]|^[./~]|^\w+\.\w+\.\w+$|^[a-z]+(?:[A-Z][a-z]+)+$/.test(value);
}

function entropyBitsPerChar(value: string): number {
  const counts = new Map<string, number>();
  for (const ch of value) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  let bits = 0;
  for (const n of counts.values()) bits -= (n / value.length) * Math.log2(n / value.length);
  return bits;
}
