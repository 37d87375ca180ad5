import { readFileSync } from "node:fs";
import { Command, CommanderError } from "commander";
import { enableLinearRegexFallback } from "../eql/regex-safety.ts";
import { registerCoverageCommand } from "./coverage.ts";
import { registerDemoCommand } from "./demo.ts";
import { registerExplainCommand } from "./explain.ts";
import { registerQueryCommand } from "./query.ts";
import { registerScanCommand } from "./scan.ts";
import { registerServeCommand } from "./serve.ts";
import { registerSimulateCommand } from "./simulate.ts";
import { registerStatusCommand } from "./status.ts";
import { registerTestCommand } from "./test-rules.ts";
import { registerValidateCommand } from "./validate.ts";
import { registerWorkerCommand } from "./worker.ts";

/** Exit codes of every command: 0 done, 1 findings with --fail-on-alert, 2 bad usage or invalid input. */
export const EXIT_OK = 0;
export const EXIT_FINDINGS = 1;
export const EXIT_USAGE = 2;

/** src/cli and dist/cli both sit two levels below package.json. */
function packageVersion(): string {
  try {
    return JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")).version;
  } catch {
    return "unknown";
  }
}

export function buildProgram(): Command {
  const program = new Command("eqlite")
    .description("Run Elastic EQL detection rules and queries over JSON events, without Elasticsearch")
    .version(packageVersion())
    .showHelpAfterError("(run with --help for usage)")
    .exitOverride();
  registerDemoCommand(program);
  registerScanCommand(program);
  registerQueryCommand(program);
  registerSimulateCommand(program);
  registerValidateCommand(program);
  registerTestCommand(program);
  registerCoverageCommand(program);
  registerExplainCommand(program);
  registerServeCommand(program);
  registerStatusCommand(program);
  registerWorkerCommand(program);
  return program;
}

export async function main(argv: string[]): Promise<number> {
  // Before any rule regex is compiled: pathological patterns fall back to a linear-time engine.
  enableLinearRegexFallback();
  const program = buildProgram();
  try {
    // `eqlite` alone runs the embedded default.
    await program.parseAsync(argv.length ? argv : ["demo"], { from: "user" });
    return (program.getOptionValue("exitCode") as number | undefined) ?? EXIT_OK;
  } catch (error) {
    if (error instanceof CommanderError) {
      return error.exitCode === 0 ? EXIT_OK : EXIT_USAGE;
    }
    throw error;
  }
}
