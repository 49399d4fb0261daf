/**
 * The sidebar chat page. Talks to the extension only through src/chat/protocol.ts; applies its frames to the same
 * conversation store the extension keeps (src/chat/conversation.ts); renders answers as they stream, throttled to
 * one DOM patch per RENDER_INTERVAL_MS; keeps its state with getState/setState for fast restore.
 */
import type { EngineStatus } from "../src/engine/api";
import { Conversation, messageIds } from "../src/chat/conversation";
import {
  isHostMessage,
  type ChatMessage,
  type ErrorAction,
  type HostMessage,
  type StreamingTurn,
  type WebviewMessage,
  type WelcomeInfo,
} from "../src/chat/protocol";
import { Composer, type ComposerDraft } from "./composer";
import { showMeter, showStatus } from "./meter";
import { CitationResolver } from "./citationState";
import { Transcript } from "./transcript";
import { showWelcome } from "./welcome";

interface PageState {
  readonly messages: readonly ChatMessage[];
  readonly streaming?: StreamingTurn;
  readonly status?: EngineStatus;
  readonly draft?: ComposerDraft;
  readonly welcome?: WelcomeInfo;
}

interface VsCodeApi {
  postMessage(message: WebviewMessage): void;
  getState(): unknown;
  setState(state: PageState): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

const RENDER_INTERVAL_MS = 50;
/** How long "Copied" replaces "Copy answer" on the button. */
const COPIED_FEEDBACK_MS = 1500;
const vscode = acquireVsCodeApi();

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const transcriptEl = $<HTMLElement>("transcript");
const welcomeEl = $<HTMLElement>("welcome");
const input = $<HTMLTextAreaElement>("question");
const sendButton = $<HTMLButtonElement>("send");
const stopButton = $<HTMLButtonElement>("stop");
const statusLine = $<HTMLElement>("status");
const meterEl = $<HTMLElement>("meter");
const announcer = $<HTMLElement>("announcer");

let idCounter = 0;
const newId = () => `w${Date.now().toString(36)}-${(idCounter++).toString(36)}`;
const post = (message: WebviewMessage) => vscode.postMessage(message);

const citations = new CitationResolver(transcriptEl, (id, paths) => post({ type: "resolveCitations", id, paths }), newId);
const transcript = new Transcript(transcriptEl, citations.state, citations.resolve);
const composer = new Composer(input, $<HTMLElement>("chips"), () => saveState());

// ---- conversation state ---------------------------------------------------------------------------------------
let conversation = new Conversation();
let streaming: { id: string; text: string; article: HTMLElement } | undefined;
let status: EngineStatus | undefined;
let welcome: WelcomeInfo | undefined;
let renderTimer: ReturnType<typeof setTimeout> | undefined;

function saveState(): void {
  vscode.setState({
    messages: conversation.messages,
    streaming: streaming && { id: streaming.id, text: streaming.text },
    status,
    draft: composer.draft,
    welcome,
  });
}

function nearBottom(): boolean {
  return transcriptEl.scrollHeight - transcriptEl.scrollTop - transcriptEl.clientHeight < 48;
}

/**
 * Whether the view follows the conversation: it does until the reader scrolls away from the bottom, and again once
 * they scroll back. Decided on scroll events (growing content scrolls nothing), and before a patch only from where the
 * page last scrolled itself (see withScroll).
 */
let following = true;
/** Where the page itself last scrolled to: a reader's scroll shows up here before its event is dispatched. */
let pageScrollTop = 0;
transcriptEl.addEventListener("scroll", () => (following = nearBottom()), { passive: true });

function scrollToEnd(): void {
  transcriptEl.scrollTop = transcriptEl.scrollHeight;
  pageScrollTop = transcriptEl.scrollTop;
}

function withScroll(update: () => void): void {
  // The scroll event comes with the next frame; a patch landing first must not pull a reader who just scrolled up
  // back down. Growing content never moves scrollTop, so a smaller one than the page set is the reader's doing.
  if (following && transcriptEl.scrollTop < pageScrollTop - 1 && !nearBottom()) following = false;
  update();
  if (following) scrollToEnd();
}

function setStreamingUi(on: boolean): void {
  stopButton.hidden = !on;
  sendButton.disabled = on || input.disabled;
  transcriptEl.setAttribute("aria-busy", String(on));
}

/** The welcome view stands in for an empty conversation. */
function updateWelcome(): void {
  welcomeEl.hidden = conversation.messages.length > 0 || streaming !== undefined || !welcome;
  transcriptEl.hidden = !welcomeEl.hidden;
}

function flushRender(): void {
  if (renderTimer !== undefined) clearTimeout(renderTimer);
  renderTimer = undefined;
  const s = streaming;
  const started = performance.now();
  const body = s?.article.querySelector<HTMLElement>(".body");
  if (body && s) withScroll(() => transcript.patchBody(body, s.text));
  saveState();
  // Visible in the webview's devtools and read by the browser tests.
  if (s) performance.measure("lrq-patch", { start: started, end: performance.now() });
}

function scheduleRender(): void {
  renderTimer ??= setTimeout(flushRender, RENDER_INTERVAL_MS);
}

function startStreaming(id: string, text: string): void {
  const article = transcript.add({ id: messageIds.answer(id), role: "assistant", text }, true);
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
  conversation = new Conversation(next.messages);
  transcript.clear();
  for (const m of conversation.messages) transcript.add(m);
  if (next.streaming) startStreaming(next.streaming.id, next.streaming.text);
  status = next.status;
  welcome = next.welcome ?? welcome;
  showWelcome(welcomeEl, welcome);
  updateWelcome();
  showMeter(meterEl, status);
  showStatus(statusLine, status);
  scrollToEnd();
}

function addMessage(message: ChatMessage): void {
  withScroll(() => transcript.add(message));
  updateWelcome();
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
      citations.forgetRequests();
      showAll(message);
      setTrusted(message.trusted);
      saveState();
      return;
    case "turnStart":
      if (streaming) finishTurn(streaming.id, streaming.text, { cancelled: true });
      addMessage(conversation.ask(message.id, message.question, message.attachment));
      startStreaming(message.id, "");
      // A new question always shows: the answer then follows it as long as the reader stays at the bottom.
      following = true;
      scrollToEnd();
      updateWelcome();
      announce("Answering…");
      saveState();
      return;
    case "token":
      if (streaming?.id !== message.id) return;
      streaming.text += message.text;
      scheduleRender();
      return;
    case "done":
      if (streaming?.id === message.id) {
        finishTurn(message.id, message.text, { cancelled: message.cancelled, coverage: message.coverage, notes: message.notes });
      }
      return;
    case "error":
      failTurn(message.id, message.message, message.actions, message.partial ?? "");
      return;
    case "notice":
      addMessage(conversation.notice(message.id, message.text));
      announce(message.text);
      saveState();
      return;
    case "status":
      status = message.status;
      showMeter(meterEl, status);
      showStatus(statusLine, status);
      saveState();
      return;
    case "citations":
      citations.settle(message.id, message.resolved);
      return;
    case "prefill":
      composer.prefill(message.text, message.attachment);
      saveState();
      return;
    case "focus":
      composer.focus();
      return;
    case "welcome":
      welcome = message.welcome;
      showWelcome(welcomeEl, welcome);
      updateWelcome();
      saveState();
      return;
    case "cleared":
      showAll({ messages: [] });
      saveState();
      return;
  }
}

