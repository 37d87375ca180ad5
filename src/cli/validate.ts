import { statSync } from "node:fs";
import { type Command, Option } from "commander";
import { SampleCheck, type SampleReport } from "../engine/sample-check.ts";
import { jsonDocument, visibleLine } from "../eql/terminal-text.ts";
import { type DecodeProblem, formatProblem, readEvents, STDIN_NAME } from "../io/event-source.ts";
import { type Diagnostic, formatDiagnostic, sortDiagnostics } from "../rules/diagnostic.ts";
import { loadRulesAtStart } from "../rules/load-at-start.ts";
import type { LoadResult } from "../rules/load-rules.ts";
import { type LoadSummary, summarize } from "../rules/load-summary.ts";
import { buildRuleSet } from "../rules/rule-set.ts";
import { reportInputError } from "./input-errors.ts";
import { formatSampleText, type SampleInput, sampleJson } from "./sample-report.ts";

interface ValidateOptions {
  strict?: boolean;
  format: "text" | "json";
  /** event files to check the rules against */
  data?: string[];
}

interface SampleResult {
  report: SampleReport;
  input: SampleInput;
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

export function registerValidateCommand(program: Command): void {
  program
    .command("validate")
    .description(
      "load and check detection rules (TOML, Kibana NDJSON exports, JSON); print file:line:column diagnostics",
    )
    .argument("<paths...>", "rule files and directories (walked recursively)")
    .option(
      "--strict",
      "unknown fields are errors, not warnings; with --data, a malformed event line is fatal",
    )
    .option(
      "--data <file>",
      "a sample of events (NDJSON, JSON, .gz, .zst; '-' is stdin), repeatable: report the fields " +
        "rules need that no event has, and the rules that match nothing",
      collect,
    )
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

/**
 * Exit 2 when any rule has an error or no rule file was found, 0 otherwise (warnings alone pass). What a `--data`
 * sample reveals is advice, not an error: a sample rarely holds every kind of event the
 * rules are written for. Only an unreadable sample (or a malformed line, with --strict)
 * exits 2.
 */
export async function runValidate(paths: string[], options: ValidateOptions): Promise<number> {
  const result = await loadRulesAtStart(paths, { strict: options.strict });
  result.diagnostics.push(...nothingToCheck(paths, result));
  const diagnostics = sortDiagnostics(result.diagnostics, result.files);
  const summary = summarize(result);
  let sample: SampleResult | undefined;
  if (options.data?.length) {
    try {
      sample = await checkSample(result, options.data, options.strict === true);
    } catch (error) {
      if (reportInputError(error)) return 2;
      throw error;
    }
  }
  if (options.format === "json") {
    process.stdout.write(jsonDocument(jsonReport(summary, diagnostics, options, sample)));
  } else {
    process.stdout.write(textReport(result, summary, diagnostics));
    if (sample) process.stdout.write(`\n${formatSampleText(sample.report, sample.input)}`);
  }
  return summary.errors > 0 ? 2 : 0;
}

/** Runs the rules that compiled over the sample; malformed lines are reported as the other commands do. */
/**
 * A check that read no rule file is no pass: a CI job pointed at a misspelt or emptied
 * directory would go green checking nothing. Said at each directory named, since each
 * looked empty (a path that does not exist already has its error).
 */
function nothingToCheck(paths: readonly string[], result: LoadResult): Diagnostic[] {
  if (result.files.length > 0) return [];
  return paths
    .filter((path) => statSync(path, { throwIfNoEntry: false })?.isDirectory())
    .map((path) => ({
      file: path,
      line: 1,
      column: 1,
      severity: "error",
      code: "no-rules",
      message:
        "no rule files under this directory: rules are read from .toml, .ndjson and .jsonl files (a .json file is read when named)",
    }));
}

async function checkSample(result: LoadResult, files: string[], strict: boolean): Promise<SampleResult> {
  const check = new SampleCheck(buildRuleSet(result.rules));
  let malformed = 0;
  const onProblem = (p: DecodeProblem) => {
    malformed++;
    process.stderr.write(`${formatProblem(p)}\n`);
  };
  for await (const { event, source, line } of readEvents(files, { strict, onProblem }))
    check.push(event, { source, line });
  const names = files.map((f) => (f === "-" ? STDIN_NAME : f));
  return { report: check.finish(), input: { files: names, malformed } };
}

function jsonReport(
  summary: LoadSummary,
  diagnostics: Diagnostic[],
  options: ValidateOptions,
  sample: SampleResult | undefined,
) {
  return {
    ...summary,
    strict: options.strict === true,
    diagnostics,
    ...(sample && { data: sampleJson(sample.report, sample.input) }),
  };
}

function textReport(result: LoadResult, s: LoadSummary, diagnostics: Diagnostic[]): string {
  const out: string[] = [];
  for (const d of diagnostics) {
    out.push(formatDiagnostic(d));
    // a code frame helps with errors; for warnings it would bury the summary
    if (d.frame && d.severity === "error") out.push(indent(d.frame));
  }
  if (out.length) out.push("");
  // a rejected rule's type is its file's text
  const types = Object.entries(s.by_type).map(([type, n]) => `${visibleLine(type)} ${n}`);
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
