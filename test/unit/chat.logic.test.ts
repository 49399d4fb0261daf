/**
 * The chat's pure parts, no model or browser: the conversation store both ends share, the page handshake, what the
 * page may post (and which links may open), error wording for VS Code, the file-watcher filter, the conversation fit.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Conversation, MAX_STORED_MESSAGES, messageIds } from "../../src/chat/conversation";
import { notesOf } from "../../src/chat/chatSession";
import { actionsFor } from "../../src/chat/errorActions";
import { presentError } from "../../src/chat/errorText";
import { PageLink } from "../../src/chat/pageLink";
import { externalLink, isChatMessage, parseWebviewMessage } from "../../src/chat/protocol";
import { minAnswerTokens, planConversation, templateTokens } from "../../src/engine/conversationFit";
import { RepoQaError } from "../../src/util/errors";
import { isWorkspaceNoise } from "../../src/util/workspaceNoise";

describe("the conversation store", () => {
  it("spells each message's id from its turn's, on both ends", () => {
    const c = new Conversation();
    c.ask("t1", "Who?");
    c.answer("t1", "Lily.");
    c.fail("t2", "Boom.", ["openLogs"]);
    assert.deepEqual(c.messages.map((m) => m.id), ["t1:q", "t1:a", "t2:e"]);
    assert.equal(messageIds.turnOf("t2:e"), "t2");
    assert.equal(messageIds.turnOf(messageIds.answer("w1-2")), "w1-2");
  });

  it("keeps an interrupted answer before the error, and leaves it out of the model's history", () => {
    const c = new Conversation();
    c.ask("t1", "Q1");
    c.answer("t1", "A1");
    c.ask("t2", "Q2");
    c.fail("t2", "The engine stopped.", ["openLogs"], "half an ans");
    assert.deepEqual(c.messages.slice(-2).map((m) => [m.role, m.text, m.interrupted]), [["assistant", "half an ans", true], ["error", "The engine stopped.", undefined]]);
    c.ask("t3", "Q3");
    c.answer("t3", "A3 (stopped)", { cancelled: true });
    assert.deepEqual(c.history(), [{ question: "Q1", answer: "A1" }, { question: "Q3", answer: "A3 (stopped)" }]);
  });

  it("gives the model the attached code with the question", () => {
    const c = new Conversation();
    c.ask("t1", "Why?", { path: "a.ts", firstLine: 2, lastLine: 2, languageId: "ts", text: "x()" });
    c.answer("t1", "Because.");
    assert.equal(c.history()[0]?.question, "About a.ts:2:\n```ts\nx()\n```\nWhy?");
  });

  it("drops malformed stored messages and keeps the newest MAX_STORED_MESSAGES", () => {
    const c = new Conversation([{ id: "a", role: "user", text: "ok" }, { id: 1, role: "user" }, { id: "b", role: "system", text: "x" }, null]);
    assert.equal(c.messages.length, 1);
    for (let i = 0; i < MAX_STORED_MESSAGES + 10; i++) c.notice(`n${i}`, "x");
    assert.equal(c.stored().length, MAX_STORED_MESSAGES);
    assert.equal(c.messages[0]?.id, "n10");
    assert.equal(isChatMessage({ id: "x", role: "assistant", text: "", coverage: { read: ["a"], readCount: 1, total: "2" } }), false);
  });
});

describe("the page handshake", () => {
  it("holds frames until the page speaks, and wakes waiters; a timeout says false", async () => {
    const link = new PageLink();
    assert.equal(link.isReady, false);
    const early = link.whenReady(60_000);
    const late = new PageLink().whenReady(1);
    link.heard();
    assert.equal(await early, true);
    assert.equal(await late, false);
    assert.equal(link.isReady, true);
    link.reset();
    assert.equal(link.isReady, false, "a reloaded page must say ready again");
  });
});

describe("what the page may post", () => {
  it("accepts well-formed messages and refuses the rest", () => {
    assert.deepEqual(parseWebviewMessage({ type: "ask", id: "1", question: "Hi" }), { type: "ask", id: "1", question: "Hi" });
    const withChip = { type: "ask", id: "1", question: "", attachment: { path: "a.ts", firstLine: 1, lastLine: 3, text: "x" } };
    assert.deepEqual(parseWebviewMessage(withChip), withChip, "an attachment alone is a question");
    for (const bad of [
      null, "ask", { type: "ask", id: "1", question: "  " }, { type: "ask", id: 1, question: "Hi" },
      { type: "ask", id: "1", question: "Hi", attachment: { path: "a", firstLine: 5, lastLine: 2 } },
      { type: "ask", id: "1", question: "Hi", attachment: { path: "a", text: "y".repeat(10_000) } },
      { type: "openCitation", id: "1", path: "a", line: 0 }, { type: "runAction", id: "1", action: "rm -rf" },
      { type: "readTranscript", id: "1" }, { type: "click", id: "1", selector: "#x" }, { type: "__proto__", id: "1" },
      { type: "resolveCitations", id: "1", paths: Array(501).fill("a") },
    ]) {
      assert.equal(parseWebviewMessage(bad), undefined, JSON.stringify(bad)?.slice(0, 80));
    }
  });

  it("opens only http(s) links", () => {
    assert.equal(externalLink("https://github.com/x")?.href, "https://github.com/x");
    assert.equal(externalLink("http://example.com")?.hostname, "example.com");
    for (const url of ["command:workbench.action.terminal.new", "file:///etc/passwd", "vscode://x", "javascript:alert(1)", "mailto:a@b", "not a url"]) {
      assert.equal(externalLink(url), undefined, url);
    }
  });
});

describe("errors as the chat says them", () => {
  it("drops CLI flags, starts with a capital and leads to the Remote settings in a remote window", () => {
    const offline = "offline: set longropeQa.modelPath / --model (the default model cannot be downloaded because huggingface.co is unreachable).";
    assert.equal(presentError(offline, { remote: false }), "Offline: set longropeQa.modelPath (the default model cannot be downloaded because huggingface.co is unreachable).");
    assert.equal(
      presentError("The model file /m.gguf does not exist. Set longropeQa.modelPath (or --model) to a GGUF file.", { remote: true }),
      "The model file /m.gguf does not exist. Set longropeQa.modelPath in the Remote settings to a GGUF file.",
    );
    assert.equal(presentError("x: raise --budget or use a model with a longer context.", { remote: false }), "X: use a model with a longer context.");
    assert.ok(!/--[a-z]/.test(presentError("No model is loaded yet; load one (longropeQa.modelPath or --model) first.", { remote: false })));
  });

  it("offers the buttons that fix each kind of error", () => {
    assert.deepEqual(actionsFor(new RepoQaError("x", "model-not-found")), ["chooseModel", "openSettings"]);
    assert.deepEqual(actionsFor(new RepoQaError("x", "untrusted")), ["trustWorkspace"]);
    assert.deepEqual(actionsFor(new RepoQaError("x", "context-overflow")), ["showContextReport", "openSettings"]);
    assert.deepEqual(actionsFor(new Error("anything")), ["openLogs"]);
  });
});

describe("the file watcher's filter", () => {
  it("ignores version-control and dependency churn, not files merely named like them", () => {
    assert.equal(isWorkspaceNoise("/w/.git/index"), true);
    assert.equal(isWorkspaceNoise("/w/node_modules/x/index.js"), true);
    assert.equal(isWorkspaceNoise("C:\\w\\node_modules\\x.js"), true);
    assert.equal(isWorkspaceNoise("/w/src/git.ts"), false);
    assert.equal(isWorkspaceNoise("/w/.github/workflows/ci.yml"), false);
    assert.equal(isWorkspaceNoise("/w/docs/node_modules.md"), false);
  });
});

describe("fitting a conversation into the window", () => {
  const base = { contextSize: 2048, repoTokens: 500, questionTokens: 20, answerTokens: 1024 };
  const overhead = templateTokens.fixed + 16 + 2 * templateTokens.perMessage;

  it("keeps every turn that fits, then drops the oldest first", () => {
    assert.deepEqual(planConversation({ ...base, turnTokens: [100, 100] }), { firstTurn: 0, answerTokens: 1024, repoShortfall: 0 });
    const plan = planConversation({ ...base, turnTokens: [300, 300, 100] });
    assert.equal(plan.firstTurn, 2);
    assert.equal(plan.answerTokens, 1024);
    const kept = 100 + 2 * templateTokens.perMessage;
    assert.ok(500 + 20 + overhead + kept + 1024 <= 2048, "what is kept fits");
  });

  it("then shrinks the answer to what is left (not below the floor), and only then takes from the repo", () => {
    const long = planConversation({ ...base, questionTokens: 800, turnTokens: [50] });
    assert.equal(long.firstTurn, 1);
    assert.equal(long.answerTokens, 2048 - 500 - 800 - overhead);
    assert.equal(long.repoShortfall, 0);
    const huge = planConversation({ ...base, questionTokens: 1400, turnTokens: [] });
    assert.equal(huge.answerTokens, minAnswerTokens);
    assert.equal(huge.repoShortfall, 500 + 1400 + overhead + minAnswerTokens - 2048);
  });

  it("says what it changed in the user's words", () => {
    const notes = notesOf({ filesRead: [], filesTotal: 0, droppedTurns: 2, answerTokens: 300, contextSize: 2048 }, 1024);
    assert.deepEqual(notes, [
      "Left out the 2 oldest earlier questions and answers so this one fits the model's 2,048-token window.",
      "The answer was limited to 300 tokens to fit the 2,048-token window.",
    ]);
    assert.deepEqual(notesOf({ filesRead: [], filesTotal: 0, droppedTurns: 0, answerTokens: 1024, contextSize: 2048 }, 1024), []);
  });
});
