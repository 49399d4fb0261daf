/**
 * The conversation: the extension side is its authority. Runs one question at a time through the engine service,
 * streams it to whatever page is listening, keeps the history per workspace and cancels through an AbortSignal.
 * No `vscode` import, so it runs in unit tests with the real engine service.
 */
import type { EngineStatus, RepoQaConfig, RepoQaService } from "../engine/api";
import type { AskResult, ChatTurn } from "../engine/protocol";
import { Disposable } from "../util/dispose";
import { RepoQaError, describeError, isAbortError, untrustedWorkspaceError } from "../util/errors";
import { isChatMessage, type ChatMessage, type ErrorAction, type HostMessage, type RestoreFrame } from "./protocol";

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
  readonly actionsFor: (error: unknown) => ErrorAction[];
  readonly onStatus?: (status: EngineStatus) => void;
  readonly onAnsweringChanged?: (answering: boolean) => void;
  readonly log?: (level: "info" | "error", message: string) => void;
}

const MESSAGES_KEY = "longropeQa.chat.messages";
const STATUS_KEY = "longropeQa.chat.lastReady";
/** Older messages are dropped from storage; the model sees the turns in the context anyway. */
const MAX_STORED_MESSAGES = 200;

interface CurrentTurn {
  readonly id: string;
  readonly controller: AbortController;
  text: string;
  finished: Promise<unknown>;
}

let counter = 0;
export function newTurnId(): string {
  return `h${Date.now().toString(36)}-${(counter++).toString(36)}`;
}

/** Pairs each question with the answer after it; errors and unanswered questions are left out. */
export function historyTurns(messages: readonly ChatMessage[]): ChatTurn[] {
  const turns: ChatTurn[] = [];
  for (let i = 0; i + 1 < messages.length; i++) {
    const q = messages[i]!;
    const a = messages[i + 1]!;
    if (q.role === "user" && a.role === "assistant" && a.text.trim()) turns.push({ question: q.text, answer: a.text });
  }
  return turns;
}

export class ChatSession extends Disposable {
  private messages: ChatMessage[];
  private current: CurrentTurn | undefined;
  private status: EngineStatus | undefined;

  constructor(private readonly deps: ChatSessionDeps) {
    super();
    const stored = deps.store.get<ChatMessage[]>(MESSAGES_KEY);
    this.messages = Array.isArray(stored) ? stored.filter(isChatMessage) : [];
    this.status = deps.store.get<EngineStatus>(STATUS_KEY);
    this._register({ dispose: () => this.current?.controller.abort() });
  }

  get answering(): boolean {
    return this.current !== undefined;
  }

  get transcript(): readonly ChatMessage[] {
    return this.messages;
  }

  /** Everything a freshly loaded page needs, including the answer still being generated. */
  snapshot(): RestoreFrame {
    const c = this.current;
    return {
      type: "restore",
      messages: this.messages,
      streaming: c ? { id: c.id, text: c.text } : undefined,
      status: this.status,
      trusted: this.deps.isTrusted(),
    };
  }

  /** Asks one question; a question already being answered is stopped first. Resolves when the turn has ended. */
  async ask(question: string, id = newTurnId()): Promise<AskResult | undefined> {
    if (this.current) {
      const previous = this.current;
      previous.controller.abort();
      await previous.finished;
    }
    if (this.isDisposed) return undefined;
    const controller = new AbortController();
    const turn: CurrentTurn = { id, controller, text: "", finished: Promise.resolve() };
    const history = historyTurns(this.messages);
    this.messages.push({ id: `${id}:q`, role: "user", text: question });
    this.current = turn;
    this.deps.onAnsweringChanged?.(true);
    this.deps.post({ type: "turnStart", id, question });
    const run = this.run(turn, question, history);
    turn.finished = run.catch(() => undefined);
    return run;
  }

  private async run(turn: CurrentTurn, question: string, history: ChatTurn[]): Promise<AskResult | undefined> {
    try {
      if (!this.deps.isTrusted()) throw untrustedWorkspaceError();
      const config = this.deps.readConfig(question);
      const result = await this.deps.service.ask(config, { question, history, maxTokens: this.deps.maxTokens?.() }, {
        signal: turn.controller.signal,
        onToken: (text) => {
          if (this.current !== turn) return;
          turn.text += text;
          this.deps.post({ type: "token", id: turn.id, text });
        },
        onStatus: (status) => this.setStatus(status),
      });
      this.finish(turn, result.text || turn.text, result.cancelled || turn.controller.signal.aborted);
      return result;
    } catch (error) {
      if (isAbortError(error) || turn.controller.signal.aborted) {
        this.finish(turn, turn.text, true);
        return undefined;
      }
      const message = describeError(error);
      const untrusted = error instanceof RepoQaError && error.code === "untrusted";
      const actions: ErrorAction[] = untrusted ? ["trustWorkspace"] : this.deps.actionsFor(error);
      this.deps.log?.("error", `Question failed: ${message}`);
      if (this.current !== turn) return undefined;
      this.end(turn, { id: `${turn.id}:e`, role: "error", text: message, actions });
      this.deps.post({ type: "error", id: turn.id, message, actions });
      return undefined;
    }
  }

  private finish(turn: CurrentTurn, text: string, cancelled: boolean): void {
    if (this.current !== turn) return;
    this.end(turn, { id: `${turn.id}:a`, role: "assistant", text, ...(cancelled ? { cancelled } : {}) });
    this.deps.post({ type: "done", id: turn.id, text, cancelled });
  }

  private end(turn: CurrentTurn, message: ChatMessage): void {
    if (this.current !== turn) return;
    this.current = undefined;
    this.messages.push(message);
    this.persist();
    this.deps.onAnsweringChanged?.(false);
  }

  /** Engine work the chat did not start (a re-ingest after an edit); ignored while a question runs. */
  reportStatus(status: EngineStatus): void {
    if (!this.current) this.setStatus(status);
  }

  private setStatus(status: EngineStatus): void {
    this.status = status;
    if (status.state === "ready") void this.deps.store.update(STATUS_KEY, status);
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
    if (this.current) {
      // The stopped turn's late frames are dropped: it no longer is the current one.
      this.current.controller.abort();
      this.current = undefined;
      this.deps.onAnsweringChanged?.(false);
    }
    this.messages = [];
    this.deps.service.newChat();
    this.persist();
    this.deps.post({ type: "cleared" });
  }

  private persist(): void {
    this.messages = this.messages.slice(-MAX_STORED_MESSAGES);
    void this.deps.store.update(MESSAGES_KEY, this.messages);
  }
}
