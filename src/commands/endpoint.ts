/**
 * The inference-server side of the settings: "LongRoPE QA: Set API key…" (the key lives in SecretStorage, never in
 * settings), the key kept current for readConfig, and a one-time warning when `longropeQa.endpoint` would send the
 * repository over plain http:// to another machine.
 */
import * as vscode from "vscode";
import { SECTION, remoteSetting, useEndpointApiKey } from "../config";
import { insecureWarning, parseEndpoint } from "../engine/remote/endpoint";
import { describeError } from "../util/errors";

export const apiKeySecret = "longropeQa.endpointApiKey";
const warnedKey = "longropeQa.warnedInsecureEndpoints";

export function registerEndpointSettings(context: vscode.ExtensionContext, log: vscode.LogOutputChannel): vscode.Disposable {
  const loadKey = async () => useEndpointApiKey(await context.secrets.get(apiKeySecret));
  void loadKey().catch((error: unknown) => log.warn(`Reading the API key failed: ${describeError(error)}`));
  void warnIfInsecure(context);
  return vscode.Disposable.from(
    context.secrets.onDidChange((e) => void (e.key === apiKeySecret && loadKey())),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration(`${SECTION}.endpoint`)) void warnIfInsecure(context);
    }),
    vscode.commands.registerCommand("longropeQa.setApiKey", async () => {
      const key = await vscode.window.showInputBox({
        title: "API key for the inference server (longropeQa.endpoint)",
        prompt: "Sent as a bearer token; kept in the OS keychain through VS Code's SecretStorage. Empty removes it.",
        password: true,
        ignoreFocusOut: true,
      });
      if (key === undefined) return;
      if (key.trim()) await context.secrets.store(apiKeySecret, key.trim());
      else await context.secrets.delete(apiKeySecret);
      await loadKey();
      void vscode.window.showInformationMessage(key.trim() ? "LongRoPE QA: API key saved." : "LongRoPE QA: API key removed.");
    }),
  );
}

/** Once per endpoint origin (remembered across sessions): plain http:// to a host that is not this machine. */
async function warnIfInsecure(context: vscode.ExtensionContext): Promise<void> {
  const remote = remoteSetting();
  if (!remote) return;
  let endpoint;
  try {
    endpoint = parseEndpoint(remote.endpoint);
  } catch {
    return; // The first question says what is wrong with it.
  }
  const warned = context.globalState.get<string[]>(warnedKey) ?? [];
  if (!endpoint.insecure || warned.includes(endpoint.origin)) return;
  await context.globalState.update(warnedKey, [...warned, endpoint.origin]);
  void vscode.window.showWarningMessage(insecureWarning(endpoint));
}
