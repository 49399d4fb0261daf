export interface TranscriptLink { readonly text: string; readonly path: string; readonly line: number }
export interface TranscriptMessage {
  readonly id: string;
  readonly role: "user" | "assistant" | "error" | "notice";
  readonly label: string;
  readonly text: string;
  readonly links: readonly TranscriptLink[];
  readonly notes: readonly string[];
  readonly actions: readonly { readonly text: string; readonly disabled: boolean }[];
  readonly coverage?: { readonly partial: string; readonly summary: string; readonly files: readonly string[] };
}
export interface Transcript {
  readonly streaming: boolean;
  readonly welcome: boolean;
  readonly messages: readonly TranscriptMessage[];
}
export interface ComposerView {
  readonly value: string;
  readonly focused: boolean;
  readonly chips: readonly string[];
  readonly welcome?: { readonly text: string; readonly examples: readonly string[]; readonly buttons: readonly string[] };
  readonly meter: string;
}
export interface ReportView {
  /** The view is packing (the figures shown, if any, are the previous report's). */
  readonly busy: boolean;
  readonly title: string;
  /** Opened from an answer: what that answer read ("" otherwise). */
  readonly forAnswer: string;
  readonly figures: readonly string[];
  readonly summary: readonly string[];
  readonly folders: readonly { readonly path: string; readonly label: string; readonly open: boolean }[];
  readonly files: readonly string[];
  readonly leftOut: readonly string[];
}
export function readTranscript(): Transcript;
export function readComposer(): ComposerView;
export function observeStreaming(): void;
export function takeStreamed(): string[];
export function readReport(): ReportView;
