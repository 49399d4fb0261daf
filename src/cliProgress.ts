/** Progress lines for the CLI on stderr: rewritten in place on a terminal, one line per phase change otherwise. */
import type { EngineStatus } from "./engine/api";

function describe(s: EngineStatus): string | undefined {
  switch (s.state) {
    case "downloading":
      return `downloading model ${pct(s.done, s.total)} (${(s.done / 2 ** 20).toFixed(0)} / ${(s.total / 2 ** 20).toFixed(0)} MiB)`;
    case "loading":
      return `loading ${s.modelPath}`;
    case "packing":
      return `packing: ${s.filesSeen} files, ${s.tokensSoFar} tokens`;
    case "ingesting":
      return `reading the repo: ${s.done}/${s.total} tokens ${pct(s.done, s.total)}, ${s.tokensPerSecond.toFixed(0)} tok/s, ETA ${(s.etaMs / 1000).toFixed(0)} s`;
    case "ready": {
      const m = s.meter;
      const window = m.windowTokens ?? m.contextSize;
      const allocated = m.contextSize < window ? ` (${m.contextSize} allocated)` : "";
      const tokens = `${m.repoTokens}${m.tokensEstimated ? " (estimated)" : ""} repo tokens / ${window} window${allocated}`;
      return `ready: ${tokens}, ${m.modelName}${m.server ? ` at ${m.server}` : `, RoPE ${m.ropeScaling}`}`;
    }
    default:
      return undefined;
  }
}

function pct(done: number, total: number): string {
  return total > 0 ? `${Math.floor((100 * done) / total)}%` : "";
}

export function createProgressPrinter(stream: NodeJS.WriteStream) {
  const tty = Boolean(stream.isTTY);
  let lastState = "";
  let lastWrite = 0;
  let open = false;
  // Not a terminal: a phase's last line is written when the next phase starts, so a log ends each phase with its
  // totals ("packing: 4 files, 388 tokens"), not with the first event's ("1 files, 0 tokens").
  let unwritten: string | undefined;
  const flush = () => {
    if (unwritten) stream.write(unwritten + "\n");
    unwritten = undefined;
  };
  return {
    update: (status: EngineStatus): void => {
      if (status.state === "answering" && open) {
        stream.write("\n");
        open = false;
      }
      if (!tty && status.state !== lastState) flush();
      const line = describe(status);
      if (!line) return;
      const now = Date.now();
      if (tty) {
        if (status.state === lastState && now - lastWrite < 100) return;
        stream.write(`\r\x1b[2K${line}`);
        open = true;
      } else if (status.state !== lastState || now - lastWrite > 5000) {
        stream.write(line + "\n");
        unwritten = undefined;
      } else {
        unwritten = line;
        return;
      }
      lastState = status.state;
      lastWrite = now;
    },
    done: (): void => {
      flush();
      if (open) stream.write("\n");
      open = false;
    },
  };
}
