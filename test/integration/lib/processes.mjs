// Finds, measures and stops the processes of one test run. Every process the run starts carries the environment
// variable LONGROPE_QA_RUN=<id> (code-server and all it forks, Chromium and its helpers, the engine worker), so a
// scan of /proc finds them even after one was reparented away from its parent.
import * as fs from "node:fs";

export const RUN_MARKER = "LONGROPE_QA_RUN";

function readText(file) {
  try {
    return fs.readFileSync(file, "utf8");
  } catch {
    return undefined; // the process exited while we looked
  }
}

/** Pids of live processes (zombies excluded) whose environment has LONGROPE_QA_RUN=runId. */
export function processesOfRun(runId) {
  const needle = `${RUN_MARKER}=${runId}\0`;
  const pids = [];
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    if (pid === process.pid) continue;
    const environ = readText(`/proc/${pid}/environ`);
    if (!environ?.includes(needle) || isZombie(pid)) continue;
    pids.push(pid);
  }
  return pids;
}

export function isZombie(pid) {
  const stat = readText(`/proc/${pid}/stat`);
  if (!stat) return true;
  return stat.slice(stat.lastIndexOf(")") + 2).startsWith("Z");
}

export function isAlive(pid) {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  return !isZombie(pid);
}

export function commandOf(pid) {
  return (readText(`/proc/${pid}/cmdline`) ?? "").split("\0").join(" ").trim().slice(0, 160);
}

/** Proportional set size in bytes (shared pages split between the processes that share them); RSS as fallback. */
function memoryOf(pid) {
  const rollup = readText(`/proc/${pid}/smaps_rollup`);
  const pss = rollup && /^Pss:\s+(\d+) kB/m.exec(rollup);
  const status = readText(`/proc/${pid}/status`);
  const rss = status && /^VmRSS:\s+(\d+) kB/m.exec(status);
  return { pss: pss ? Number(pss[1]) * 1024 : 0, rss: rss ? Number(rss[1]) * 1024 : 0 };
}

/** Samples the run's total memory every `intervalMs` and keeps the peak. */
export function startMemorySampler(runId, intervalMs = 500) {
  const peak = { pss: 0, rss: 0, processes: 0 };
  const sample = () => {
    let pss = 0;
    let rss = 0;
    const pids = processesOfRun(runId);
    for (const pid of pids) {
      const m = memoryOf(pid);
      pss += m.pss;
      rss += m.rss;
    }
    if (pss > peak.pss) peak.pss = pss;
    if (rss > peak.rss) peak.rss = rss;
    if (pids.length > peak.processes) peak.processes = pids.length;
  };
  const timer = setInterval(sample, intervalMs);
  timer.unref();
  return {
    peak,
    stop() {
      clearInterval(timer);
      return peak;
    },
  };
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Waits until `pid` is gone; true when it exited within `timeoutMs`. */
export async function waitForExit(pid, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (isAlive(pid)) {
    if (Date.now() > deadline) return false;
    await sleep(100);
  }
  return true;
}

/** SIGTERM to a process group, then SIGKILL to whatever is left of it after `graceMs`. */
export async function killGroup(pgid, graceMs = 5000) {
  const signal = (sig) => {
    try {
      process.kill(-pgid, sig);
      return true;
    } catch {
      return false; // no such group: already gone
    }
  };
  if (!signal("SIGTERM")) return;
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    if (!signal(0)) return;
    await sleep(100);
  }
  signal("SIGKILL");
}

/** Kills every process of the run still alive; returns what it had to kill (a non-empty list is a leak). */
export async function sweepRun(runId) {
  const leftovers = processesOfRun(runId).map((pid) => ({ pid, command: commandOf(pid) }));
  for (const { pid } of leftovers) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // exited meanwhile
    }
  }
  for (const { pid } of leftovers) await waitForExit(pid, 2000);
  return leftovers;
}
