import { readFileSync, statSync, writeFileSync } from "node:fs";
import { type Command, Option } from "commander";
import { buildCoverage, parseTestedList } from "../coverage/model.ts";
import { navigatorLayer } from "../coverage/navigator.ts";
import { coverageTable } from "../coverage/table.ts";
import { jsonDocument, visibleLine } from "../eql/terminal-text.ts";
import { loadRulesAtStart } from "../rules/load-at-start.ts";
import { isTestFile } from "../ruletest/format.ts";
import { rulesWithTests } from "../ruletest/rule-under-test.ts";

export interface CoverageCliOptions {
  format: "text" | "json" | "navigator";
  output?: string;
  tested?: string;
}

export function registerCoverageCommand(program: Command): void {
  program
    .command("coverage")
    .description("MITRE ATT&CK coverage of the rules: a table by tactic and technique, or a Navigator layer")
    .argument("<paths...>", "rule files and directories (walked recursively)")
    .addOption(
      new Option(
        "--format <format>",
        "text: a table by tactic; json: the coverage model; navigator: an ATT&CK Navigator layer (4.5)",
      )
        .choices(["text", "json", "navigator"])
        .default("text"),
    )
    .option("--output <file>", "write to this file instead of standard output")
    .option(
      "--tested <file>",
      "a text file of rule_ids that have tests (default: the rules `eqlite test` finds tests for)",
    )
    .action(async (paths: string[], options: CoverageCliOptions, command: Command) => {
      const code = await runCoverage(paths, options);
      command.parent?.setOptionValue("exitCode", code);
    });
}

/**
 * Exit 2 when a path or the tested list cannot be read, 0 otherwise (problems inside rules are
 * `validate`'s business): a mistyped path would otherwise print an empty map as if nothing were covered.
 */
export async function runCoverage(paths: string[], options: CoverageCliOptions): Promise<number> {
  for (const path of paths) {
    const unreadable = whyUnreadable(path);
    if (unreadable === undefined) continue;
    process.stderr.write(`eqlite coverage: ${visibleLine(unreadable)}\n`);
    return 2;
  }
  let tested: string[] = [];
  if (options.tested) {
    try {
      tested = parseTestedList(readFileSync(options.tested, "utf8"));
    } catch (error) {
      process.stderr.write(`eqlite coverage: --tested: ${(error as Error).message}\n`);
      return 2;
    }
  }
  const result = await loadRulesAtStart(paths);
  // the test files `eqlite test` would run: those the walk passed over, and any named
  if (!options.tested) tested = rulesWithTests([...paths, ...result.skipped].filter(isTestFile), result);
  const errors = result.diagnostics.filter((d) => d.severity === "error").length;
  if (errors || result.rejected.length)
    process.stderr.write(
      `eqlite coverage: ${errors} error(s) and ${result.rejected.length} rejected rule(s) while loading; run \`eqlite validate\` for details\n`,
    );
  const model = buildCoverage(result.rules, { tested });
  const text =
    options.format === "json"
      ? jsonDocument(model)
      : options.format === "navigator"
        ? jsonDocument(navigatorLayer(model))
        : coverageTable(model);
  if (!options.output) process.stdout.write(text);
  else
    try {
      writeFileSync(options.output, text);
    } catch (error) {
      process.stderr.write(`eqlite coverage: cannot write ${options.output}: ${(error as Error).message}\n`);
      return 2;
    }
  return 0;
}

/** Why a rules path cannot be read: not there, or there but not readable (a link in a circle, no permission). */
function whyUnreadable(path: string): string | undefined {
  try {
    statSync(path);
    return undefined;
  } catch (error) {
    const { code, message } = error as NodeJS.ErrnoException;
    return code === "ENOENT" ? `rules not found: ${path}` : `cannot read ${path}: ${message}`;
  }
}
