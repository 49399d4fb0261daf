/**
 * The conversation's DOM. Each message is an <article>; an answer's body is patched block by block: a top-level
 * block whose sanitized HTML did not change keeps its node, so streaming touches only the last block or two.
 */
import type { ChatMessage, ChatRole, ErrorAction, TranscriptSnapshot } from "../src/chat/protocol";
import { linkCitations, renderMarkdown, type CitationState } from "./render";

const ROLE_LABEL: Record<ChatRole, string> = { user: "You", assistant: "LongRoPE QA", error: "Error" };
const ACTION_LABEL: Record<ErrorAction, string> = {
  chooseModel: "Choose model file",
  openSettings: "Open settings",
  showContextReport: "Show context report",
  openLogs: "Open logs",
  trustWorkspace: "Manage Workspace Trust",
};

/** The sanitized HTML each kept block was rendered from (its DOM is decorated afterwards, so it is not comparable). */
const blockSource = new WeakMap<Node, string>();

function sourceOf(node: Node): string {
  return node instanceof Element ? node.outerHTML : `#${node.nodeType}:${node.textContent ?? ""}`;
}

function decorateCodeBlocks(block: Node): void {
  const pres = block instanceof HTMLPreElement ? [block] : block instanceof Element ? Array.from(block.querySelectorAll("pre")) : [];
  for (const pre of pres) {
    const code = pre.querySelector("code");
    const lang = /language-([\w+#.-]+)/.exec(code?.className ?? "")?.[1] ?? "";
    const bar = document.createElement("div");
    bar.className = "code-toolbar";
    const label = document.createElement("span");
    label.textContent = lang;
    const copy = document.createElement("button");
    copy.type = "button";
    copy.className = "copy-code";
    copy.textContent = "Copy";
    copy.title = "Copy code";
    bar.append(label, copy);
    pre.prepend(bar);
  }
}

export class Transcript {
  constructor(
    private readonly root: HTMLElement,
    private readonly citationState: (path: string) => CitationState,
    /** Paths that are neither known good nor known bad yet: the page asks the extension about them. */
    private readonly onCitations: (paths: Set<string>) => void,
  ) {}

  clear(): void {
    this.root.replaceChildren();
  }

  /** Renders `text` as markdown into an existing body, replacing only the blocks that changed. */
  patchBody(body: HTMLElement, text: string): void {
    const fresh = Array.from(renderMarkdown(text).childNodes);
    const seen = new Set<string>();
    fresh.forEach((node, i) => {
      const html = sourceOf(node);
      const old = body.childNodes[i];
      if (old && blockSource.get(old) === html) return;
      blockSource.set(node, html);
      linkCitations(node, this.citationState).forEach((p) => seen.add(p));
      decorateCodeBlocks(node);
      if (old) old.replaceWith(node);
      else body.append(node);
    });
    while (body.childNodes.length > fresh.length) body.lastChild!.remove();
    if (seen.size > 0) this.onCitations(seen);
  }

  add(message: ChatMessage, streaming = false): HTMLElement {
    const article = document.createElement("article");
    article.className = `message ${message.role}`;
    article.dataset.role = message.role;
    article.dataset.id = message.id;
    const label = document.createElement("div");
    label.className = "role";
    label.textContent = ROLE_LABEL[message.role] + (message.cancelled ? " (stopped)" : "");
    const body = document.createElement("div");
    body.className = "body";
    article.append(label, body);
    if (message.role === "assistant") {
      this.patchBody(body, message.text);
    } else {
      // Questions show exactly what was typed (markdown would turn __init__.py into bold "init"); errors are text.
      const p = document.createElement("p");
      p.className = "plain";
      p.textContent = message.text;
      body.append(p);
      if (message.role === "user") {
        const paths = linkCitations(p, this.citationState);
        if (paths.size > 0) this.onCitations(paths);
      }
      if (message.role === "error") this.addActions(article, message.actions ?? []);
    }
    if (message.role === "assistant") this.addAnswerActions(article);
    if (streaming) {
      article.classList.add("streaming");
      article.setAttribute("aria-busy", "true");
    }
    this.root.append(article);
    return article;
  }

  /** Ends streaming on an answer: the final text, its buttons, and the live region may announce it. */
  finish(article: HTMLElement, text: string, cancelled: boolean): void {
    this.patchBody(article.querySelector<HTMLElement>(".body")!, text);
    article.classList.remove("streaming");
    article.removeAttribute("aria-busy");
    if (cancelled) article.querySelector(".role")!.textContent = `${ROLE_LABEL.assistant} (stopped)`;
  }

  private addAnswerActions(article: HTMLElement): void {
    const bar = document.createElement("div");
    bar.className = "message-actions";
    const copy = document.createElement("button");
    copy.type = "button";
    copy.className = "copy-answer secondary";
    copy.textContent = "Copy answer";
    bar.append(copy);
    article.append(bar);
  }

  private addActions(article: HTMLElement, actions: readonly ErrorAction[]): void {
    if (actions.length === 0) return;
    const bar = document.createElement("div");
    bar.className = "message-actions";
    for (const action of actions) {
      if (!Object.hasOwn(ACTION_LABEL, action)) continue;
      const button = document.createElement("button");
      button.type = "button";
      button.dataset.action = action;
      button.textContent = ACTION_LABEL[action];
      bar.append(button);
    }
    article.append(bar);
  }

  /** What the integration tests read: the text as shown (without toolbars), and the citation links. */
  snapshot(): TranscriptSnapshot {
    const articles = Array.from(this.root.querySelectorAll<HTMLElement>("article.message"));
    return {
      streaming: articles.some((a) => a.classList.contains("streaming")),
      messages: articles.map((a) => {
        const body = a.querySelector(".body")!.cloneNode(true) as HTMLElement;
        body.querySelectorAll(".code-toolbar").forEach((t) => t.remove());
        const links = Array.from(a.querySelectorAll<HTMLAnchorElement>("a.citation")).map((l) => ({
          text: l.textContent ?? "",
          path: l.dataset.path ?? "",
          line: Number(l.dataset.line),
        }));
        const text = Array.from(body.childNodes, (n) => (n.textContent ?? "").trim()).filter(Boolean).join("\n");
        return { role: a.dataset.role as ChatRole, text, links };
      }),
    };
  }
}
