// Which Chromium the browser tests drive: $LONGROPE_QA_CHROMIUM, else the first of the usual names on PATH.
// CommonJS so both the tsx unit tests and the .mjs integration runner load it.
"use strict";
const fs = require("node:fs");
const path = require("node:path");

const NAMES = ["chromium", "chromium-browser", "google-chrome-stable", "google-chrome"];

function chromiumPath() {
  const configured = process.env.LONGROPE_QA_CHROMIUM;
  if (configured) {
    if (!fs.existsSync(configured)) throw new Error(`LONGROPE_QA_CHROMIUM is ${configured}, which does not exist.`);
    return configured;
  }
  for (const dir of (process.env.PATH || "").split(path.delimiter).filter(Boolean)) {
    for (const name of NAMES) {
      const candidate = path.join(dir, name);
      if (fs.existsSync(candidate)) return candidate;
    }
  }
  throw new Error(`No Chromium found (looked for ${NAMES.join(", ")} on PATH): install Debian's chromium (scripts/ensure-code-server.sh does) or set LONGROPE_QA_CHROMIUM.`);
}

module.exports = { chromiumPath };
