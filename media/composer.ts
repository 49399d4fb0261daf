/** The question box: the text, an optional attachment chip (Ask about selection / this file), Enter to send. */
import type { Attachment } from "../src/chat/protocol";
import { attachmentLabel } from "../src/chat/quote";

export interface ComposerDraft {
  readonly text: string;
  readonly attachment?: Attachment;
}

export class Composer {
  private attachment: Attachment | undefined;

  constructor(
    private readonly input: HTMLTextAreaElement,
    private readonly chips: HTMLElement,
    private readonly onChange: () => void,
  ) {
    this.chips.addEventListener("click", (e) => {
      if (e.target instanceof Element && e.target.closest("button.chip-remove")) this.attach(undefined);
    });
  }

  get draft(): ComposerDraft {
    return { text: this.input.value, ...(this.attachment ? { attachment: this.attachment } : {}) };
  }

  /** Something to send: typed text, or an attachment alone ("What does this code do?"). */
  get hasQuestion(): boolean {
    return this.input.value.trim() !== "" || this.attachment !== undefined;
  }

  restore(draft: Partial<ComposerDraft> | undefined): void {
    this.input.value = typeof draft?.text === "string" ? draft.text : "";
    this.attach(draft?.attachment, false);
  }

  prefill(text: string | undefined, attachment: Attachment | undefined): void {
    if (text !== undefined) this.input.value = text;
    if (attachment) this.attach(attachment);
    this.focus();
  }

  focus(): void {
    this.input.focus();
    this.input.setSelectionRange(this.input.value.length, this.input.value.length);
  }

  clear(): void {
    this.input.value = "";
    this.attach(undefined);
  }

  private attach(attachment: Attachment | undefined, notify = true): void {
    this.attachment = attachment;
    this.chips.replaceChildren();
    this.chips.hidden = !attachment;
    this.input.placeholder = attachment
      ? "Ask about the attached code (Enter sends)"
      : "Ask about this repo (Enter sends, Shift+Enter for a new line)";
    if (attachment) {
      const chip = document.createElement("span");
      chip.className = "chip";
      chip.title = attachment.text === undefined ? "This file is attached" : "The selected code is quoted for the model";
      const label = document.createElement("span");
      label.textContent = attachmentLabel(attachment);
      const remove = document.createElement("button");
      remove.type = "button";
      remove.className = "chip-remove";
      remove.textContent = "×";
      remove.setAttribute("aria-label", `Remove ${attachmentLabel(attachment)}`);
      chip.append(label, remove);
      this.chips.append(chip);
    }
    if (notify) this.onChange();
  }
}
