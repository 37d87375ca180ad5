import type { Command } from "commander";
import { exitCodeOf, formatDiagnostics, formatReport, runRuleTests } from "../ruletest/runner.ts";

export function registerTestCommand(program: Command): void {
  program
    .command("test")
    .description(
      "run rule unit tests (<rule>.test.toml beside each rule): exit 0 all pass, 1 a case failed, 2 invalid tests",
    )
    .argument("<paths...>", "rule directories, rule files and .test.toml files")
    .action(async (paths: string[], _options: unknown, command: Command) => {
      const code = await runTestCommand(paths);
      command.parent?.setOptionValue("exitCode", code);
    });
}

export async function runTestCommand(paths: string[]): Promise<number> {
  const report = await runRuleTests(paths);
  process.stderr.write(formatDiagnostics(report));
  process.stdout.write(formatReport(report));
  return exitCodeOf(report);
}
