/**
 * The context report view: figures first, then files by reason, then the files read as collapsible folders with
 * token totals. Paths open the file; a folder can be excluded (.longropeignore) and a file that did not fit can be
 * always included (longropeQa.alwaysInclude). Talks to the extension only through src/commands/reportProtocol.ts.
 */
import type { ReasonGroup, ReportFile, ReportFolder, ReportModel } from "../src/commands/reportModel";
import { formatCount } from "../src/commands/reportModel";
import { isReportHostMessage, type ReportHostMessage, type ReportRequest } from "../src/commands/reportProtocol";

declare function acquireVsCodeApi(): { postMessage(message: ReportRequest): void };
const vscode = acquireVsCodeApi();
const root = document.getElementById("report") as HTMLElement;
const content = document.getElementById("content") as HTMLElement;
const busy = document.getElementById("busy") as HTMLElement;

function el<K extends keyof HTMLElementTagNameMap>(tag: K, className = "", text?: string): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function actionButton(text: string, action: "excludeFolder" | "alwaysInclude", path: string, title: string): HTMLButtonElement {
  const b = el("button", "secondary small", text);
  b.type = "button";
  b.title = title;
  b.dataset.action = action;
  b.dataset.path = path;
  return b;
}

function tokens(n: number | undefined): string {
  return n === undefined ? "" : `${formatCount(n)} tokens`;
}

function fileLink(file: ReportFile): HTMLAnchorElement {
  const a = el("a", "file-link", file.path.endsWith("/") ? file.path : file.name);
  a.href = "#";
  a.dataset.path = file.path;
  a.title = `Open ${file.path}`;
  return a;
}

function fileItem(file: ReportFile, extra?: HTMLElement): HTMLLIElement {
  const li = el("li");
  li.append(fileLink(file));
  const info = [tokens(file.tokens), file.detail ?? ""].filter(Boolean).join(" · ");
  if (info) li.append(el("span", "muted", ` ${info}`));
  if (extra) li.append(" ", extra);
  return li;
}

function folderNode(folder: ReportFolder, depth: number): HTMLElement {
  const details = el("details", "folder");
  details.dataset.path = folder.path;
  details.open = depth < 1;
  const summary = el("summary");
  summary.append(el("span", "folder-name", `${folder.name}/`), el("span", "muted", ` ${formatCount(folder.fileCount)} ${folder.fileCount === 1 ? "file" : "files"} · ${tokens(folder.tokens)}`));
  summary.append(" ", actionButton("Exclude this folder", "excludeFolder", folder.path, `Add ${folder.path}/ to .longropeignore`));
  details.append(summary, listing(folder, depth + 1));
  return details;
}

function listing(folder: ReportFolder, depth: number): HTMLElement {
  const box = el("div", "listing");
  for (const sub of folder.folders) box.append(folderNode(sub, depth));
  if (folder.files.length > 0) {
    const ul = el("ul", "files");
    for (const f of folder.files) ul.append(fileItem(f));
    box.append(ul);
  }
  return box;
}

function summaryTable(groups: readonly ReasonGroup[]): HTMLTableElement {
  const table = el("table", "summary");
  for (const g of groups) {
    const row = el("tr", g.reason === "read" ? "read" : "");
    row.append(el("td", "", g.label), el("td", "num", `${formatCount(g.files.length)} ${g.files.length === 1 ? "file" : "files"}`), el("td", "num", tokens(g.tokens)));
    table.append(row);
  }
  return table;
}

function leftOut(groups: readonly ReasonGroup[]): HTMLElement {
  const box = el("div", "left-out");
  for (const g of groups.filter((x) => x.reason !== "read")) {
    const details = el("details", "reason");
    details.open = g.reason === "budget";
    details.append(el("summary", "", `${g.label} (${formatCount(g.files.length)})`));
    const ul = el("ul", "files");
    for (const f of g.files) {
      const include = g.reason === "budget" ? actionButton("Always include", "alwaysInclude", f.path, `Add ${f.path} to longropeQa.alwaysInclude`) : undefined;
      ul.append(fileItem({ ...f, name: f.path }, include));
    }
    details.append(ul);
    box.append(details);
  }
  return box;
}

function show(report: ReportModel, changed: string | undefined, answer: string | undefined): void {
  const parts: HTMLElement[] = [];
  if (answer) parts.push(el("p", "for-answer", answer));
  if (changed) parts.push(el("p", "changed", changed));
  if (report.cancelled) parts.push(el("p", "warning", "The pack was cancelled; this shows what was seen before that."));
  const figures = el("ul", "figures");
  for (const line of report.figures) figures.append(el("li", "", line));
  const read = report.tree;
  const tree = el("div", "tree");
  tree.append(listing(read, 0));
  parts.push(figures, el("h2", "", "By reason"), summaryTable(report.groups), el("h2", "", "Files read, by folder"), tree);
  if (report.groups.length > 1) parts.push(el("h2", "", "Left out"), leftOut(report.groups));
  content.replaceChildren(...parts);
  busy.hidden = true;
}

function receive(message: ReportHostMessage): void {
  switch (message.type) {
    case "report":
      show(message.report, message.changed, message.answer);
      return;
    case "busy":
      busy.textContent = message.message;
      busy.hidden = false;
      return;
    case "error":
      busy.hidden = true;
      content.replaceChildren(el("p", "error", message.message));
      return;
  }
}

root.addEventListener("click", (e) => {
  const target = e.target instanceof Element ? e.target : null;
  const button = target?.closest("button");
  if (button) {
    e.preventDefault(); // a button inside <summary> must not also fold the folder
    const { action, path } = button.dataset;
    if (button.id === "refresh") vscode.postMessage({ type: "refresh" });
    else if ((action === "excludeFolder" || action === "alwaysInclude") && path) vscode.postMessage({ type: action, path });
    return;
  }
  const link = target?.closest("a.file-link");
  if (link instanceof HTMLElement && link.dataset.path) {
    e.preventDefault();
    vscode.postMessage({ type: "openFile", path: link.dataset.path });
  }
});

window.addEventListener("message", (event: MessageEvent<unknown>) => {
  if (isReportHostMessage(event.data)) receive(event.data);
});
vscode.postMessage({ type: "ready" });