function finishTurn(id: string, text: string, details: Parameters<Conversation["answer"]>[2]): void {
  const s = streaming;
  if (!s) return;
  endStreaming();
  const answer = conversation.answer(id, text, details);
  withScroll(() => transcript.finish(s.article, answer));
  announce(answer.cancelled ? "Answer stopped." : "Answer complete.");
  saveState();
}

/** The turn failed: what was generated stays, marked interrupted, and the error follows it. */
function failTurn(id: string, text: string, actions: readonly ErrorAction[], partial: string): void {
  const article = streaming?.id === id ? streaming.article : undefined;
  if (article) endStreaming();
  const before = conversation.messages.length;
  const error = conversation.fail(id, text, actions, partial);
  const kept = conversation.messages.length - before > 1 ? conversation.messages[before] : undefined;
  if (article && kept) transcript.finish(article, kept);
  else article?.remove();
  addMessage(error);
  announce(`Error: ${text}`);
  saveState();
}

// ---- user input ---------------------------------------------------------------------------------------------------
function send(question = input.value.trim()): void {
  const { attachment } = composer.draft;
  if ((!question && !attachment) || streaming || input.disabled) return;
  post({ type: "ask", id: newId(), question, ...(attachment ? { attachment } : {}) });
  composer.clear();
  saveState();
}

function stop(): void {
  if (streaming) post({ type: "cancel", id: newId(), targetId: streaming.id });
}

function copied(button: HTMLButtonElement): void {
  button.textContent = "Copied";
  announce("Answer copied.");
  setTimeout(() => (button.textContent = "Copy answer"), COPIED_FEEDBACK_MS);
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
    } else if (link.classList.contains("file-link")) {
      post({ type: "openCitation", id: newId(), path: link.dataset.path ?? "", line: 1 });
    } else if (/^https?:/i.test(link.getAttribute("href") ?? "")) {
      post({ type: "openLink", id: newId(), url: link.href });
    }
    return;
  }
  const button = target?.closest("button");
  if (!button) return;
  const action = button.dataset.action;
  if (action) {
    post({ type: "runAction", id: newId(), action: action as never, ...(button.dataset.turn ? { turnId: button.dataset.turn } : {}) });
  } else if (button.dataset.question) {
    send(button.dataset.question);
  } else if (button.classList.contains("copy-code")) {
    post({ type: "copyText", id: newId(), text: button.closest("pre")?.querySelector("code")?.textContent ?? "" });
  } else if (button.classList.contains("copy-answer")) {
    const id = button.closest("article")?.dataset.id;
    const text = conversation.messages.find((m) => m.id === id)?.text ?? "";
    if (!text.trim()) return;
    post({ type: "copyText", id: newId(), text });
    copied(button);
  }
});

window.addEventListener("message", (event: MessageEvent<unknown>) => {
  if (isHostMessage(event.data)) receive(event.data);
});

// Fast restore from the page's own state, then the extension's authoritative copy arrives with `restore`.
const saved = vscode.getState() as PageState | undefined;
if (saved && Array.isArray(saved.messages)) {
  showAll(saved);
  composer.restore(saved.draft);
}
composer.focus();
post({ type: "ready", id: newId() });
