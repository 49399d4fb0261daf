/**
 * The conversation: the extension side is its authority. Runs one question at a time through the engine service,
 * streams it to whatever page is listening, keeps the history per workspace and cancels through an AbortSignal.
 * No `vscode` import, so it runs in unit tests with the real engine service.
 */
import type { AnswerContext, EngineStatus, RepoAnswer, RepoQaConfig, RepoQaService } from "../engine/api";
import type { AnswerReportTarget } from "../commands/reportModel";
import { Disposable } from "../util/dispose";
import { describeError, isAbortError, untrustedWorkspaceError } from "../util/errors";
import { Conversation } from "./conversation";
import { actionsFor } from "./errorActions";
import { presentError } from "./errorText";
import { MAX_LISTED_FILES, type AnswerCoverage, type Attachment, type ChatMessage, type HostMessage, type RestoreFrame } from "./protocol";
import { quoteForModel } from "./quote";
import { formatTokens } from "../util/formatTokens";

/** The part of `vscode.Memento` the session uses (`context.workspaceState`). */
export interface ChatStore {
  get<T>(key: string): T | undefined;
  update(key: string, value: unknown): PromiseLike<void>;
}

export interface ChatSessionDeps {
  readonly service: RepoQaService;
  readonly readConfig: (question?: string) => RepoQaConfig;
  /** Most tokens of one answer (`longropeQa.maxAnswerTokens`); default: the service's. */
  readonly maxTokens?: () => number;
  readonly store: ChatStore;
  /** Delivers a frame to the page if one is listening (dropped otherwise; `restore` catches a page up). */
  readonly post: (message: HostMessage) => void;
  readonly isTrusted: () => boolean;
  /** True in a remote window (code-server, SSH, WSL…): machine settings live in the Remote settings there. */
  readonly remote?: boolean;
  readonly onStatus?: (status: EngineStatus) => void;
  readonly onAnsweringChanged?: (answering: boolean) => void;
  /** After an answer completed (the walkthrough's "Ask your first question" step). */
  readonly onAnswered?: () => void;
  readonly log?: (level: "info" | "error", message: string) => void;
}

const MESSAGES_KEY = "longropeQa.chat.messages";
const STATUS_KEY = "longropeQa.chat.lastReady";

interface CurrentTurn {
  readonly id: string;
  readonly controller: AbortController;
  text: string;
  finished: Promise<unknown>;
}

let counter = 0;
export function newTurnId(prefix = "h"): string {
  return `${prefix}${Date.now().toString(36)}-${(counter++).toString(36)}`;
}

export class ChatSession extends Disposable {
  private readonly conversation: Conversation;
  private current: CurrentTurn | undefined;
  private status: EngineStatus | undefined;
  /** Bumped by every ask and New chat: an ask that waited for the previous turn runs only if nothing came after it. */
  private latestAsk = 0;

  constructor(private readonly deps: ChatSessionDeps) {
    super();
    this.conversation = new Conversation(deps.store.get(MESSAGES_KEY));
    this.status = deps.store.get<EngineStatus>(STATUS_KEY);
    this._register({ dispose: () => this.current?.controller.abort() });
  }

  get answering(): boolean {
    return this.current !== undefined;
  }

  get transcript(): readonly ChatMessage[] {
    return this.conversation.messages;
  }

  /** Everything a freshly loaded page needs, including the answer still being generated. */
  snapshot(): RestoreFrame {
    const c = this.current;
    return {
      type: "restore",
      messages: this.conversation.messages,
      streaming: c ? { id: c.id, text: c.text } : undefined,
      status: this.status,
      trusted: this.deps.isTrusted(),
    };
  }

  /**
   * Asks one question; a question already being answered is stopped first, and of two questions asked while it
   * stops, only the later one runs. Resolves when the turn has ended (undefined: it failed or was superseded).
   */
  async ask(question: string, id = newTurnId(), attachment?: Attachment): Promise<RepoAnswer | undefined> {
    const ticket = ++this.latestAsk;
    while (this.current) {
      const previous = this.current;
      previous.controller.abort();
      await previous.finished;
      if (ticket !== this.latestAsk) return undefined;
    }
    if (this.isDisposed || ticket !== this.latestAsk) return undefined;
    const turn: CurrentTurn = { id, controller: new AbortController(), text: "", finished: Promise.resolve() };
    const history = this.conversation.history();
    this.conversation.ask(id, question, attachment);
    this.current = turn;
    this.deps.onAnsweringChanged?.(true);
    this.deps.post({ type: "turnStart", id, question, ...(attachment ? { attachment } : {}) });
    const run = this.run(turn, quoteForModel(question, attachment), history);
    turn.finished = run.catch(() => undefined);
    return run;
  }

  /** Asks a failed turn's question again (after the user chose a model from its error). */
  retry(turnId: string): Promise<RepoAnswer | undefined> {
    const question = this.conversation.question(turnId);
    if (!question) return Promise.resolve(undefined);
    return this.ask(question.text, newTurnId(), question.attachment);
  }

