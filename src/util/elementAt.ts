/**
 * `items[index]` where the caller's own arithmetic guarantees the index (a parallel array, a record offset, a regex
 * group that always takes part): a miss is a bug here, so it throws at the read instead of carrying `undefined` on.
 * With noUncheckedIndexedAccess this replaces the `items[index]!` that asserted the same thing without checking.
 */
export function elementAt<T>(items: ArrayLike<T>, index: number): T {
  if (!Number.isInteger(index) || index < 0 || index >= items.length) {
    throw new RangeError(`index ${index} is outside 0..${items.length - 1}`);
  }
  return items[index] as T;
}
