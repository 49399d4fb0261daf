/**
 * The sidebar chat page. Talks to the extension only through src/chat/protocol.ts; renders answers as they stream,
 * throttled to one DOM patch per RENDER_INTERVAL_MS; keeps its state with getState/setState for fast restore.
 */
import type { EngineStatus } from "../src/engine/api";
import {
  MAX_CITATION_PATHS,
  isChatMessage,
  isHostMessage,
  type ChatMessage,
  type HostMessage,
  type StreamingTurn,
  type WebviewMessage,
} from "../src/chat/protocol";
import { showMeter, showStatus } from "./meter";
import { settleCitations, type CitationState } from "./render";
import { Transcript } from "./transcript";

interface PageState {
  readonly messages: readonly ChatMessage[];
  readonly streaming?: StreamingTurn;
  readonly status?: EngineStatus;
  readonly draft?: string;
}

interface VsCodeApi {
  postMessage(message: WebviewMessage): void;
  getState(): unknown;
  setState(state: PageState): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

const RENDER_INTERVAL_MS = 50;
const vscode = acquireVsCodeApi();

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const transcriptEl = $<HTMLElement>("transcript");
const input = $<HTMLTextAreaElement>("question");
const sendButton = $<HTMLButtonElement>("send");
const stopButton = $<HTMLButtonElement>("stop");
const statusLine = $<HTMLElement>("status");
const meterEl = $<HTMLElement>("meter");
const announcer = $<HTMLElement>("announcer");

let idCounter = 0;
const newId = () => `w${Date.now().toString(36)}-${(idCounter++).toString(36)}`;
const post = (message: WebviewMessage) => vscode.postMessage(message);

// ---- citations: known good / bad paths, and the ones asked about -----------------------------------------------
const citationOk = new Set<string>();
const citationNo = new Set<string>();
const citationAsked = new Set<string>();
/** Paths of each resolveCitations request still waiting for its answer, by request id. */
const citationRequests = new Map<string, string[]>();
const citationState = (path: string): CitationState =>
  citationOk.has(path) ? "ok" : citationNo.has(path) ? "no" : "pending";
function askAboutCitations(paths: Set<string>): void {
  const unknown = [...paths].filter((p) => citationState(p) === "pending" && !citationAsked.has(p));
  if (unknown.length === 0) return;
  unknown.forEach((p) => citationAsked.add(p));
  // The extension refuses a longer list (the whole batch stayed "pending" past 500 paths), so ask in parts.
  for (let at = 0; at < unknown.length; at += MAX_CITATION_PATHS) {
    const id = newId();
    const paths = unknown.slice(at, at + MAX_CITATION_PATHS);
    citationRequests.set(id, paths);
    post({ type: "resolveCitations", id, paths });
  }
}

const transcript = new Transcript(transcriptEl, citationState, askAboutCitations);

// ---- conversation state ---------------------------------------------------------------------------------------
let messages: ChatMessage[] = [];
let streaming: { id: string; text: string; article: HTMLElement } | undefined;
let status: EngineStatus | undefined;
let renderTimer: ReturnType<typeof setTimeout> | undefined;

function saveState(): void {
  vscode.setState({
    messages,
    streaming: streaming && { id: streaming.id, text: streaming.text },
    status,
    draft: input.value,
  });
}

function nearBottom(): boolean {
  return transcriptEl.scrollHeight - transcriptEl.scrollTop - transcriptEl.clientHeight < 48;
}

function withScroll(update: () => void): void {
  const stick = nearBottom();
  update();
  if (stick) transcriptEl.scrollTop = transcriptEl.scrollHeight;
}

function setStreamingUi(on: boolean): void {
  stopButton.hidden = !on;
  sendButton.disabled = on;
  transcriptEl.setAttribute("aria-busy", String(on));
}

function flushRender(): void {
  if (renderTimer !== undefined) clearTimeout(renderTimer);
  renderTimer = undefined;
  const s = streaming;
  const started = performance.now();
  if (s) withScroll(() => transcript.patchBody(s.article.querySelector<HTMLElement>(".body")!, s.text));
  saveState();
  // Visible in the webview's devtools and read by the browser tests.
  if (s) performance.measure("lrq-patch", { start: started, end: performance.now() });
}

function scheduleRender(): void {
  renderTimer ??= setTimeout(flushRender, RENDER_INTERVAL_MS);
}

function startStreaming(id: string, text: string): void {
  const article = transcript.add({ id: `${id}:a`, role: "assistant", text }, true);
  streaming = { id, text, article };
  setStreamingUi(true);
}

function endStreaming(): void {
  if (renderTimer !== undefined) clearTimeout(renderTimer);
  renderTimer = undefined;
  streaming = undefined;
  setStreamingUi(false);
}

function showAll(next: PageState): void {
  endStreaming();
  messages = Array.isArray(next.messages) ? next.messages.filter(isChatMessage) : [];
  transcript.clear();
  for (const m of messages) transcript.add(m);
  if (next.streaming) startStreaming(next.streaming.id, next.streaming.text);
  status = next.status;
  showMeter(meterEl, status);
  showStatus(statusLine, status);
  transcriptEl.scrollTop = transcriptEl.scrollHeight;
}

function addMessage(message: ChatMessage): void {
  messages.push(message);
  withScroll(() => transcript.add(message));
}

function announce(text: string): void {
  announcer.textContent = text;
}

function setTrusted(trusted: boolean): void {
  $<HTMLElement>("restricted").hidden = trusted;
  input.disabled = !trusted;
  sendButton.disabled = !trusted || streaming !== undefined;
}

// ---- frames from the extension -----------------------------------------------------------------------------------
function receive(message: HostMessage): void {
  switch (message.type) {
    case "restore":
      // Answers to requests made before the restore may never come (a reloaded host): ask again.
      citationAsked.clear();
      citationRequests.clear();
      showAll(message);
      setTrusted(message.trusted);
      saveState();
      return;
    case "turnStart":
      if (streaming) finishTurn(streaming.id, streaming.text, true);
      addMessage({ id: `${message.id}:q`, role: "user", text: message.question });
      withScroll(() => startStreaming(message.id, ""));
      announce("Answering…");
      saveState();
      return;
    case "token":
      if (streaming?.id !== message.id) return;
      streaming.text += message.text;
      scheduleRender();
      return;
    case "done":
      if (streaming?.id === message.id) finishTurn(message.id, message.text, message.cancelled);
      return;
    case "error": {
      if (streaming?.id === message.id) {
        streaming.article.remove();
        endStreaming();
      }
      addMessage({ id: `${message.id}:e`, role: "error", text: message.message, actions: message.actions });
      announce(`Error: ${message.message}`);
      saveState();
      return;
    }
    case "status":
      status = message.status;
      showMeter(meterEl, status);
      showStatus(statusLine, status);
      saveState();
      return;
    case "citations":
      settleAll(message.id, message.resolved);
      return;
    case "prefill":
      input.value = message.text;
      input.focus();
      input.setSelectionRange(input.value.length, input.value.length);
      saveState();
      return;
    case "cleared":
      showAll({ messages: [] });
      saveState();
      return;
    case "readTranscript":
      flushRender();
      post({ type: "transcript", id: message.id, snapshot: transcript.snapshot() });
      return;
    case "click":
      post({ type: "clicked", id: message.id, clicked: clickFirst(message.selector) });
      return;
  }
}

function finishTurn(id: string, text: string, cancelled: boolean): void {
  const s = streaming!;
  endStreaming();
  withScroll(() => transcript.finish(s.article, text, cancelled));
  messages.push({ id: `${id}:a`, role: "assistant", text, ...(cancelled ? { cancelled } : {}) });
  announce(cancelled ? "Answer stopped." : "Answer complete.");
  saveState();
}

function settleAll(requestId: string, resolved: readonly string[]): void {
  const asked = citationRequests.get(requestId);
  if (!asked) return;
  citationRequests.delete(requestId);
  const ok = new Set(resolved);
  for (const path of asked) {
    citationAsked.delete(path);
    (ok.has(path) ? citationOk : citationNo).add(path);
    settleCitations(transcriptEl, path, ok.has(path));
  }
}

function clickFirst(selector: string): boolean {
  try {
    const el = document.querySelector(selector);
    if (!(el instanceof HTMLElement)) return false;
    el.click();
    return true;
  } catch {
    return false; // an invalid selector
  }
}

// ---- user input ---------------------------------------------------------------------------------------------------
function send(): void {
  const question = input.value.trim();
  if (!question || streaming || input.disabled) return;
  post({ type: "ask", id: newId(), question });
  input.value = "";
  saveState();
}

function stop(): void {
  if (streaming) post({ type: "cancel", id: newId(), targetId: streaming.id });
}

$<HTMLFormElement>("ask-form").addEventListener("submit", (e) => {
  e.preventDefault();
  send();
});
input.addEventListener("keydown", (e) => {
  if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
    e.preventDefault();
    send();
  }
});
input.addEventListener("input", () => saveState());
document.addEventListener("keydown", (e) => {
  if (e.key === "Escape" && streaming) {
    e.preventDefault();
    stop();
  }
});
stopButton.addEventListener("click", stop);
$<HTMLButtonElement>("new-chat").addEventListener("click", () => post({ type: "newChat", id: newId() }));

