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

/** Markdown text → a sanitized fragment (not yet in the document), invisible characters made visible. */
export function renderMarkdown(text: string): DocumentFragment {
  const fragment = DOMPurify.sanitize(md.render(text), purifyConfig);
  revealInvisibleCharacters(fragment);
  return fragment;
}

// ---- invisible and bidirectional-control characters ---------------------------------------------------------------

/**
 * Bidi controls reorder what is displayed without changing what is copied or opened (Trojan Source): an RLO before a
 * citation made the link read `1:st.png` while it opened `gnp.ts`; a code block showing `rm -rf ./build ‮/ # tmp` copied
 * as something else. Zero-width characters hide text the same way. Like VS Code's editor, the page shows each one as a
 * visible marker (`U+202E`) instead of applying it, in prose, code and link labels alike.
 */
const INVISIBLE_CHARS = /[\u061C\u200B-\u200F\u202A-\u202E\u2060-\u2064\u2066-\u2069\uFEFF]/g;
const INVISIBLE_NAMES: Readonly<Record<string, string>> = {
  "\u202A": "left-to-right embedding", "\u202B": "right-to-left embedding", "\u202C": "pop directional formatting",
  "\u202D": "left-to-right override", "\u202E": "right-to-left override", "\u2066": "left-to-right isolate",
  "\u2067": "right-to-left isolate", "\u2068": "first strong isolate", "\u2069": "pop directional isolate",
  "\u200E": "left-to-right mark", "\u200F": "right-to-left mark", "\u061C": "Arabic letter mark",
  "\u200B": "zero width space", "\u200C": "zero width non-joiner", "\u200D": "zero width joiner",
  "\u2060": "word joiner", "\uFEFF": "zero width no-break space",
};

/** Replaces every invisible or bidi-control character under `root` by a visible marker; returns how many. */
export function revealInvisibleCharacters(root: Node): number {
  const doc = root.ownerDocument ?? document;
  const walker = doc.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  const texts: Text[] = [];
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    INVISIBLE_CHARS.lastIndex = 0;
    if (INVISIBLE_CHARS.test((n as Text).data)) texts.push(n as Text);
  }
  let revealed = 0;
  for (const textNode of texts) {
    const frag = doc.createDocumentFragment();
    let at = 0;
    for (const m of textNode.data.matchAll(INVISIBLE_CHARS)) {
      const code = `U+${m[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0")}`;
      const marker = doc.createElement("span");
      marker.className = "invisible-char";
      marker.textContent = code;
      marker.title = `${code} ${INVISIBLE_NAMES[m[0]] ?? "invisible character"}: shown because it can hide or reorder text`;
      frag.append(textNode.data.slice(at, m.index), marker);
      at = m.index + m[0].length;
      revealed++;
    }
    frag.append(textNode.data.slice(at));
    textNode.replaceWith(frag);
  }
  return revealed;
}

// ---- citations ----------------------------------------------------------------------------------------------------

/**
 * `path:line` or `path:line-line`; a path has a slash or a file extension. Not preceded by a path or URL char.
 * Absolute and `../` paths are candidates too: the extension, not this pattern, decides what is in the workspace. A
 * file name may start with dots (`.eslintrc.js`, `..hidden.ts`).
 */
const CITATION = /(?<![\w/.@-])(\/?(?:[\w.@-]+\/)+[\w.@-]+|\.{0,2}[\w@-][\w.@-]*\.[A-Za-z0-9]+):(\d{1,7})(?:-(\d{1,7}))?(?!\w)/g;

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
  // The label is the path it opens; `dir` isolates it so surrounding right-to-left text cannot reorder it.
  el.textContent = c.text;
  el.dir = "ltr";
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
