// Builds every entry point. The engine worker is ESM because node-llama-cpp is ESM-only; node-llama-cpp is
// never bundled (its native binaries are resolved at run time from node_modules).
import * as esbuild from "esbuild";

const watch = process.argv.includes("--watch");
const production = process.argv.includes("--production");

const common = {
  bundle: true,
  // secretlint's profiler observes the process-wide performance timeline: see src/workspace/secretlintProfilerStub.ts.
  alias: { "@secretlint/profiler": "./src/workspace/secretlintProfilerStub.ts" },
  sourcemap: !production,
  minify: production,
  logLevel: "info",
};

/** @type {esbuild.BuildOptions[]} */
const builds = [
  { ...common, entryPoints: ["src/extension.ts"], outfile: "dist/extension.js", platform: "node", format: "cjs",
    target: "node20", external: ["vscode", "node-llama-cpp"] },
  { ...common, entryPoints: ["src/cli.ts"], outfile: "dist/cli.js", platform: "node", format: "cjs", target: "node20",
    external: ["node-llama-cpp"], banner: { js: "#!/usr/bin/env node" } },
  { ...common, entryPoints: ["src/engine/worker.ts"], outfile: "dist/engineWorker.mjs", platform: "node", format: "esm",
    target: "node20", external: ["node-llama-cpp"],
    // Bundled CommonJS dependencies may call require(); give the ESM output one.
    banner: { js: "import { createRequire as __lrqCreateRequire } from 'node:module'; const require = __lrqCreateRequire(import.meta.url);" } },
  { ...common, entryPoints: ["src/longrope/worker.ts"], outfile: "dist/longropeWorker.mjs", platform: "node", format: "esm",
    target: "node20", external: ["node-llama-cpp"],
    banner: { js: "import { createRequire as __lrqCreateRequire } from 'node:module'; const require = __lrqCreateRequire(import.meta.url);" } },
  { ...common, entryPoints: ["media/chat.ts"], outfile: "dist/webview.js", platform: "browser", format: "iife",
    target: "es2022" },
  { ...common, entryPoints: ["media/report.ts"], outfile: "dist/report.js", platform: "browser", format: "iife",
    target: "es2022" },
  { ...common, entryPoints: ["test/integration/suite/index.ts"], outfile: "out/test/integration/index.js",
    platform: "node", format: "cjs", target: "node20", external: ["vscode", "mocha", "node-llama-cpp"] },
];

const only = process.argv.find((a) => a.startsWith("--only="))?.slice(7);
const selected = only ? builds.filter((b) => String(b.outfile).includes(only)) : builds;

if (watch) {
  const contexts = await Promise.all(selected.map((b) => esbuild.context(b)));
  await Promise.all(contexts.map((c) => c.watch()));
} else {
  await Promise.all(selected.map((b) => esbuild.build(b)));
}
