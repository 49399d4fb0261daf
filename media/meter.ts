/** The context meter (repo tokens / context size, model, RoPE scaling) and the engine status line. */
import type { EngineStatus } from "../src/engine/api";
import { describeStatus, meterText, meterTitle } from "../src/chat/statusText";

export function showMeter(header: HTMLElement, status: EngineStatus | undefined): void {
  // After a failure (or New chat) the last figures may describe another model: they go, not stay stale.
  if (status === undefined || status.state === "error" || status.state === "idle") {
    header.hidden = true;
    return;
  }
  if (status.state !== "ready") return;
  const m = status.meter;
  const bar = document.createElement("progress");
  bar.max = Math.max(1, m.windowTokens ?? m.contextSize);
  bar.value = Math.min(m.repoTokens, bar.max);
  bar.setAttribute("aria-label", "Context used by the repository");
  const numbers = document.createElement("span");
  numbers.className = "meter-numbers";
  numbers.textContent = meterText(m);
  const model = document.createElement("span");
  model.className = "meter-model";
  model.textContent = `${m.modelFile ?? m.modelName}${m.server ? ` at ${m.server}` : ""}`;
  model.title = m.modelName;
  const rope = document.createElement("span");
  rope.className = "meter-rope";
  rope.textContent = `RoPE: ${m.ropeScaling}`;
  const files = document.createElement("span");
  files.className = "meter-files";
  files.textContent = `${m.filesIncluded} ${m.filesIncluded === 1 ? "file" : "files"} in, ${m.filesExcluded} left out`;
  header.title = meterTitle(m);
  header.replaceChildren(bar, numbers, model, rope, files);
  header.hidden = false;
}

/** The line above the input: what the engine is doing while it is busy. */
export function showStatus(line: HTMLElement, status: EngineStatus | undefined): void {
  const text = describeStatus(status);
  line.textContent = text.busy ? `${text.label}…` : "";
  line.classList.toggle("busy", text.busy);
}
