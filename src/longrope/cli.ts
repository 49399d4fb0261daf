/**
 * `longrope-qa longrope <command> …`. Each command is a function from its arguments to an exit code; results go to
 * stdout, progress and errors to stderr. Commands that load a model run node-llama-cpp in a child process, so that a
 * native crash cannot take the caller down; `factors` and `extend` only read and write GGUF files in TypeScript.
 */
import { describeError, isAbortError } from "../util/errors";
import { runExtendCommand } from "./cliExtend";
import { runFactorsCommand } from "./cliFactors";
import { evalUsage, runEvalCommand } from "./evalCommand";
import { runSearchCommand, searchUsage } from "./searchCommand";

export type LongropeCommand = (args: string[]) => Promise<number>;

interface CommandEntry {
  readonly usage: string;
  readonly run: LongropeCommand;
}

const commands = new Map<string, CommandEntry>([
  ["factors", {
    usage: "factors --method pi|ntk|yarn|longrope --scale S --model M [--original-context L] [--factors F.json] [--json]",
    run: runFactorsCommand,
  }],
  ["extend", {
    usage: "extend --model M --target-context N --out PATH [--factors F.json (default: the model's own long factors, rescaled)] [--short-factors F2.json] [--original-context L] [--attn-factor A]",
    run: runExtendCommand,
  }],
  ["eval", { usage: evalUsage, run: runEvalCommand }],
  ["search", { usage: searchUsage, run: runSearchCommand }],
]);

export function longropeUsage(): string {
  return ["Usage: longrope-qa longrope <command>", ...[...commands.values()].map((c) => `  longrope-qa longrope ${c.usage}`)].join("\n");
}

export async function runLongropeCli(args: string[]): Promise<number> {
  const [name, ...rest] = args;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    process.stdout.write(longropeUsage() + "\n");
    return name === undefined ? 2 : 0;
  }
  const command = commands.get(name);
  if (!command) {
    process.stderr.write(`Unknown longrope command "${name}".\n${longropeUsage()}\n`);
    return 2;
  }
  try {
    return await command.run(rest);
  } catch (e) {
    if (isAbortError(e)) {
      process.stderr.write("Cancelled.\n");
      return 130;
    }
    process.stderr.write(`longrope ${name}: ${describeError(e)}\n`);
    return 1;
  }
}
