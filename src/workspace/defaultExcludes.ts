/**
 * Built-in excludes, in .gitignore syntax: the bottom ignore layer, so that a negation in `.gitignore` or
 * `.longropeignore` (e.g. `!dist/`) re-includes any of them. Turn them all off with `defaultExcludes: false`.
 */
export const DEFAULT_EXCLUDES: readonly string[] = [
  // Version control and editor state.
  // `.git` without a slash: in a worktree or a submodule it is a file pointing at the real git directory.
  ".git", ".hg/", ".svn/", ".DS_Store",
  // Dependencies and vendored code.
  "node_modules/", "bower_components/", "jspm_packages/", "vendor/", "third_party/", ".venv/", "venv/",
  // Build output and caches.
  "dist/", "build/", "out/", "target/", ".next/", ".nuxt/", ".svelte-kit/", ".turbo/", ".parcel-cache/",
  "coverage/", ".nyc_output/", "__pycache__/", "*.pyc", ".pytest_cache/", ".mypy_cache/", ".gradle/",
  ".vscode-test/", "*.tsbuildinfo", "*.vsix",
  // Lock files.
  "package-lock.json", "npm-shrinkwrap.json", "yarn.lock", "pnpm-lock.yaml", "bun.lockb", "Cargo.lock",
  "poetry.lock", "Pipfile.lock", "uv.lock", "Gemfile.lock", "composer.lock", "go.sum", "packages.lock.json",
  // Minified bundles and source maps.
  "*.min.js", "*.min.mjs", "*.min.css", "*-min.js", "*.bundle.js", "*.map",
];

/**
 * Files that hold credentials by convention, excluded with reason `secret-file`: dotenv files, except the templates
 * projects commit on purpose. A negation in `.gitignore` / `.longropeignore` (`!.env`) re-includes one; its secrets
 * are then still redacted where a rule finds them.
 */
export const SECRET_FILE_EXCLUDES: readonly string[] = [
  ".env", ".env.*", ".envrc", "*.env",
  "!.env.example", "!.env.*.example", "!.env.sample", "!.env.*.sample", "!.env.template", "!.env.*.template",
  "!.env.dist", "!.env.defaults", "!*.env.example", "!example.env", "!sample.env", "!template.env",
];
