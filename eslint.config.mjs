// Type-aware lint (`npm run lint`): typescript-eslint's recommendedTypeChecked plus the rules that catch this
// project's real failure modes: a promise nobody awaits (a rejected ingest lost), a promise where a callback's
// result is ignored (VS Code event handlers), a condition the types say is always true or false, and `!`.
import js from "@eslint/js";
import tseslint from "typescript-eslint";


// Objects every extension in the host shares: src/ never writes to them (#15 item 10: the secret scanner once replaced
// performance.mark for all of them). process.exitCode is the CLI's own process.
const sharedGlobals = "/^(globalThis|global|window|self|performance|console|process|Buffer|Math|JSON|Date|Promise|Array|Object|Reflect|crypto)$/";
const globalWrite = "src/ must not write to an object every extension in the host shares";

export default tseslint.config(
  {
    ignores: [
      "dist/**",
      "out/**",
      "node_modules/**",
      "test/output/**",
      // Sample repositories the packer reads: data, not this project's code.
      "test/fixtures/*/**",
      "**/*.mjs",
      "**/*.js",
      "**/*.cjs",
    ],
  },
  js.configs.recommended,
  tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    linterOptions: { reportUnusedDisableDirectives: "error" },
    rules: {
      "@typescript-eslint/no-floating-promises": [
        "error",
        {
          // node:test's describe/it return promises the runner itself awaits; awaiting them in a file changes nothing.
          allowForKnownSafeCalls: [{ from: "package", package: "node:test", name: ["describe", "it", "test", "suite", "before", "after", "beforeEach", "afterEach"] }],
        },
      ],
      "@typescript-eslint/no-misused-promises": "error",
      "@typescript-eslint/no-unnecessary-condition": "error",
      "@typescript-eslint/no-non-null-assertion": "error",
      "@typescript-eslint/require-await": "error",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_", caughtErrors: "none" }],
    },
  },
  {
    files: ["src/**/*.ts"],
    rules: {
      "no-global-assign": "error",
      "no-extend-native": "error",
      "no-restricted-syntax": [
        "error",
        { selector: `AssignmentExpression > MemberExpression.left[object.name=${sharedGlobals}][property.name!='exitCode']`, message: globalWrite },
        { selector: `AssignmentExpression > MemberExpression.left > MemberExpression.object[object.name=${sharedGlobals}]`, message: globalWrite },
        { selector: `UpdateExpression > MemberExpression.argument[object.name=${sharedGlobals}]`, message: globalWrite },
        {
          selector: `CallExpression[callee.object.name=/^(Object|Reflect)$/][callee.property.name=/^(assign|defineProperty|defineProperties|setPrototypeOf|set|deleteProperty)$/][arguments.0.name=${sharedGlobals}]`,
          message: globalWrite,
        },
      ],
    },
  },
  {
    // Tests, benches and scripts may assert what they just built (`results[0]!`): a wrong guess fails the test at
    // that line, which is what a test is for; the product code has no such safety net.
    files: ["test/**", "bench/**", "scripts/**"],
    rules: { "@typescript-eslint/no-non-null-assertion": "off" },
  },
);
