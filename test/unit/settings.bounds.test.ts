/** Resource settings a workspace could abuse: bounded in the manifest (what VS Code enforces) and again in code. */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import os from "node:os";
import * as path from "node:path";
import { describe, it } from "node:test";
import { clampThreads } from "../../src/util/threads";
import { boundedMaxFileBytes, MAX_FILE_BYTES_LIMIT } from "../../src/workspace/readFiles";

const manifest = JSON.parse(readFileSync(path.join(import.meta.dirname, "..", "..", "package.json"), "utf8"));
const setting = (name: string) => manifest.contributes.configuration.properties[`longropeQa.${name}`];

describe("resource settings are bounded", () => {
  it("threads: machine-scoped (a workspace value is ignored by VS Code) and never past the machine's cores", () => {
    assert.equal(setting("threads").scope, "machine");
    assert.equal(clampThreads(16, 2), 2, "a workspace's 16 threads made an answer 45x slower on 2 cores");
    assert.equal(clampThreads(100_000), os.availableParallelism(), "100000 spawned ~3,000 threads, then SIGABRT");
    assert.equal(clampThreads(1, 8), 1);
    for (const auto of [0, -3, 2.5, Number.NaN, "8", undefined, null]) assert.equal(clampThreads(auto, 8), 0, String(auto));
  });

  it("maxFileBytes: at most 64 MiB in the manifest and in the packer", () => {
    assert.equal(setting("maxFileBytes").maximum, MAX_FILE_BYTES_LIMIT);
    assert.equal(boundedMaxFileBytes(1e12), MAX_FILE_BYTES_LIMIT);
    assert.equal(boundedMaxFileBytes(Number.POSITIVE_INFINITY), MAX_FILE_BYTES_LIMIT);
    assert.equal(boundedMaxFileBytes(1024), 1024);
    assert.equal(boundedMaxFileBytes(0), 1024 * 1024, "a nonsense limit means the default, never unlimited");
    assert.equal(boundedMaxFileBytes(Number.NaN), 1024 * 1024);
    assert.ok(manifest.capabilities.untrustedWorkspaces.restrictedConfigurations.includes("longropeQa.maxFileBytes"));
  });
});
