import { readFileSync } from "node:fs";
import { Command, CommanderError } from "commander";
import { enableLinearRegexFallback } from "../eql/regex-safety.ts";

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

type RegisterCommand = (program: Command) => void;

/**
 * Every command, in the order help lists them. A command's module is loaded only when it runs
 * (or is listed): between them they load what scan, serve and the rest need, some 180 modules,
 * which every start would otherwise pay for.
 */
const COMMANDS: ReadonlyArray<readonly [name: string, load: () => Promise<RegisterCommand>]> = [
  ["demo", async () => (await import("./demo.ts")).registerDemoCommand],
  ["scan", async () => (await import("./scan.ts")).registerScanCommand],
  ["query", async () => (await import("./query.ts")).registerQueryCommand],
  ["simulate", async () => (await import("./simulate.ts")).registerSimulateCommand],
  ["validate", async () => (await import("./validate.ts")).registerValidateCommand],
  ["test", async () => (await import("./test-rules.ts")).registerTestCommand],
  ["coverage", async () => (await import("./coverage.ts")).registerCoverageCommand],
  ["explain", async () => (await import("./explain.ts")).registerExplainCommand],
  ["serve", async () => (await import("./serve.ts")).registerServeCommand],
  ["resend", async () => (await import("./resend.ts")).registerResendCommand],
  ["status", async () => (await import("./status.ts")).registerStatusCommand],
  ["worker", async () => (await import("./worker.ts")).registerWorkerCommand],
];

const VERSION_FLAGS = new Set(["-V", "--version"]);

/**
 * The program for a command line: with only the command it names, none for `--version`, and
 * every command otherwise (help, `help <command>`, a misspelt command, which needs the names to
 * suggest one).
 */
export async function buildProgram(argv: readonly string[] = []): Promise<Command> {
  const program = new Command("eqlite")
    .description("Run Elastic EQL detection rules and queries over JSON events, without Elasticsearch")
    .version(packageVersion())
    .showHelpAfterError("(run with --help for usage)")
    .exitOverride();
  const named = COMMANDS.filter(([name]) => name === argv[0]);
  const wanted = named.length ? named : VERSION_FLAGS.has(argv[0] ?? "") ? [] : COMMANDS;
  const registers = await Promise.all(wanted.map(([, load]) => load()));
  for (const register of registers) register(program);
  return program;
}

export async function main(argv: string[]): Promise<number> {
  // Before any rule regex is compiled: pathological patterns fall back to a linear-time engine.
  enableLinearRegexFallback();
  // `eqlite` alone runs the embedded default.
  const args = argv.length ? argv : ["demo"];
  const program = await buildProgram(args);
  try {
    await program.parseAsync(args, { from: "user" });
    return (program.getOptionValue("exitCode") as number | undefined) ?? EXIT_OK;
  } catch (error) {
    if (error instanceof CommanderError) {
      return error.exitCode === 0 ? EXIT_OK : EXIT_USAGE;
    }
    throw error;
  }
}
