/**
 * An engine error as the chat says it. The engine's sentences serve the CLI too, so they name its flags
 * ("longropeQa.modelPath (or --model)") and some start with their code ("offline: …"); in VS Code the flag means
 * nothing, a sentence starts with a capital, and in a remote window a machine setting is set in the Remote tab.
 */

/** Settings with `"scope": "machine"` in package.json: a remote window reads them from the Remote settings only. */
const MACHINE_SETTINGS = /\b(longropeQa\.(?:modelPath|gpu|gpuLayers|flashAttention|kvCacheType))\b(?! in the Remote settings)/;

export function presentError(message: string, options: { readonly remote: boolean }): string {
  let text = message
    .replace(/\s*\((?:or )?--[a-z][\w-]*\)/g, "")
    .replace(/\s*\/\s*--[a-z][\w-]*/g, "")
    .replace(/\s+or\s+--[a-z][\w-]*/g, "")
    .replace(/\braise --[a-z][\w-]* or /g, "")
    .replace(/^([a-z][\w-]*): /, (_, code: string) => `${code[0]!.toUpperCase()}${code.slice(1).replace(/-/g, " ")}: `)
    .replace(/^[a-z]/, (c) => c.toUpperCase());
  if (options.remote) text = text.replace(MACHINE_SETTINGS, "$1 in the Remote settings");
  return text;
}
