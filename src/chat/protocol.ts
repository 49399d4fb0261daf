/**
 * The one protocol between the extension host and the chat webview (`media/chat.ts`), split by direction.
 *
 * Same shape as the engine protocol (src/engine/protocol.ts): every request carries an `id`; an answer streams as
 * `token` frames with the turn's id and ends with exactly one `done` or `error` frame; a `cancel` naming the id
 * aborts it, and a cancelled turn still ends with `done` (`cancelled: true`). The extension is the authority on the
 * conversation: every turn, also one the webview asked for, starts with a `turnStart` frame, and both ends apply the
 * frames to the same store (./conversation.ts).
 *
 * Both ends treat what they receive as untrusted: messages are validated here and unknown types are ignored.
 * No `vscode` import: the webview bundle imports this file too. Nothing here exists for tests only: the integration
 * suite reads and clicks the page through the browser (test/integration/lib/pageDriver.mjs).
 */
import type { EngineStatus } from "../engine/api";

export type ChatRole = "user" | "assistant" | "error" | "notice";

/** What an error's action button does; the extension maps each to a fixed command (never a URI from the page). */
export type ErrorAction = "chooseModel" | "openSettings" | "showContextReport" | "openLogs" | "trustWorkspace";
export const errorActions: readonly ErrorAction[] = [
  "chooseModel",
  "openSettings",
  "showContextReport",
  "openLogs",
  "trustWorkspace",
];

/** Code (or a whole file) a question is about, shown as a chip; the extension quotes it for the model. */
export interface Attachment {
  /** As the model cites it (workspace-relative), or a file name for files outside the workspace. */
  readonly path: string;
  /** 1-based, inclusive; absent for a whole file. */
  readonly firstLine?: number;
  readonly lastLine?: number;
  readonly languageId?: string;
  /** The selected text; absent for a whole file (the file is in the prompt anyway). */
  readonly text?: string;
}

/** Which files one answer was read from. */
export interface AnswerCoverage {
  /** Files in the prompt, at most `MAX_LISTED_FILES` of them. */
  readonly read: readonly string[];
  readonly readCount: number;
  /** Files that would have been read had the repository fitted (read + left out for the token budget). */
  readonly total: number;
}
export const MAX_LISTED_FILES = 300;

export interface ChatMessage {
  readonly id: string;
  readonly role: ChatRole;
  readonly text: string;
  /** Buttons under an error message. */
  readonly actions?: readonly ErrorAction[];
  /** An answer the user stopped. */
  readonly cancelled?: boolean;
  /** An answer cut short by a failure (the error follows it). */
  readonly interrupted?: boolean;
  readonly attachment?: Attachment;
  readonly coverage?: AnswerCoverage;
  /** What the extension changed to make the question fit (earlier turns left out, a shorter answer). */
  readonly notes?: readonly string[];
}

/** The answer being generated when the page (re)loads. */
export interface StreamingTurn {
  readonly id: string;
  readonly text: string;
}

/** What the empty chat shows: the model it will use and what it will read. */
export interface WelcomeInfo {
  /** File name of the configured model, or undefined for "no model yet" (the default downloads on first use). */
  readonly modelFile?: string;
  /** The model's own window in tokens (GGUF metadata), when it could be read without loading the model. */
  readonly contextSize?: number;
  /** Why the configured model cannot be described (missing file, not a GGUF). */
  readonly modelProblem?: string;
  /** The default model downloaded when none is set, e.g. "Phi-4-mini-instruct (128k context, about 2.5 GB)". */
  readonly defaultModel: string;
  /** The workspace folders' names. */
  readonly folders: readonly string[];
  /** Glob patterns from longropeQa.include (empty: everything). */
  readonly include: readonly string[];
}

// ---- webview → extension ---------------------------------------------------------------------------------------

