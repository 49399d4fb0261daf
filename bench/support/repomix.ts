/** repomix's own pipeline (its `pack`), configured as its CLI would be, token metrics on (its default). */
import * as path from "node:path";
import { writeFileSync } from "node:fs";

export interface RepomixRun {
  readonly files: Set<string>;
  readonly suspicious: Set<string>;
  readonly skipped: Map<string, string>;
  readonly totalTokens: number;
}

export async function runRepomix(repo: string, outDir: string, maxFileBytes: number): Promise<RepomixRun> {
  const repomix = await import("repomix");
  const configFile = path.join(outDir, "repomix.config.json");
  writeFileSync(configFile, JSON.stringify({ input: { maxFileSize: maxFileBytes } }));
  const cliOptions = { output: path.join(outDir, "repomix-output.xml"), quiet: true, defaultPatterns: false, gitignore: true, securityCheck: true, outputShowLineNumbers: true };
  const fileConfig = await repomix.loadFileConfig(repo, configFile, { skipLocalConfig: true });
  const config = repomix.mergeConfigs(repo, fileConfig, repomix.buildCliConfig(cliOptions));
  const packResult = await repomix.pack([repo], config, () => undefined);
  return {
    files: new Set(packResult.processedFiles.map((f) => f.path.split(path.sep).join("/"))),
    suspicious: new Set(packResult.suspiciousFilesResults.map((s) => path.relative(repo, path.resolve(repo, s.filePath)).split(path.sep).join("/"))),
    skipped: new Map(packResult.skippedFiles.map((s) => [s.path.split(path.sep).join("/"), s.reason])),
    totalTokens: packResult.totalTokens,
  };
}
