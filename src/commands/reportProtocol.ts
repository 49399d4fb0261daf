/**
 * The protocol between the extension and the context report view (`media/report.ts`), split by direction and
 * checked at runtime like the chat's (src/chat/protocol.ts). No `vscode` import: the page bundles it too.
 */
import type { ReportModel } from "./reportModel";

// ---- webview → extension ---------------------------------------------------------------------------------------
export interface ReportReady { readonly type: "ready" }
export interface ReportOpenFile { readonly type: "openFile"; readonly path: string }
/** Adds `<path>/` to the workspace's .longropeignore. */
export interface ReportExcludeFolder { readonly type: "excludeFolder"; readonly path: string }
/** Adds the path to longropeQa.alwaysInclude (read first when the repository does not fit). */
export interface ReportAlwaysInclude { readonly type: "alwaysInclude"; readonly path: string }
export interface ReportRefresh { readonly type: "refresh" }

export type ReportRequest = ReportReady | ReportOpenFile | ReportExcludeFolder | ReportAlwaysInclude | ReportRefresh;

// ---- extension → webview ---------------------------------------------------------------------------------------
export interface ReportFrame {
  readonly type: "report";
  readonly report: ReportModel;
  /** What an action just changed ("Added src/ to .longropeignore."). */
  readonly changed?: string;
  /** Opened from an answer: what that answer read (`answerLine`). */
  readonly answer?: string;
}
export interface ReportBusyFrame { readonly type: "busy"; readonly message: string }
export interface ReportErrorFrame { readonly type: "error"; readonly message: string }

export type ReportHostMessage = ReportFrame | ReportBusyFrame | ReportErrorFrame;

const isPath = (v: unknown): v is string => typeof v === "string" && v.length > 0 && v.length <= 4096 && !v.includes("\0");

const checks: { readonly [K in ReportRequest["type"]]: (m: Record<string, unknown>) => boolean } = {
  ready: () => true,
  openFile: (m) => isPath(m.path),
  excludeFolder: (m) => isPath(m.path),
  alwaysInclude: (m) => isPath(m.path),
  refresh: () => true,
};

export function parseReportRequest(value: unknown): ReportRequest | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  const m = value as Record<string, unknown>;
  if (typeof m.type !== "string" || !Object.hasOwn(checks, m.type)) return undefined;
  return checks[m.type as ReportRequest["type"]](m) ? (m as unknown as ReportRequest) : undefined;
}

export function isReportHostMessage(value: unknown): value is ReportHostMessage {
  const type = (value as { type?: unknown } | null)?.type;
  return type === "report" || type === "busy" || type === "error";
}