/** Sent once the page has its listeners; the extension answers with `restore`. */
export interface ReadyMessage { readonly type: "ready"; readonly id: string }
export interface AskMessage {
  readonly type: "ask";
  readonly id: string;
  readonly question: string;
  readonly attachment?: Attachment;
}
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
/** A button under an error (or in the welcome view); `turnId` names the failed turn, asked again once the action worked. */
export interface RunActionMessage {
  readonly type: "runAction";
  readonly id: string;
  readonly action: ErrorAction;
  readonly turnId?: string;
}
export interface CopyTextMessage { readonly type: "copyText"; readonly id: string; readonly text: string }
/** An http(s) link in an answer; the extension opens it through VS Code's trusted-domain prompt. */
export interface OpenLinkMessage { readonly type: "openLink"; readonly id: string; readonly url: string }

export type WebviewMessage =
  | ReadyMessage
  | AskMessage
  | CancelMessage
  | NewChatMessage
  | OpenCitationMessage
  | ResolveCitationsMessage
  | RunActionMessage
  | CopyTextMessage
  | OpenLinkMessage;

// ---- extension → webview ---------------------------------------------------------------------------------------

export interface RestoreFrame {
  readonly type: "restore";
  readonly messages: readonly ChatMessage[];
  readonly streaming?: StreamingTurn;
  readonly status?: EngineStatus;
  /** False in Restricted Mode: the page explains why nothing is read. */
  readonly trusted: boolean;
  readonly welcome?: WelcomeInfo;
}
export interface TurnStartFrame {
  readonly type: "turnStart";
  readonly id: string;
  readonly question: string;
  readonly attachment?: Attachment;
}
export interface TokenFrame { readonly type: "token"; readonly id: string; readonly text: string }
/** Ends a turn; `text` is the whole answer (authoritative over the streamed tokens). */
export interface DoneFrame {
  readonly type: "done";
  readonly id: string;
  readonly text: string;
  readonly cancelled: boolean;
  readonly coverage?: AnswerCoverage;
  readonly notes?: readonly string[];
}
export interface ErrorFrame {
  readonly type: "error";
  readonly id: string;
  readonly message: string;
  readonly actions: readonly ErrorAction[];
  /** The part of the answer generated before the failure; kept and marked interrupted. */
  readonly partial?: string;
}
/** A line from the extension in the conversation (e.g. "Model set to … Asking again."). */
export interface NoticeFrame { readonly type: "notice"; readonly id: string; readonly text: string }
export interface StatusFrame { readonly type: "status"; readonly status: EngineStatus }
export interface CitationsFrame { readonly type: "citations"; readonly id: string; readonly resolved: readonly string[] }
/** Puts text or an attachment chip in the composer (Ask about selection / this file) and focuses it. */
export interface PrefillFrame { readonly type: "prefill"; readonly text?: string; readonly attachment?: Attachment }
/** Moves the keyboard focus to the question box (the view was opened or the ask command ran). */
export interface FocusFrame { readonly type: "focus" }
export interface WelcomeFrame { readonly type: "welcome"; readonly welcome: WelcomeInfo }
export interface ClearedFrame { readonly type: "cleared" }

export type HostMessage =
  | RestoreFrame
  | TurnStartFrame
  | TokenFrame
  | DoneFrame
  | ErrorFrame
  | NoticeFrame
  | StatusFrame
  | CitationsFrame
  | PrefillFrame
  | FocusFrame
  | WelcomeFrame
  | ClearedFrame;

// ---- validation of untrusted input ------------------------------------------------------------------------------

const MAX_TEXT = 1_000_000;
/** Longest selection quoted into a question (the whole file is in the prompt anyway). */
export const MAX_QUOTE = 4000;
/** Paths in one resolveCitations message; the page splits a longer list into several messages. */
export const MAX_CITATION_PATHS = 500;

function isText(v: unknown, max = MAX_TEXT): v is string {
  return typeof v === "string" && v.length <= max;
}

function isLine(v: unknown): v is number {
  return Number.isInteger(v) && (v as number) >= 1;
}

