// What the tests read back from the chat page's and the context report's DOM, as a user sees them. Plain functions
// run inside the page (Playwright serializes them): the unit tests' Chromium page and, through the integration
// runner's page driver, the real webview in the workbench. CommonJS so both tsx (unit) and the .mjs runner load it.
"use strict";

/** The chat transcript: every message's role, text (toolbars left out), citation links, notes and files read. */
function readTranscript() {
  const articles = Array.from(document.querySelectorAll("#transcript article.message"));
  const text = (el) => (el ? Array.from(el.childNodes, (n) => (n.textContent || "").trim()).filter(Boolean).join("\n") : "");
  return {
    streaming: articles.some((a) => a.classList.contains("streaming")),
    welcome: !document.getElementById("welcome").hidden,
    messages: articles.map((a) => {
      const body = a.querySelector(".body").cloneNode(true);
      body.querySelectorAll(".code-toolbar").forEach((t) => t.remove());
      const links = Array.from(a.querySelectorAll(".body a.citation")).map((l) => ({
        text: l.textContent || "",
        path: l.dataset.path || "",
        line: Number(l.dataset.line),
      }));
      const coverage = a.querySelector(".coverage");
      return {
        id: a.dataset.id,
        role: a.dataset.role,
        label: (a.querySelector(".role") || {}).textContent || "",
        text: text(body),
        links,
        notes: Array.from(a.querySelectorAll(".note"), (n) => n.textContent || ""),
        actions: Array.from(a.querySelectorAll(".message-actions button"), (b) => ({ text: b.textContent || "", disabled: b.disabled })),
        coverage: coverage
          ? {
              partial: (coverage.querySelector(".partial") || {}).textContent || "",
              summary: (coverage.querySelector("summary") || {}).textContent || "",
              files: Array.from(coverage.querySelectorAll("a.file-link"), (l) => l.dataset.path || ""),
            }
          : undefined,
      };
    }),
  };
}

/** The chat's composer and welcome view: what a new user sees first. */
function readComposer() {
  const input = document.getElementById("question");
  const welcome = document.getElementById("welcome");
  return {
    value: input.value,
    focused: document.hasFocus() && document.activeElement === input,
    chips: Array.from(document.querySelectorAll("#chips .chip > span"), (c) => c.textContent || ""),
    welcome: welcome.hidden ? undefined : {
      text: welcome.innerText,
      examples: Array.from(welcome.querySelectorAll("button.example"), (b) => b.textContent || ""),
      buttons: Array.from(welcome.querySelectorAll("button[data-action]"), (b) => b.textContent || ""),
    },
    meter: document.getElementById("meter").hidden ? "" : document.getElementById("meter").innerText,
  };
}

/** Starts recording every non-empty text the streaming answer shows (read back with takeStreamed). */
function observeStreaming() {
  const seen = (window.__lrqStreamed = new Set());
  const record = () => {
    const body = document.querySelector("#transcript article.streaming .body");
    const text = body && (body.textContent || "").trim();
    if (text) seen.add(text);
  };
  window.__lrqObserver?.disconnect();
  window.__lrqObserver = new MutationObserver(record);
  window.__lrqObserver.observe(document.getElementById("transcript"), { childList: true, subtree: true, characterData: true });
}

function takeStreamed() {
  window.__lrqObserver?.disconnect();
  return Array.from(window.__lrqStreamed || []);
}

/** The context report view: its summary rows, folders (with token totals) and files. */
function readReport() {
  const rows = (sel) => Array.from(document.querySelectorAll(sel), (r) => r.innerText.replace(/\s+/g, " ").trim());
  return {
    busy: !document.getElementById("busy").hidden,
    title: (document.querySelector("h1") || {}).textContent || "",
    forAnswer: (document.querySelector(".for-answer") || {}).textContent || "",
    figures: rows(".figures li"),
    summary: rows(".summary tr"),
    folders: Array.from(document.querySelectorAll("details.folder"), (d) => ({
      path: d.dataset.path || "",
      label: (d.querySelector(":scope > summary") || {}).innerText || "",
      open: d.open,
    })),
    files: Array.from(document.querySelectorAll(".tree a.file-link"), (a) => a.dataset.path || ""),
    // textContent: a folded reason group still lists its files.
    leftOut: Array.from(document.querySelectorAll(".left-out li"), (r) => (r.textContent || "").replace(/\s+/g, " ").trim()),
  };
}

module.exports = { readTranscript, readComposer, observeStreaming, takeStreamed, readReport };
