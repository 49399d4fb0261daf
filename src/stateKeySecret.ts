/** The saved-state key (engine/stateKey) kept in VS Code's SecretStorage, i.e. the OS keychain, not in a file. */
import type * as vscode from "vscode";
import { isStateKey, newStateKey } from "./engine/stateKey";

const SECRET_NAME = "longropeQa.savedStateKey";

/** Reads the key once per activation, creating and storing it on first use. */
export function stateKeyFromSecrets(secrets: vscode.SecretStorage): () => Promise<string> {
  let key: Promise<string> | undefined;
  return () =>
    (key ??= (async () => {
      const stored = await secrets.get(SECRET_NAME);
      if (isStateKey(stored)) return stored;
      const created = newStateKey();
      await secrets.store(SECRET_NAME, created);
      return created;
    })());
}
