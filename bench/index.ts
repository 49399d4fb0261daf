// `npm run bench [-- --json]`: runs every bench/*.bench.ts in its own process, one after another (2 cores: never in
// parallel), and prints their tables — or, with --json, one object merging their JSON outputs.
import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import * as path from "node:path";

const json = process.argv.includes("--json");
const only = process.argv.find((a) => a.startsWith("--only="))?.slice(7);
const dir = __dirname;
const benches = readdirSync(dir).filter((f) => f.endsWith(".bench.ts") && (!only || f.includes(only))).sort();
const merged: Record<string, unknown> = {};
let failed = 0;

for (const file of benches) {
  const args = ["--import", "tsx", path.join(dir, file), ...(json ? ["--json"] : [])];
  if (!json) process.stdout.write(`\n## ${file}\n`);
  const run = spawnSync(process.execPath, args, { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"], maxBuffer: 64 << 20 });
  if (run.status !== 0) {
    failed++;
    process.stderr.write(`${file} failed (exit ${run.status})\n`);
    continue;
  }
  if (json) Object.assign(merged, JSON.parse(run.stdout));
  else process.stdout.write(run.stdout);
}
if (json) process.stdout.write(JSON.stringify(merged, null, 2) + "\n");
process.exitCode = failed ? 1 : 0;
