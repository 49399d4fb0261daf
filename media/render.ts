/**
 * Markdown → sanitized DOM for the chat page. Model output and repository text are untrusted: markdown-it runs with
 * raw HTML off and images off, and every fragment goes through DOMPurify (tags and URL schemes allow-listed) before
 * it is decorated with DOM APIs (citation links, copy buttons) and patched into the page.
 */
import DOMPurify, { type Config } from "dompurify";
import hljs from "highlight.js/lib/common";
import MarkdownIt from "markdown-it";

const HIGHLIGHT_CACHE_LIMIT = 300;
/** Guessing the language of a large unlabeled block costs more than it is worth on every streamed patch. */
const AUTO_DETECT_LIMIT = 4000;
const highlightCache = new Map<string, string>();

function highlight(code: string, lang: string): string {
  const key = `${lang}\u0000${code}`;
  const cached = highlightCache.get(key);
  if (cached !== undefined) return cached;
  let html = "";
  try {
    if (lang && hljs.getLanguage(lang)) html = hljs.highlight(code, { language: lang, ignoreIllegals: true }).value;
    else if (!lang && code.length <= AUTO_DETECT_LIMIT) html = hljs.highlightAuto(code).value;
  } catch {
    html = "";
  }
  if (highlightCache.size >= HIGHLIGHT_CACHE_LIMIT) highlightCache.delete(highlightCache.keys().next().value!);
  highlightCache.set(key, html);
  return html; // "" lets markdown-it escape the code itself
}

const md = new MarkdownIt({ html: false, linkify: true, breaks: false, highlight });
md.disable("image");

const purifyConfig: Config & { RETURN_DOM_FRAGMENT: true } = {
  ALLOWED_TAGS: [
    "p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li", "blockquote", "pre", "code", "span",
    "em", "strong", "s", "del", "a", "table", "thead", "tbody", "tr", "th", "td",
  ],
  ALLOWED_ATTR: ["href", "class", "title", "start"],
  ALLOWED_URI_REGEXP: /^(?:https?:|mailto:)/i,
  ALLOW_DATA_ATTR: false,
  RETURN_DOM_FRAGMENT: true,
};

/** Markdown text → a sanitized fragment (not yet in the document). */
export function renderMarkdown(text: string): DocumentFragment {
  return DOMPurify.sanitize(md.render(text), purifyConfig);
}

// ---- citations ----------------------------------------------------------------------------------------------------

/**
 * `path:line` or `path:line-line`; a path has a slash or a file extension. Not preceded by a path or URL char.
 * Absolute and `../` paths are candidates too: the extension, not this pattern, decides what is in the workspace.
 */
const CITATION = /(?<![\w/.@-])(\/?(?:[\w.@-]+\/)+[\w.@-]+|[\w@-][\w.@-]*\.[A-Za-z0-9]+):(\d{1,7})(?:-(\d{1,7}))?(?!\w)/g;

export interface CitationMatch {
  readonly index: number;
  readonly text: string;
  readonly path: string;
  readonly line: number;
}

export function findCitations(text: string): CitationMatch[] {
  const out: CitationMatch[] = [];
  for (const m of text.matchAll(CITATION)) {
    const line = Number(m[2]);
    if (line >= 1) out.push({ index: m.index, text: m[0], path: m[1]!, line });
  }
  return out;
}

export type CitationState = "ok" | "no" | "pending";

/** Builds the node for one citation: a link for a workspace file, a pending marker, or plain text. */
function citationNode(doc: Document, c: CitationMatch, state: CitationState): Node {
  if (state === "no") return doc.createTextNode(c.text);
  const el = doc.createElement(state === "ok" ? "a" : "span");
  el.className = state === "ok" ? "citation" : "citation pending";
  el.textContent = c.text;
  el.dataset.path = c.path;
  el.dataset.line = String(c.line);
  if (el instanceof HTMLAnchorElement) {
    el.href = "#";
    el.title = `Open ${c.path} at line ${c.line}`;
  }
  return el;
}

/** Turns citations in the text of `root` (outside links and code blocks) into nodes; returns the paths seen. */
export function linkCitations(root: Node, stateOf: (path: string) => CitationState): Set<string> {
  const doc = root.ownerDocument ?? document;
  const seen = new Set<string>();
  const walker = doc.createTreeWalker(root, NodeFilter.SHOW_TEXT, {
    acceptNode: (n) => (n.parentElement?.closest("a, pre") ? NodeFilter.FILTER_REJECT : NodeFilter.FILTER_ACCEPT),
  });
  const texts: Text[] = [];
  for (let n = walker.nextNode(); n; n = walker.nextNode()) texts.push(n as Text);
  for (const textNode of texts) {
    const text = textNode.data;
    const found = findCitations(text);
    if (found.length === 0) continue;
    const frag = doc.createDocumentFragment();
    let at = 0;
    for (const c of found) {
      seen.add(c.path);
      frag.append(text.slice(at, c.index), citationNode(doc, c, stateOf(c.path)));
      at = c.index + c.text.length;
    }
    frag.append(text.slice(at));
    textNode.replaceWith(frag);
  }
  return seen;
}

/** After the extension has answered: pending markers for `path` become links or plain text. */
export function settleCitations(root: ParentNode, path: string, ok: boolean): void {
  for (const el of Array.from(root.querySelectorAll<HTMLElement>("span.citation.pending"))) {
    if (el.dataset.path !== path) continue;
    const match: CitationMatch = { index: 0, text: el.textContent ?? "", path, line: Number(el.dataset.line) };
    el.replaceWith(citationNode(el.ownerDocument, match, ok ? "ok" : "no"));
  }
}
