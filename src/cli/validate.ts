import { type Command, Option } from "commander";
import { type Diagnostic, formatDiagnostic, sortDiagnostics } from "../rules/diagnostic.ts";
import { type LoadResult, loadRules } from "../rules/load-rules.ts";
import { type LoadSummary, summarize } from "../rules/load-summary.ts";

interface ValidateOptions {
  strict?: boolean;
  format: "text" | "json";
}

export function registerValidateCommand(program: Command): void {
  program
    .command("validate")
    .description(
      "load and check detection rules (TOML, Kibana NDJSON exports, JSON); print file:line:column diagnostics",
    )
    .argument("<paths...>", "rule files and directories (walked recursively)")
    .option("--strict", "unknown fields are errors, not warnings")
    .addOption(
      new Option("--format <format>", "text: diagnostics and a summary; json: one JSON object")
        .choices(["text", "json"])
        .default("text"),
    )
    .action(async (paths: string[], options: ValidateOptions, command: Command) => {
      const code = await runValidate(paths, options);
      command.parent?.setOptionValue("exitCode", code);
    });
}

/** Exit 2 when any rule has an error, 0 otherwise (warnings alone pass). */
export async function runValidate(paths: string[], options: ValidateOptions): Promise<number> {
  const result = await loadRules(paths, { strict: options.strict });
  const diagnostics = sortDiagnostics(result.diagnostics, result.files);
  const summary = summarize(result);
  if (options.format === "json") {
    process.stdout.write(`${JSON.stringify(jsonReport(summary, diagnostics, options), null, 2)}\n`);
  } else {
    process.stdout.write(textReport(result, summary, diagnostics));
  }
  return summary.errors > 0 ? 2 : 0;
}

function jsonReport(summary: LoadSummary, diagnostics: Diagnostic[], options: ValidateOptions) {
  return { ...summary, strict: options.strict === true, diagnostics };
}

function textReport(result: LoadResult, s: LoadSummary, diagnostics: Diagnostic[]): string {
  const out: string[] = [];
  for (const d of diagnostics) {
    out.push(formatDiagnostic(d));
    // a code frame helps with errors; for warnings it would bury the summary
    if (d.frame && d.severity === "error") out.push(indent(d.frame));
  }
  if (out.length) out.push("");
  const types = Object.entries(s.by_type).map(([type, n]) => `${type} ${n}`);
  out.push(
    `${s.rules} rule${plural(s.rules)} in ${s.files} file${plural(s.files)}${types.length ? `: ${types.join(", ")}` : ""}`,
  );
  const eql = s.by_type.eql ?? 0;
  const waiting = Object.values(s.not_executable).reduce((a, b) => a + b, 0);
  const lines = [`${s.compiled} of ${eql} eql rule${plural(eql)} compiled`];
  if (waiting)
    lines.push(`${waiting} rule${plural(waiting)} of other types loaded and checked, not yet executable`);
  if (s.rejected) lines.push(`${s.rejected} rejected`);
  out.push(lines.join("; "));
  if (s.exception_lists) out.push(`${s.exception_lists} exception list(s) with ${s.exception_items} item(s)`);
  if (result.skipped.length) out.push(`${result.skipped.length} other file(s) skipped`);
  out.push(`${s.errors} error${plural(s.errors)}, ${s.warnings} warning${plural(s.warnings)}`);
  return `${out.join("\n")}\n`;
}

const plural = (n: number): string => (n === 1 ? "" : "s");
const indent = (text: string): string =>
  text
    .split("\n")
    .map((l) => `    ${l}`)
    .join("\n");
