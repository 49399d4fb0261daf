/** How many leading tokens two sequences share: what a KV cache (or a saved state) of one can reuse for the other. */
export function commonPrefix(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return i;
}
