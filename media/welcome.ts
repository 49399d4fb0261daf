/** The empty chat: the model it will use, a way to choose one, what will be read, and questions to start with. */
import type { WelcomeInfo } from "../src/chat/protocol";
import { formatTokens } from "../src/chat/statusText";

export const EXAMPLE_QUESTIONS = [
  "What does this repository do, and where does it start?",
  "Which files would I change to add a new setting?",
  "How are errors reported to the user?",
];

function el<K extends keyof HTMLElementTagNameMap>(tag: K, className: string, text?: string): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function actionButton(text: string, action: string, secondary: boolean): HTMLButtonElement {
  const b = el("button", secondary ? "secondary" : "", text);
  b.type = "button";
  b.dataset.action = action;
  return b;
}

function modelLine(info: WelcomeInfo): HTMLElement {
  const line = el("p", "welcome-model");
  if (!info.modelFile) {
    line.append(el("strong", "", "No model yet. "), `The default, ${info.defaultModel}.`);
    return line;
  }
  line.append("Model: ", el("strong", "", info.modelFile));
  if (info.modelProblem) line.append(el("span", "problem", ` — ${info.modelProblem}.`));
  else if (info.contextSize) line.append(` · ${formatTokens(info.contextSize)}-token window`);
  return line;
}

function readsLine(info: WelcomeInfo): HTMLElement {
  const where = info.folders.length === 0 ? "the open folder" : info.folders.join(", ");
  const which = info.include.length > 0 ? `the files matching ${info.include.join(", ")} in ${where}` : `every file in ${where}`;
  const line = el("p", "welcome-reads", `Reads ${which}, except what .gitignore, .longropeignore and longropeQa.exclude leave out. `);
  const report = el("button", "link", "See what will be read");
  report.type = "button";
  report.dataset.action = "showContextReport";
  line.append(report);
  return line;
}

export function showWelcome(section: HTMLElement, info: WelcomeInfo | undefined): void {
  if (!info) return;
  const examples = el("div", "examples");
  examples.setAttribute("role", "list");
  for (const question of EXAMPLE_QUESTIONS) {
    const b = el("button", "example secondary", question);
    b.type = "button";
    b.dataset.question = question;
    b.setAttribute("role", "listitem");
    examples.append(b);
  }
  const model = el("div", "welcome-actions");
  model.append(actionButton(info.modelFile ? "Choose another model…" : "Choose model file…", "chooseModel", !!info.modelFile && !info.modelProblem));
  section.replaceChildren(
    el("h2", "", "Ask about this repository"),
    modelLine(info),
    model,
    readsLine(info),
    el("h3", "", "Try"),
    examples,
  );
}
