/**
 * Makes room for one more entry in a cache of at most `limit` entries kept in a Map or Set, whose insertion order is
 * the age order: the oldest entries go first.
 */
export function makeRoom(cache: Map<unknown, unknown> | Set<unknown>, limit: number): void {
  for (const key of cache.keys()) {
    if (cache.size < limit) return;
    cache.delete(key);
  }
}
