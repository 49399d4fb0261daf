/**
 * The default secret stage: secretlint's findings (./secretScanner) applied by ./secrets, and remembered on disk by
 * the file text's hash under the scanner's rules version, so another process or window does not scan again.
 */
import type { HashStore } from "./hashStore";
import { digest } from "./packCaches";
import { encodeFindings, type RedactStage } from "./prepared";
import { redact } from "./secrets";
import { scanForSecrets } from "./secretScanner";

export function rememberedRedaction(store: HashStore | undefined): RedactStage {
  return async (files, signal, onUnit) => {
    const findings = await scanForSecrets(files, signal, onUnit);
    if (!findings) return [];
    return files.map((file, i) => {
      const ranges = findings[i]!;
      store?.set(digest(file.text), encodeFindings(ranges));
      return ranges.length === 0 ? { file, redactions: 0 } : redact(file, ranges);
    });
  };
}
