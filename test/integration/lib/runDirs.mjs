// The temp folders of one run (all under one root, removed at the end) and the settings the suite starts with.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { fileURLToPath } from "node:url";

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
export const modelPath = path.resolve(repoRoot, "../shared/models/stories260K.gguf");
const SMOLLM2 = "SmolLM2-135M-Instruct.Q4_1.gguf";
/** SmolLM2 for the real-answer test, where src/engine/testModels.ts looks: ../shared/models, then the cache folder. */
export const smollm2Path = [
  path.resolve(repoRoot, "../shared/models", SMOLLM2),
  path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), ".cache"), "longrope-qa", "models", SMOLLM2),
].find((p) => fs.existsSync(p));
export const suiteEntry = path.join(repoRoot, "out/test/integration/index.js");
export const outputDir = path.join(repoRoot, "test/output");
const fixtureRepo = path.join(repoRoot, "test/fixtures/tiny-repo");

/** Settings of the run's user profile. Machine-scoped ones (modelPath, gpu) are also written as the remote
 *  machine's settings: a remote window (code-server) ignores machine-scoped settings from the user file. */
export function testSettings() {
  return {
    "longropeQa.modelPath": modelPath,
    "longropeQa.gpu": "cpu",
    // One thread: on a shared 2-core machine (load ~12) two llama.cpp threads spinning at their barrier made
    // stories260K evaluate 39 tokens in 3.2 s; one thread does not wait for the other.
    "longropeQa.threads": 1,
    // Short answers keep the suite fast and leave room for history in stories260K's 2048-token context.
    "longropeQa.maxAnswerTokens": 48,
    "workbench.startupEditor": "none",
    "workbench.tips.enabled": false,
    "security.workspace.trust.enabled": false,
    "extensions.autoUpdate": false,
    "extensions.autoCheckUpdates": false,
    "telemetry.telemetryLevel": "off",
    "update.mode": "none",
    "chat.disableAIFeatures": true,
    "workbench.secondarySideBar.defaultVisibility": "hidden",
    "git.enabled": false,
  };
}

function writeJson(file, value) {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, JSON.stringify(value, null, 2));
}

/** The fixture repo copied (so the run never writes into the checkout), or a small stand-in if it is missing. */
function makeWorkspace(target) {
  if (fs.existsSync(fixtureRepo)) {
    fs.cpSync(fixtureRepo, target, { recursive: true });
    return;
  }
  fs.mkdirSync(path.join(target, "src"), { recursive: true });
  fs.writeFileSync(path.join(target, "README.md"), "# tiny\n\nA tiny repo: `src/greet.js` greets a person.\n");
  fs.writeFileSync(path.join(target, "src/greet.js"), "export function greet(name) {\n  return `Hello, ${name}!`;\n}\n");
}

export function createRunDirs() {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "lrq-it-"));
  const dirs = {
    root,
    userData: path.join(root, "user-data"),
    extensions: path.join(root, "extensions"),
    serverTmp: path.join(root, "server-tmp"),
    browserTmp: path.join(root, "browser-tmp"),
    xdgData: path.join(root, "xdg-data"),
    xdgConfig: path.join(root, "xdg-config"),
    workspace: path.join(root, "workspace", "tiny-repo"),
    /** Where the suite writes results.json and the runner writes phase.json (env LONGROPE_QA_IT_DIR). */
    exchange: path.join(root, "exchange"),
    serverConfig: path.join(root, "code-server.yaml"),
    serverLog: path.join(root, "code-server.log"),
  };
  for (const key of ["userData", "extensions", "serverTmp", "browserTmp", "xdgData", "xdgConfig", "exchange"]) {
    fs.mkdirSync(dirs[key], { recursive: true });
  }
  makeWorkspace(dirs.workspace);
  writeJson(path.join(dirs.userData, "User", "settings.json"), testSettings());
  writeJson(path.join(dirs.userData, "Machine", "settings.json"), testSettings());
  return dirs;
}

export function removeRunDirs(dirs) {
  if (dirs) fs.rmSync(dirs.root, { recursive: true, force: true, maxRetries: 3 });
}
