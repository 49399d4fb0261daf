/**
 * A token count as every message writes it (extension, page, engine errors, CLI). Exact below 10,000 ("2,048",
 * "8,192"). Above, a context size (a multiple of 1,024) in the k that model cards use: 131,072 is "128k", as the
 * welcome calls Phi-4-mini's window (the meter had said "131k" for the same window). Other counts in thousands:
 * "48.2k", "131k".
 */
export function formatTokens(n: number): string {
  if (n < 10_000) return n.toLocaleString("en-US");
  if (n % 1024 === 0) return `${n / 1024}k`;
  if (n < 100_000) return `${(n / 1000).toFixed(1).replace(/\.0$/, "")}k`;
  return `${Math.round(n / 1000)}k`;
}
