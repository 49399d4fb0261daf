/**
 * The conversation's DOM. Each message is an <article>; an answer's body is patched block by block: a top-level
 * block whose sanitized HTML did not change keeps its node, so streaming touches only the last block or two.
 */
import type { AnswerCoverage, Attachment, ChatMessage, ChatRole, ErrorAction } from "../src/chat/protocol";
import { messageIds } from "../src/chat/conversation";
import { attachmentLabel } from "../src/chat/quote";
import { linkCitations, renderMarkdown, type CitationState } from "./render";

const ROLE_LABEL: Record<ChatRole, string> = { user: "You", assistant: "LongRoPE QA", error: "Error", notice: "LongRoPE QA" };
export const ACTION_LABEL: Record<ErrorAction, string> = {
  chooseModel: "Choose model file…",
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

function el<K extends keyof HTMLElementTagNameMap>(tag: K, className: string, text?: string): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function button(text: string, className: string, title?: string): HTMLButtonElement {
  const b = el("button", className, text);
  b.type = "button";
  if (title) b.title = title;
  return b;
}

function decorateCodeBlocks(block: Node): void {
  const pres = block instanceof HTMLPreElement ? [block] : block instanceof Element ? Array.from(block.querySelectorAll("pre")) : [];
  for (const pre of pres) {
    const code = pre.querySelector("code");
    const lang = /language-([\w+#.-]+)/.exec(code?.className ?? "")?.[1] ?? "";
    const bar = el("div", "code-toolbar");
    bar.append(el("span", "", lang), button("Copy", "copy-code", "Copy code"));
    pre.prepend(bar);
  }
}

function roleLabel(message: Pick<ChatMessage, "role" | "cancelled" | "interrupted">): string {
  return ROLE_LABEL[message.role] + (message.interrupted ? " (interrupted)" : message.cancelled ? " (stopped)" : "");
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
    while (body.childNodes.length > fresh.length) body.lastChild?.remove();
    if (seen.size > 0) this.onCitations(seen);
  }

  add(message: ChatMessage, streaming = false): HTMLElement {
    const article = el("article", `message ${message.role}`);
    article.dataset.role = message.role;
    article.dataset.id = message.id;
    const body = el("div", "body");
    article.append(el("div", "role", roleLabel(message)));
    if (message.notes?.length) article.append(...message.notes.map((n) => el("p", "note", n)));
    article.append(body);
    if (message.role === "assistant") {
      this.patchBody(body, message.text);
      this.addAnswerFooter(article, message);
    } else {
      // Questions show exactly what was typed (markdown would turn __init__.py into bold "init"); errors are text.
      const p = el("p", "plain", message.text);
      body.append(p);
      if (message.role === "user") {
        if (message.attachment) body.prepend(this.attachmentChip(message.attachment));
        const paths = linkCitations(body, this.citationState);
        if (paths.size > 0) this.onCitations(paths);
      }
      if (message.role === "error") this.addActions(article, message.actions ?? [], messageIds.turnOf(message.id));
    }
    if (streaming) {
      article.classList.add("streaming");
      article.setAttribute("aria-busy", "true");
    }
    this.root.append(article);
    return article;
  }

  /** Ends streaming on an answer: the final text, its notes, files and buttons; the live region may announce it. */
  finish(article: HTMLElement, message: ChatMessage): void {
    const body = article.querySelector<HTMLElement>(".body");
    if (body) {
      this.patchBody(body, message.text);
      body.before(...(message.notes ?? []).map((n) => el("p", "note", n)));
    }
    article.classList.remove("streaming");
    article.removeAttribute("aria-busy");
    const label = article.querySelector(".role");
    if (label) label.textContent = roleLabel(message);
    article.querySelector(".answer-footer")?.remove();
    this.addAnswerFooter(article, message);
  }

  private attachmentChip(attachment: Attachment): HTMLElement {
    const chip = el("div", "attachment chip");
    chip.title = attachment.text === undefined ? "This file" : "The selected code is quoted for the model";
    chip.textContent = attachmentLabel(attachment);
    return chip;
  }

  private addAnswerFooter(article: HTMLElement, message: ChatMessage): void {
    if (article.classList.contains("streaming")) return;
    const footer = el("div", "answer-footer");
    if (message.coverage) footer.append(this.coverage(message.coverage, messageIds.turnOf(message.id)));
    const bar = el("div", "message-actions");
    const copy = button("Copy answer", "copy-answer secondary");
    copy.disabled = message.text.trim() === "";
    bar.append(copy);
    footer.append(bar);
    article.append(footer);
  }

  /** "Read 2 of 181 files" when the repository did not fit, and the files read as a collapsed list of links. */
  private coverage(coverage: AnswerCoverage, turnId: string): HTMLElement {
    const box = el("div", "coverage");
    if (coverage.readCount < coverage.total) {
      const line = el("p", "partial", `Read ${coverage.readCount} of ${coverage.total} files — `);
      const report = button("see the context report", "link");
      report.dataset.action = "showContextReport";
      report.dataset.turn = turnId;
      line.append(report);
      box.append(line);
    }
    const details = el("details", "files");
    details.append(el("summary", "", `Used ${coverage.readCount} ${coverage.readCount === 1 ? "file" : "files"}`));
    const list = el("ul", "");
    for (const path of coverage.read) {
      const link = el("a", "file-link", path);
      link.href = "#";
      link.dataset.path = path;
      link.title = `Open ${path}`;
      const item = el("li", "");
      item.append(link);
      list.append(item);
    }
    if (coverage.readCount > coverage.read.length) list.append(el("li", "more", `and ${coverage.readCount - coverage.read.length} more`));
    details.append(list);
    box.append(details);
    return box;
  }

  private addActions(article: HTMLElement, actions: readonly ErrorAction[], turnId: string): void {
    if (actions.length === 0) return;
    const bar = el("div", "message-actions");
    for (const action of actions) {
      if (!Object.hasOwn(ACTION_LABEL, action)) continue;
      const b = button(ACTION_LABEL[action], action === actions[0] ? "" : "secondary");
      b.dataset.action = action;
      b.dataset.turn = turnId;
      bar.append(b);
    }
    article.append(bar);
  }
}
