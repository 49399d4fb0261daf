/** A file's language for the report's totals, from its name. */
const BY_EXTENSION: Readonly<Record<string, string>> = {
  ts: "TypeScript", tsx: "TypeScript", mts: "TypeScript", cts: "TypeScript",
  js: "JavaScript", jsx: "JavaScript", mjs: "JavaScript", cjs: "JavaScript",
  json: "JSON", jsonc: "JSON", md: "Markdown", markdown: "Markdown", yml: "YAML", yaml: "YAML", toml: "TOML",
  py: "Python", rs: "Rust", go: "Go", java: "Java", kt: "Kotlin", swift: "Swift", c: "C", h: "C",
  cc: "C++", cpp: "C++", cxx: "C++", hpp: "C++", cs: "C#", rb: "Ruby", php: "PHP", sh: "Shell", bash: "Shell",
  css: "CSS", scss: "CSS", less: "CSS", html: "HTML", htm: "HTML", vue: "Vue", svelte: "Svelte", sql: "SQL",
  xml: "XML", svg: "XML", txt: "Text", lua: "Lua", dart: "Dart", scala: "Scala", r: "R", zig: "Zig",
};

const BY_NAME: Readonly<Record<string, string>> = {
  dockerfile: "Dockerfile", makefile: "Makefile", license: "Text", readme: "Markdown",
};

export function languageOf(path: string): string {
  const name = path.slice(path.lastIndexOf("/") + 1).toLowerCase();
  const dot = name.lastIndexOf(".");
  if (dot > 0) return BY_EXTENSION[name.slice(dot + 1)] ?? name.slice(dot + 1);
  return BY_NAME[name] ?? "other";
}
