/**
 * The one protocol between the extension host and the chat webview (`media/chat.ts`), split by direction.
 *
 * Same shape as the engine protocol (src/engine/protocol.ts): every request carries an `id`; an answer streams as
 * `token` frames with the turn's id and ends with exactly one `done` or `error` frame; a `cancel` naming the id
 * aborts it, and a cancelled turn still ends with `done` (`cancelled: true`). The extension is the authority on the
 * conversation: every turn, also one the webview asked for, starts with a `turnStart` frame.
 *
 * Both ends treat what they receive as untrusted: messages are validated here and unknown types are ignored.
 * No `vscode` import: the webview bundle imports this file too.
 */
import type { EngineStatus } from "../engine/api";

export type ChatRole = "user" | "assistant" | "error";

/** What an error's action button does; the extension maps each to a fixed command (never a URI from the page). */
export type ErrorAction = "chooseModel" | "openSettings" | "showContextReport" | "openLogs" | "trustWorkspace";
export const errorActions: readonly ErrorAction[] = [
  "chooseModel",
  "openSettings",
  "showContextReport",
  "openLogs",
  "trustWorkspace",
];

export interface ChatMessage {
  readonly id: string;
  readonly role: ChatRole;
  readonly text: string;
  /** Buttons under an error message. */
  readonly actions?: readonly ErrorAction[];
  /** An answer the user stopped. */
  readonly cancelled?: boolean;
}

/** The answer being generated when the page (re)loads. */
export interface StreamingTurn {
  readonly id: string;
  readonly text: string;
}

export interface TranscriptLink {
  readonly text: string;
  readonly path: string;
  readonly line: number;
}

/** What the integration tests read back from the page's DOM. */
export interface TranscriptSnapshot {
  readonly messages: readonly { readonly role: ChatRole; readonly text: string; readonly links: readonly TranscriptLink[] }[];
  readonly streaming: boolean;
}

// ---- webview → extension ---------------------------------------------------------------------------------------

/** Sent once the page has its listeners; the extension answers with `restore`. */
export interface ReadyMessage { readonly type: "ready"; readonly id: string }
export interface AskMessage { readonly type: "ask"; readonly id: string; readonly question: string }
export interface CancelMessage { readonly type: "cancel"; readonly id: string; readonly targetId: string }
export interface NewChatMessage { readonly type: "newChat"; readonly id: string }
export interface OpenCitationMessage {
  readonly type: "openCitation";
  readonly id: string;
  readonly path: string;
  readonly line: number;
}
/** Which cited paths are files inside the workspace; answered by a `citations` frame with the same id. */
export interface ResolveCitationsMessage { readonly type: "resolveCitations"; readonly id: string; readonly paths: readonly string[] }
export interface RunActionMessage { readonly type: "runAction"; readonly id: string; readonly action: ErrorAction }
export interface CopyTextMessage { readonly type: "copyText"; readonly id: string; readonly text: string }
/** An http(s) link in an answer; the extension opens it through VS Code's trusted-domain prompt. */
export interface OpenLinkMessage { readonly type: "openLink"; readonly id: string; readonly url: string }
/** Answer to a `readTranscript` request (same id). */
export interface TranscriptMessage { readonly type: "transcript"; readonly id: string; readonly snapshot: TranscriptSnapshot }
/** Answer to a `click` request (same id). */
export interface ClickedMessage { readonly type: "clicked"; readonly id: string; readonly clicked: boolean }

export type WebviewMessage =
  | ReadyMessage
  | AskMessage
  | CancelMessage
  | NewChatMessage
  | OpenCitationMessage
  | ResolveCitationsMessage
  | RunActionMessage
  | CopyTextMessage
  | OpenLinkMessage
  | TranscriptMessage
  | ClickedMessage;

// ---- extension → webview ---------------------------------------------------------------------------------------

