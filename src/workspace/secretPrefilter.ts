/**
 * Which files can hold a secret at all, decided by one cheap regular-expression pass, so that secretlint (~28 ms per
 * MB, 60-70% of a cold pack) runs only on those. Each anchor is a piece that every match of a rule must contain
 * (taken from the rule's own pattern in @secretlint/secretlint-rule-preset-recommend 12.0.0), so a
 * file without any anchor cannot be flagged by that rule.
 * workspace.secretPrefilter.test.ts checks "flagged by a rule ⇒ passes the filter" over the rules' own examples
 * (secretlint's snapshot inputs), our rules' examples and real trees, and that scanning with the filter finds exactly
 * what scanning without it finds.
 */

// Case-sensitive where the rule is (a global `i` made "msg." pass for SendGrid's "SG."); lookbehinds dropped (a superset,
// and `(?<!\p{L})` before every alternative made the pass 25x slower: 13 s on 31 MB).
const PRESET = new RegExp(
  [
    String.raw`(?:SECRET|secret|Secret)_?(?:ACCESS|access|Access)_?(?:KEY|key|Key)`, // aws (the id and account rules are off in the preset)
    String.raw`PRIVATE KEY`, // privatekey, gcp (a service-account JSON holds a PEM)
    String.raw`gh[pousr]_|github_pat_|x-oauth-basic@`, // github, npm (package.json)
    String.raw`_authToken=|npm_`, // npm (.npmrc, access tokens)
    String.raw`xox[abposr]-|xapp-|[Hh][Oo][Oo][Kk][Ss]\.[Ss][Ll][Aa][Cc][Kk]\.`, // slack
    String.raw`(?:https?|ftps?):\/\/[-a-zA-Z0-9_]{1,256}:[-a-zA-Z0-9_]{1,256}@`, // basicauth
    String.raw`[Mm][Oo][Nn][Gg][Oo][Dd][Bb]|[Mm][Yy][Ss][Qq][Ll][Xx]?:\/\/|[Pp][Oo][Ss][Tt][Gg][Rr][Ee][Ss]`, // database-connection-string
    String.raw`T3BlbkFJ|sk-ant-api0`, // openai, anthropic
    String.raw`gsk_|hf_|lin_api_|ntn_|SG\.|shp(?:pa|ca|at|ss)_|glpat-|glc_|glsa_|ops_|hv[sbr]\.|v(?:cp|ci|ca|cr|ck)_|dapi|dckr_pat_|figd_`,
  ].join("|"),
);

/** Anchors of ./secretRules: the token prefixes and the credential-assignment keyword the rules start from. */
const OWN = new RegExp(
  [
    String.raw`(?:sk|rk)_(?:live|test)_|whsec_|sk-`,
    String.raw`(?:A3T[A-Z0-9]|AKIA|AGPA|AIDA|AROA|AIPA|ANPA|ANVA|ASIA)[A-Z0-9]{16}`,
  ].join("|"),
);
/** The assignment rule's keyword, up to 7 more name characters, an optional quote and the operator's first character. */
const OWN_ASSIGNMENT = /(?:pass|pwd|secret|token|key|credential)[a-z]{0,7}["'`]?[ \t]*[=:]/i;

/** False only when no rule of the secretlint preset can flag this text. */
export function presetMayFlag(text: string): boolean {
  return PRESET.test(text);
}

/** False only when no rule of ./secretRules can flag this text. */
export function ownRulesMayFlag(text: string): boolean {
  return OWN.test(text) || OWN_ASSIGNMENT.test(text);
}
