/**
 * Stage 4: order for KV-cache reuse. Least recently modified first, most recently modified last, ties by path, so
 * that an edit moves the edited file to the end and only the tail of the cached prompt changes. Deterministic for
 * the same tree (mtimes and paths only).
 */
interface Ordered {
  readonly path: string;
  readonly mtimeMs: number;
}

export function orderForCache<T>(items: readonly T[], fileOf: (item: T) => Ordered): T[] {
  return [...items].sort((a, b) => {
    const fa = fileOf(a);
    const fb = fileOf(b);
    return fa.mtimeMs - fb.mtimeMs || (fa.path < fb.path ? -1 : fa.path > fb.path ? 1 : 0);
  });
}
