/** What the model reads for a question with an attachment chip (pure, so it is unit-tested). */
import { MAX_QUOTE, type Attachment } from "./protocol";

/** A fence longer than any backtick run in the text, so quoted code cannot close it early. */
function fenceFor(text: string): string {
  const longest = Math.max(2, ...Array.from(text.matchAll(/`+/g), (m) => m[0].length));
  return "`".repeat(longest + 1);
}

/** `path`, `path:3` or `path:3-9`: how the chip and the model name an attachment. */
export function attachmentLabel(a: Attachment): string {
  if (a.firstLine === undefined) return a.path;
  return a.firstLine === a.lastLine ? `${a.path}:${a.firstLine}` : `${a.path}:${a.firstLine}-${a.lastLine}`;
}

/** The question as the model reads it: the attachment cited (and its code quoted) before what the user typed. */
export function quoteForModel(question: string, attachment: Attachment | undefined): string {
  if (!attachment) return question;
  const where = attachmentLabel(attachment);
  const asked = question.trim() || (attachment.text === undefined ? "What does this file do?" : "What does this code do?");
  if (attachment.text === undefined) return `About ${where}: ${asked}`;
  const quoted = attachment.text;
  const fence = fenceFor(quoted);
  const lang = /^[\w+#.-]*$/.test(attachment.languageId ?? "") ? attachment.languageId ?? "" : "";
  return `About ${where}:\n${fence}${lang}\n${quoted}\n${fence}\n${asked}`;
}

/** A selection as an attachment: quoted up to MAX_QUOTE characters (the whole file is in the prompt anyway). */
export function selectionAttachment(a: Required<Attachment>): Attachment {
  return { ...a, text: a.text.length > MAX_QUOTE ? `${a.text.slice(0, MAX_QUOTE)}\n…` : a.text };
}