document.body.addEventListener("click", (e) => {
  const target = e.target instanceof Element ? e.target : null;
  const link = target?.closest("a");
  if (link) {
    e.preventDefault();
    if (link.classList.contains("citation")) {
      post({ type: "openCitation", id: newId(), path: link.dataset.path ?? "", line: Number(link.dataset.line) });
    } else if (/^https?:/i.test(link.getAttribute("href") ?? "")) {
      post({ type: "openLink", id: newId(), url: link.href });
    }
    return;
  }
  const button = target?.closest("button");
  if (!button) return;
  const action = button.dataset.action;
  if (action) post({ type: "runAction", id: newId(), action: action as never });
  else if (button.classList.contains("copy-code")) {
    post({ type: "copyText", id: newId(), text: button.closest("pre")?.querySelector("code")?.textContent ?? "" });
  } else if (button.classList.contains("copy-answer")) {
    const id = button.closest("article")?.dataset.id;
    const text = messages.find((m) => m.id === id)?.text ?? "";
    post({ type: "copyText", id: newId(), text });
  }
});

window.addEventListener("message", (event: MessageEvent<unknown>) => {
  if (isHostMessage(event.data)) receive(event.data);
});

// Fast restore from the page's own state, then the extension's authoritative copy arrives with `restore`.
const saved = vscode.getState() as PageState | undefined;
if (saved && Array.isArray(saved.messages)) {
  showAll(saved);
  input.value = typeof saved.draft === "string" ? saved.draft : "";
}
post({ type: "ready", id: newId() });
