/** Which cited paths the extension opens: only files inside a workspace root, after `..` and symlinks resolve. */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import { resolveCitation } from "../../src/chat/citations";
import { findCitations } from "../../media/render";

describe("citation resolution", () => {
  let tmp: string;
  let app: string;
  let lib: string;
  before(() => {
    tmp = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), "lrq-cite-")));
    app = path.join(tmp, "app");
    lib = path.join(tmp, "lib");
    fs.mkdirSync(path.join(app, "src"), { recursive: true });
    fs.mkdirSync(path.join(lib, "src"), { recursive: true });
    fs.writeFileSync(path.join(app, "src", "main.ts"), "export {};\n");
    fs.writeFileSync(path.join(lib, "src", "util.ts"), "export {};\n");
    fs.writeFileSync(path.join(tmp, "secret.txt"), "outside\n");
    fs.symlinkSync(path.join(tmp, "secret.txt"), path.join(app, "src", "link-out.txt"));
    fs.symlinkSync(path.join(app, "src", "main.ts"), path.join(app, "src", "link-in.ts"));
  });
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it("opens relative paths inside the single root", async () => {
    const roots = [{ name: "app", path: app }];
    assert.equal(await resolveCitation(roots, "src/main.ts"), path.join(app, "src", "main.ts"));
    assert.equal(await resolveCitation(roots, "./src/main.ts"), path.join(app, "src", "main.ts"));
    assert.equal(await resolveCitation(roots, "src\\main.ts"), path.join(app, "src", "main.ts"));
    assert.equal(await resolveCitation(roots, path.join(app, "src", "main.ts")), path.join(app, "src", "main.ts"));
    assert.equal(await resolveCitation(roots, "src/link-in.ts"), path.join(app, "src", "main.ts"));
  });

  it("refuses paths that leave the workspace, directories, missing files and odd input", async () => {
    const roots = [{ name: "app", path: app }];
    for (const cited of ["../secret.txt", "src/../../secret.txt", path.join(tmp, "secret.txt"), "/etc/passwd",
      "src/link-out.txt", "src", "src/missing.ts", "", "src/main.ts\0.png"]) {
      assert.equal(await resolveCitation(roots, cited), undefined, cited);
    }
  });

  it("in a multi-root workspace, the first segment names the root", async () => {
    const roots = [{ name: "app", path: app }, { name: "lib", path: lib }];
    assert.equal(await resolveCitation(roots, "lib/src/util.ts"), path.join(lib, "src", "util.ts"));
    assert.equal(await resolveCitation(roots, "app/src/main.ts"), path.join(app, "src", "main.ts"));
    assert.equal(await resolveCitation(roots, "src/util.ts"), path.join(lib, "src", "util.ts"));
    assert.equal(await resolveCitation(roots, "lib/../../secret.txt"), undefined);
  });

  it("finds path:line citations in prose and leaves URLs and times alone", () => {
    const found = findCitations(
      "See src/a.ts:12, README.md:3-9 and /abs/x.py:7; not https://example.com/x.ts:5, 10:30, v1.2:3 or a:b:4.",
    ).map((c) => [c.path, c.line]);
    assert.deepEqual(found, [["src/a.ts", 12], ["README.md", 3], ["/abs/x.py", 7], ["v1.2", 3]]);
  });
});
