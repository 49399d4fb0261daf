/**
 * What a reader opens first in an unknown repository, as a class per path (lower first): the README and the manifest,
 * then entry points, then the source, then docs, configuration and data, then tests, then fixtures and test data.
 * Decided from the path alone, so that the choice of files does not depend on token counts.
 */
export const ReaderClass = { Orientation: 0, EntryPoint: 1, Source: 2, DocsAndConfig: 3, Tests: 4, Fixtures: 5 } as const;
export type ReaderClass = (typeof ReaderClass)[keyof typeof ReaderClass];

const MANIFESTS = new Set([
  "package.json", "pyproject.toml", "setup.py", "setup.cfg", "requirements.txt", "cargo.toml", "go.mod", "pom.xml",
  "build.gradle", "build.gradle.kts", "settings.gradle", "gemfile", "composer.json", "cmakelists.txt", "makefile",
  "mix.exs", "deno.json", "pubspec.yaml", "package.swift", "build.sbt", "project.clj", "stack.yaml", "meson.build",
]);
const README = /^readme(\.[a-z]+)?$/;
const OVERVIEW_DOCS = /^(architecture|design|overview|contributing|hacking)(\.[a-z]+)?$/;
const ENTRY_STEMS = /^(index|main|cli|app|extension|server|lib|mod|__init__|__main__|program|entry)\.[a-z]+$/;
const SOURCE_DIRS = new Set(["src", "lib", "app", "cmd", "pkg", "internal", "source", "sources"]);
const FIXTURE_DIRS = new Set(["fixtures", "fixture", "__fixtures__", "testdata", "test-data", "__snapshots__", "__mocks__", "mocks", "snapshots", "golden"]);
const TEST_DIRS = new Set(["test", "tests", "__tests__", "spec", "specs", "e2e", "bench", "benches", "benchmark", "benchmarks", "perf"]);
const TEST_FILE = /(\.|_|-)(test|spec|bench)\.[a-z]+$|^test_.*\.py$|_test\.(go|py|rb|exs)$/;
const DOC_DIRS = new Set(["docs", "doc", "documentation", "examples", "example", "samples", "site", "website"]);
const DOC_FILE = /\.(md|markdown|rst|adoc|txt)$|^(license|licence|copying|notice|changelog|changes|history|authors)(\.[a-z]+)?$/;
const SOURCE_LIKE =
  /\.(ts|tsx|mts|cts|js|jsx|mjs|cjs|py|rs|go|java|kt|kts|swift|c|h|cc|cpp|cxx|hpp|cs|fs|rb|php|scala|lua|dart|zig|ex|exs|erl|clj|hs|ml|r|jl|vue|svelte|css|scss|less|html|sh|bash|ps1|sql|proto|graphql)$/;

/**
 * The class of `path` (posix, relative to its root). `rootSegments` is 1 in a multi-root workspace, where the first
 * segment is the folder's name.
 */
export function readerClass(path: string, rootSegments = 0): ReaderClass {
  const parts = path.toLowerCase().split("/").slice(rootSegments);
  const name = parts[parts.length - 1] ?? "";
  const dirs = parts.slice(0, -1);
  if (dirs.some((d) => FIXTURE_DIRS.has(d)) || /\.snap$/.test(name)) return ReaderClass.Fixtures;
  if (dirs.some((d) => TEST_DIRS.has(d)) || TEST_FILE.test(name)) return ReaderClass.Tests;
  if (dirs.length === 0 && (README.test(name) || MANIFESTS.has(name))) return ReaderClass.Orientation;
  if (dirs.length === 0 && OVERVIEW_DOCS.test(name)) return ReaderClass.EntryPoint;
  if (dirs.length > 0 && dirs.length <= 2 && (README.test(name) || MANIFESTS.has(name))) return ReaderClass.EntryPoint;
  if (ENTRY_STEMS.test(name) && SOURCE_LIKE.test(name) && (dirs.length === 0 || (dirs.length === 1 && SOURCE_DIRS.has(dirs[0]!)))) {
    return ReaderClass.EntryPoint;
  }
  if (dirs.some((d) => DOC_DIRS.has(d) || d.startsWith(".")) || name.startsWith(".") || DOC_FILE.test(name)) return ReaderClass.DocsAndConfig;
  // Data and configuration (JSON, YAML, SVG, …) after code, except extensionless build files (Dockerfile, Makefile).
  return SOURCE_LIKE.test(name) || !name.includes(".") ? ReaderClass.Source : ReaderClass.DocsAndConfig;
}
