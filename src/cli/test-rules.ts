import type { Command } from "commander";
import { exitCodeOf, formatDiagnostics, formatReport, runRuleTests } from "../ruletest/runner.ts";

export function registerTestCommand(program: Command): void {
  program
    .command("test")
    .description(
      "run rule unit tests (<rule>.test.toml beside each rule): exit 0 all pass, 1 a case failed, 2 invalid tests",
    )
    .argument("<paths...>", "rule directories, rule files and .test.toml files")
    .option(
      "--exceptions <file>",
      "exception lists or items (Kibana export or eqlite TOML) applied as scan applies them; repeatable",
      (value: string, previous: string[] = []) => [...previous, value],
    )
    .action(async (paths: string[], options: { exceptions?: string[] }, command: Command) => {
      const code = await runTestCommand(paths, options.exceptions);
      command.parent?.setOptionValue("exitCode", code);
    });
}

export async function runTestCommand(paths: string[], exceptions: string[] = []): Promise<number> {
  const report = await runRuleTests(paths, { exceptions });
  process.stderr.write(formatDiagnostics(report));
  process.stdout.write(formatReport(report));
  return exitCodeOf(report);
}
