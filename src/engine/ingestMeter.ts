/** Turns the worker's ingest progress frames into status updates with tokens per second and an ETA. */
import type { EngineStatus } from "./api";
import type { ProgressFrame } from "./protocol";

export class IngestMeter {
  private start: { time: number; done: number } | undefined;

  constructor(
    private readonly onStatus: (status: EngineStatus) => void,
    private readonly now: () => number = () => performance.now(),
  ) {}

  update(frame: ProgressFrame): void {
    if (frame.phase !== "ingest") return;
    const time = this.now();
    this.start ??= { time, done: frame.done };
    const seconds = (time - this.start.time) / 1000;
    const tokensPerSecond = seconds > 0 ? (frame.done - this.start.done) / seconds : 0;
    const etaMs = tokensPerSecond > 0 ? ((frame.total - frame.done) / tokensPerSecond) * 1000 : 0;
    this.onStatus({ state: "ingesting", done: frame.done, total: frame.total, tokensPerSecond, etaMs });
  }
}