export interface RestoreFrame {
  readonly type: "restore";
  readonly messages: readonly ChatMessage[];
  readonly streaming?: StreamingTurn;
  readonly status?: EngineStatus;
  /** False in Restricted Mode: the page explains why nothing is read. */
  readonly trusted: boolean;
}
export interface TurnStartFrame { readonly type: "turnStart"; readonly id: string; readonly question: string }
export interface TokenFrame { readonly type: "token"; readonly id: string; readonly text: string }
/** Ends a turn; `text` is the whole answer (authoritative over the streamed tokens). */
export interface DoneFrame { readonly type: "done"; readonly id: string; readonly text: string; readonly cancelled: boolean }
export interface ErrorFrame {
  readonly type: "error";
  readonly id: string;
  readonly message: string;
  readonly actions: readonly ErrorAction[];
}
export interface StatusFrame { readonly type: "status"; readonly status: EngineStatus }
export interface CitationsFrame { readonly type: "citations"; readonly id: string; readonly resolved: readonly string[] }
/** Puts text in the input box (Ask about selection / this file). */
export interface PrefillFrame { readonly type: "prefill"; readonly text: string }
export interface ClearedFrame { readonly type: "cleared" }
export interface ReadTranscriptRequest { readonly type: "readTranscript"; readonly id: string }
export interface ClickRequest { readonly type: "click"; readonly id: string; readonly selector: string }

export type HostMessage =
  | RestoreFrame
  | TurnStartFrame
  | TokenFrame
  | DoneFrame
  | ErrorFrame
  | StatusFrame
  | CitationsFrame
  | PrefillFrame
  | ClearedFrame
  | ReadTranscriptRequest
  | ClickRequest;

// ---- validation of untrusted input ------------------------------------------------------------------------------

const MAX_TEXT = 1_000_000;
/** Paths in one resolveCitations message; the page splits a longer list into several messages. */
export const MAX_CITATION_PATHS = 500;

function isText(v: unknown, max = MAX_TEXT): v is string {
  return typeof v === "string" && v.length <= max;
}

function isSnapshot(v: unknown): v is TranscriptSnapshot {
  if (typeof v !== "object" || v === null) return false;
  const s = v as { messages?: unknown; streaming?: unknown };
  return Array.isArray(s.messages) && typeof s.streaming === "boolean";
}

const webviewChecks: { readonly [K in WebviewMessage["type"]]: (m: Record<string, unknown>) => boolean } = {
  ready: () => true,
  ask: (m) => isText(m.question) && (m.question as string).trim().length > 0,
  cancel: (m) => isText(m.targetId, 200),
  newChat: () => true,
  openCitation: (m) => isText(m.path, 4096) && Number.isInteger(m.line) && (m.line as number) >= 1,
  resolveCitations: (m) =>
    Array.isArray(m.paths) && m.paths.length <= MAX_CITATION_PATHS && m.paths.every((p) => isText(p, 4096)),
  runAction: (m) => errorActions.includes(m.action as ErrorAction),
  copyText: (m) => isText(m.text),
  openLink: (m) => isText(m.url, 4096),
  transcript: (m) => isSnapshot(m.snapshot),
  clicked: (m) => typeof m.clicked === "boolean",
};

/** Narrows a message posted by the page; anything malformed or unknown gives undefined and is ignored. */
export function parseWebviewMessage(value: unknown): WebviewMessage | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  const m = value as Record<string, unknown>;
  if (typeof m.type !== "string" || !Object.hasOwn(webviewChecks, m.type) || !isText(m.id, 200)) return undefined;
  return webviewChecks[m.type as WebviewMessage["type"]](m) ? (m as unknown as WebviewMessage) : undefined;
}

/** A stored or restored message (from workspaceState, getState or a restore frame) has the expected shape. */
export function isChatMessage(value: unknown): value is ChatMessage {
  if (typeof value !== "object" || value === null) return false;
  const m = value as Record<string, unknown>;
  return (
    typeof m.id === "string" &&
    typeof m.text === "string" &&
    (m.role === "user" || m.role === "assistant" || m.role === "error") &&
    (m.actions === undefined || (Array.isArray(m.actions) && m.actions.every((a) => errorActions.includes(a as ErrorAction))))
  );
}

const hostTypes = new Set<HostMessage["type"]>([
  "restore", "turnStart", "token", "done", "error", "status", "citations", "prefill", "cleared", "readTranscript", "click",
]);

/** The page's guard on what arrives through `window.message` (anything can post to a window). */
export function isHostMessage(value: unknown): value is HostMessage {
  if (typeof value !== "object" || value === null) return false;
  return hostTypes.has((value as { type?: unknown }).type as HostMessage["type"]);
}
