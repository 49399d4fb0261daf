/** Phase "main": a fresh window on the fixture repo. */
import * as assert from "node:assert/strict";
import * as vscode from "vscode";
import { extension, sleep, waitFor } from "./helpers";

export function mainPhaseSuites(): void {
  describe("LongRoPE Repo QA in a real VS Code window", () => {
    it("is installed and stays inactive until its command or view is used", async () => {
      const ext = extension();
      await sleep(1500); // let startup activations (`*`, onStartupFinished) happen if there were any
      assert.equal(ext.isActive, false, "the extension activated without its command or view being used");
    });

    it("activates on its command", async () => {
      await vscode.commands.executeCommand("longropeQa.ask", "What does greet do?").then(undefined, () => undefined);
      await waitFor("activation", () => (extension().isActive ? true : undefined), 10_000);
    });
  });
}
