/**
 * The conversation as a list of messages, and the one id scheme for them. The extension (ChatSession, the authority,
 * persisted in workspaceState) and the page (media/chat.ts, restored from getState) apply the same frames to this
 * same store, so both ends hold the same messages under the same ids. Pure: no `vscode`, no DOM.
 */
import type { ChatTurn } from "../engine/protocol";
import { quoteForModel } from "./quote";
import {
  isChatMessage,
  type AnswerCoverage,
  type Attachment,
  type ChatMessage,
  type ErrorAction,
} from "./protocol";

/** A turn's id names its messages: the question, the answer, the error. */
export const messageIds = {
  question: (turnId: string) => `${turnId}:q`,
  answer: (turnId: string) => `${turnId}:a`,
  error: (turnId: string) => `${turnId}:e`,
  /** The turn a message belongs to (a notice is its own turn). */
  turnOf: (messageId: string) => messageId.replace(/:[qae]$/, ""),
};

export interface AnswerDetails {
  readonly cancelled?: boolean;
  readonly interrupted?: boolean;
  readonly coverage?: AnswerCoverage;
  readonly notes?: readonly string[];
}

/** Older messages are dropped from storage; the model never sees more than fits its window anyway. */
export const MAX_STORED_MESSAGES = 200;

export class Conversation {
  private list: ChatMessage[];

  constructor(messages: unknown = []) {
    this.list = Array.isArray(messages) ? messages.filter(isChatMessage) : [];
  }

  get messages(): readonly ChatMessage[] {
    return this.list;
  }

  question(turnId: string): ChatMessage | undefined {
    return this.list.find((m) => m.id === messageIds.question(turnId));
  }

  answerTo(turnId: string): ChatMessage | undefined {
    return this.list.find((m) => m.id === messageIds.answer(turnId));
  }

  ask(turnId: string, question: string, attachment?: Attachment): ChatMessage {
    return this.push({ id: messageIds.question(turnId), role: "user", text: question, ...(attachment ? { attachment } : {}) });
  }

  answer(turnId: string, text: string, details: AnswerDetails = {}): ChatMessage {
    const extras = Object.fromEntries(Object.entries(details).filter(([, v]) => v !== undefined && v !== false));
    return this.push({ id: messageIds.answer(turnId), role: "assistant", text, ...extras });
  }

  /** An error ends the turn; an answer already under way is kept, marked interrupted, before it. */
  fail(turnId: string, message: string, actions: readonly ErrorAction[], partial = ""): ChatMessage {
    if (partial.trim()) this.answer(turnId, partial, { interrupted: true });
    return this.push({ id: messageIds.error(turnId), role: "error", text: message, actions });
  }

  notice(id: string, text: string): ChatMessage {
    return this.push({ id, role: "notice", text });
  }

  clear(): void {
    this.list = [];
  }

  /** The messages worth storing: the newest MAX_STORED_MESSAGES. */
  stored(): ChatMessage[] {
    this.list = this.list.slice(-MAX_STORED_MESSAGES);
    return this.list;
  }

  /**
   * Earlier turns for the model, oldest first: each question (with its quoted attachment) and the complete answer
   * after it. Errors, notices and answers cut short by a failure are left out; a stopped answer stays (the user read it).
   */
  history(): ChatTurn[] {
    const turns: ChatTurn[] = [];
    for (const [i, q] of this.list.entries()) {
      const a = this.list[i + 1];
      if (q.role !== "user" || a?.role !== "assistant" || !a.text.trim() || a.interrupted) continue;
      turns.push({ question: quoteForModel(q.text, q.attachment), answer: a.text });
    }
    return turns;
  }

  private push(message: ChatMessage): ChatMessage {
    this.list.push(message);
    return message;
  }
}