  /** An answer's question and the files it read, for the context report opened from it. */
  answerReport(turnId: string): AnswerReportTarget | undefined {
    const coverage = this.conversation.answerTo(turnId)?.coverage;
    const question = this.conversation.question(turnId)?.text;
    return coverage && question !== undefined ? { question, ...coverage } : undefined;
  }

  /** A line from the extension in the conversation. */
  notice(text: string): void {
    const id = newTurnId("n");
    this.conversation.notice(id, text);
    this.persist();
    this.deps.post({ type: "notice", id, text });
  }

  private async run(turn: CurrentTurn, question: string, history: ReturnType<Conversation["history"]>): Promise<RepoAnswer | undefined> {
    const wanted = this.deps.maxTokens?.();
    try {
      if (!this.deps.isTrusted()) throw untrustedWorkspaceError();
      const config = this.deps.readConfig(question);
      const result = await this.deps.service.ask(config, { question, history, maxTokens: wanted }, {
        signal: turn.controller.signal,
        onToken: (text) => {
          if (this.current !== turn) return;
          turn.text += text;
          this.deps.post({ type: "token", id: turn.id, text });
        },
        onStatus: (status) => {
          if (this.current === turn) this.setStatus(status);
        },
      });
      const cancelled = result.cancelled || turn.controller.signal.aborted;
      this.finish(turn, result.text || turn.text, cancelled, result.context, wanted);
      if (!cancelled) this.deps.onAnswered?.();
      return result;
    } catch (error) {
      if (isAbortError(error) || turn.controller.signal.aborted) {
        this.finish(turn, turn.text, true);
        return undefined;
      }
      const message = presentError(describeError(error), { remote: this.deps.remote ?? false });
      this.deps.log?.("error", `Question failed: ${message}`);
      if (this.current !== turn) return undefined;
      const actions = actionsFor(error);
      this.conversation.fail(turn.id, message, actions, turn.text);
      this.end();
      this.deps.post({ type: "error", id: turn.id, message, actions, ...(turn.text.trim() ? { partial: turn.text } : {}) });
      return undefined;
    }
  }

  private finish(turn: CurrentTurn, text: string, cancelled: boolean, context?: AnswerContext, wanted?: number): void {
    if (this.current !== turn) return;
    const coverage = context && coverageOf(context);
    const notes = context ? notesOf(context, wanted) : [];
    this.conversation.answer(turn.id, text, { cancelled, coverage, notes: notes.length > 0 ? notes : undefined });
    this.end();
    this.deps.post({ type: "done", id: turn.id, text, cancelled, ...(coverage ? { coverage } : {}), ...(notes.length ? { notes } : {}) });
  }

  private end(): void {
    this.current = undefined;
    this.persist();
    this.deps.onAnsweringChanged?.(false);
  }

  /** Engine work the chat did not start (a re-ingest after an edit); ignored while a question runs. */
  reportStatus(status: EngineStatus): void {
    if (!this.current) this.setStatus(status);
  }

  private setStatus(status: EngineStatus): void {
    this.status = status;
    // A failure makes the last meter stale (it may describe another model): it is not restored after a reload.
    if (status.state === "ready" || status.state === "error") void this.deps.store.update(STATUS_KEY, status.state === "ready" ? status : undefined);
    this.deps.onStatus?.(status);
    this.deps.post({ type: "status", status });
  }

  /** Stops the answer being generated (or the one named); true when there was one. */
  stop(targetId?: string): boolean {
    const c = this.current;
    if (!c || (targetId !== undefined && targetId !== c.id)) return false;
    c.controller.abort();
    return true;
  }

  newChat(): void {
    this.latestAsk++;
    if (this.current) {
      // The stopped turn's late frames are dropped: it no longer is the current one.
      this.current.controller.abort();
      this.current = undefined;
      this.deps.onAnsweringChanged?.(false);
    }
    this.conversation.clear();
    this.persist();
    this.deps.post({ type: "cleared" });
    if (this.status?.state === "error") this.setStatus({ state: "idle" });
  }

  private persist(): void {
    void this.deps.store.update(MESSAGES_KEY, this.conversation.stored());
  }
}

export function coverageOf(context: AnswerContext): AnswerCoverage {
  return { read: context.filesRead.slice(0, MAX_LISTED_FILES), readCount: context.filesRead.length, total: context.filesTotal };
}

/** What was changed so the question fitted the window, in the user's words. */
export function notesOf(context: AnswerContext, wanted: number | undefined): string[] {
  const notes: string[] = [];
  const window = `${formatTokens(context.contextSize)}-token window`;
  if (context.droppedTurns > 0) {
    const turns = context.droppedTurns === 1 ? "the oldest earlier question" : `the ${context.droppedTurns} oldest earlier questions`;
    notes.push(`Left out ${turns} and answers so this one fits the model's ${window}.`);
  }
  if (wanted !== undefined && context.answerTokens < wanted) {
    notes.push(`The answer was limited to ${formatTokens(context.answerTokens)} tokens to fit the ${window}.`);
  }
  return notes;
}
