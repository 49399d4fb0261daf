/**
 * Stands in for `@secretlint/profiler` in the bundles (esbuild.mjs `alias`). The real module, on import, starts a
 * PerformanceObserver on the process-wide timeline that keeps every mark any extension makes and scans them all on
 * each new one; in the shared extension host that is quadratic and never freed. @secretlint/core only calls `mark`.
 */
export const secretLintProfiler = {
  mark(_marker: { readonly type: string; readonly id?: string }): void {},
};
