/** Phase "reopen": the same workspace in a new window after the first one closed. */
import * as assert from "node:assert/strict";
import { extension } from "./helpers";

export function reopenPhaseSuites(): void {
  describe("LongRoPE Repo QA after the window is reopened", () => {
    it("is installed", () => {
      assert.ok(extension());
    });
  });
}