export function isAttachment(v: unknown): v is Attachment {
  if (typeof v !== "object" || v === null) return false;
  const a = v as Record<string, unknown>;
  const lines = a.firstLine === undefined ? a.lastLine === undefined : isLine(a.firstLine) && isLine(a.lastLine) && a.lastLine >= a.firstLine;
  return (
    isText(a.path, 4096) && (a.path as string).length > 0 && lines &&
    (a.languageId === undefined || isText(a.languageId, 100)) &&
    (a.text === undefined || isText(a.text, MAX_QUOTE + 100))
  );
}

const webviewChecks: { readonly [K in WebviewMessage["type"]]: (m: Record<string, unknown>) => boolean } = {
  ready: () => true,
  ask: (m) => isText(m.question) && (m.question.trim().length > 0 || m.attachment !== undefined) &&
    (m.attachment === undefined || isAttachment(m.attachment)),
  cancel: (m) => isText(m.targetId, 200),
  newChat: () => true,
  openCitation: (m) => isText(m.path, 4096) && isLine(m.line),
  resolveCitations: (m) =>
    Array.isArray(m.paths) && m.paths.length <= MAX_CITATION_PATHS && m.paths.every((p) => isText(p, 4096)),
  runAction: (m) => errorActions.includes(m.action as ErrorAction) && (m.turnId === undefined || isText(m.turnId, 200)),
  copyText: (m) => isText(m.text),
  openLink: (m) => isText(m.url, 4096),
};

/** Narrows a message posted by the page; anything malformed or unknown gives undefined and is ignored. */
export function parseWebviewMessage(value: unknown): WebviewMessage | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  const m = value as Record<string, unknown>;
  if (typeof m.type !== "string" || !Object.hasOwn(webviewChecks, m.type) || !isText(m.id, 200)) return undefined;
  return webviewChecks[m.type as WebviewMessage["type"]](m) ? (m as unknown as WebviewMessage) : undefined;
}

/** The link an answer may open outside VS Code: http(s) only (no `command:`, `file:`, `vscode:` or `javascript:`). */
export function externalLink(url: string): URL | undefined {
  try {
    const parsed = new URL(url);
    return parsed.protocol === "https:" || parsed.protocol === "http:" ? parsed : undefined;
  } catch {
    return undefined;
  }
}

const roles = new Set<unknown>(["user", "assistant", "error", "notice"]);

/** A stored or restored message (from workspaceState, getState or a restore frame) has the expected shape. */
export function isChatMessage(value: unknown): value is ChatMessage {
  if (typeof value !== "object" || value === null) return false;
  const m = value as Record<string, unknown>;
  return (
    typeof m.id === "string" &&
    typeof m.text === "string" &&
    roles.has(m.role) &&
    (m.actions === undefined || (Array.isArray(m.actions) && m.actions.every((a) => errorActions.includes(a as ErrorAction)))) &&
    (m.attachment === undefined || isAttachment(m.attachment)) &&
    (m.notes === undefined || (Array.isArray(m.notes) && m.notes.every((n) => typeof n === "string"))) &&
    (m.coverage === undefined || isCoverage(m.coverage))
  );
}

function isCoverage(v: unknown): v is AnswerCoverage {
  if (typeof v !== "object" || v === null) return false;
  const c = v as Record<string, unknown>;
  return Array.isArray(c.read) && c.read.every((p) => typeof p === "string") && Number.isInteger(c.readCount) && Number.isInteger(c.total);
}

const hostTypes = new Set<HostMessage["type"]>([
  "restore", "turnStart", "token", "done", "error", "notice", "status", "citations", "prefill", "focus", "welcome", "cleared",
]);

/** The page's guard on what arrives through `window.message` (anything can post to a window). */
export function isHostMessage(value: unknown): value is HostMessage {
  if (typeof value !== "object" || value === null) return false;
  return hostTypes.has((value as { type?: unknown }).type as HostMessage["type"]);
}
