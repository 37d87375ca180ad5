import { statSync } from "node:fs";
import { type Command, Option } from "commander";
import { nestsTooDeep, tooDeepReason } from "../engine/json-tree.ts";
import type { Event } from "../eql/field-access.ts";
import { jsonDocument, visibleLine } from "../eql/terminal-text.ts";
import { attachExceptions } from "../exceptions/attach.ts";
import { exceptionFilter, KEEP_ALL } from "../exceptions/compile.ts";
import { emptyExceptions, loadExceptionFiles, mergeExceptions } from "../exceptions/load.ts";
import type { LoadedExceptions } from "../exceptions/loaded.ts";
import { formatDiagnostic as formatExceptionDiagnostic } from "../exceptions/model.ts";
import { type EventExplanation, explainerForRule, formatExplanation } from "../explain/explain.ts";
import { eventFilesOf } from "../io/event-files.ts";
import { DecodeError, type DecodeProblem, formatProblem, readEvents } from "../io/event-source.ts";
import { formatDiagnostic } from "../rules/diagnostic.ts";
import { loadRulesAtStart } from "../rules/load-at-start.ts";
import type { LoadedRule } from "../rules/loaded-rule.ts";
import { BUNDLED_RULES } from "./bundled-rules.ts";
import { reportInputError } from "./input-errors.ts";
import { sayWhenReadingTerminal } from "./terminal-input.ts";

interface ExplainOptions {
  rule: string;
  rules?: string[];
  exceptions?: string[];
  format: "text" | "json";
  strict?: boolean;
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

export function registerExplainCommand(program: Command): void {
  program
    .command("explain")
    .description("show, clause by clause, why each event does or does not match a rule's query")
    .requiredOption("--rule <rule>", "a rule file (TOML, NDJSON, JSON), or a rule_id or name among --rules")
    .option(
      "--rules <path>",
      "where to look a rule_id or name up, repeatable (default: the bundled rules/)",
      collect,
    )
    .option(
      "--exceptions <file>",
      "exception lists or items applied as scan applies them (those exported with the rule apply anyway); repeatable",
      collect,
    )
    .addOption(
      new Option("--format <format>", "text: a verdict and clause tree per event; json: an array")
        .choices(["text", "json"])
        .default("text"),
    )
    .option("--strict", "a malformed input line is an error instead of being reported and skipped")
    .argument("[event_file]", "NDJSON or JSON events, or a directory of them; '-' or none reads stdin", "-")
    .action(async (file: string, options: ExplainOptions, command: Command) => {
      const code = await runExplain(file, options);
      command.parent?.setOptionValue("exitCode", code);
    });
}

/** What a --rule naming a rule file ends with (a rule's name rarely does). */
const RULE_FILE = /\.(toml|ndjson|jsonl|json)$/i;

async function findRule(
  spec: string,
  rulePaths: string[],
): Promise<{ rule: LoadedRule; exceptions: LoadedExceptions } | string> {
  let isFile = false;
  try {
    // a device or a pipe is read as a file too (and bounded as one)
    isFile = !statSync(spec).isDirectory();
  } catch (error) {
    // something is there but cannot be read (a link in a circle, no permission): not a rule_id
    const { code, message } = error as NodeJS.ErrnoException;
    if (code !== "ENOENT" && code !== "ENOTDIR" && code !== "ENAMETOOLONG")
      return `cannot read rule file ${visibleLine(spec)}: ${visibleLine(message)}`;
  }
  const loaded = await loadRulesAtStart(isFile ? [spec] : rulePaths);
  let candidates = loaded.rules;
  if (!isFile) candidates = candidates.filter((r) => r.rule.rule_id === spec || r.rule.name === spec);
  if (candidates.length === 0) {
    // the errors say why; a file with none was skipped, and its warning says why
    const errors = loaded.diagnostics.filter((d) => d.severity === "error");
    const why = (errors.length ? errors : loaded.diagnostics).map(formatDiagnostic);
    if (isFile) return `no rule loaded from ${visibleLine(spec)}${why.length ? `:\n${why.join("\n")}` : ""}`;
    const typo = RULE_FILE.test(spec) ? ` (and there is no file ${visibleLine(spec)})` : "";
    return `no rule with rule_id or name ${JSON.stringify(spec)} in ${visibleLine(rulePaths.join(", "))}${typo}`;
  }
  if (candidates.length > 1) {
    const ids = candidates.map((r) => visibleLine(`${r.rule.rule_id} (${r.rule.name})`)).join("\n  ");
    return `${candidates.length} rules match ${JSON.stringify(spec)}; pass one rule_id with --rules:\n  ${ids}`;
  }
  const rule = candidates[0] as LoadedRule;
  if (!rule.query) {
    const errors = loaded.diagnostics
      .filter((d) => d.severity === "error" && d.file === rule.origin.file)
      .map(formatDiagnostic);
    return rule.rule.type !== "eql"
      ? `rule ${visibleLine(rule.rule.name)} is a ${visibleLine(rule.rule.type)} rule; explain takes EQL rules`
      : `the query of rule ${visibleLine(rule.rule.name)} does not compile${errors.length ? `:\n${errors.join("\n")}` : ""}`;
  }
  return { rule, exceptions: loaded.exceptions ?? emptyExceptions() };
}

/** An exception item that keeps an event from the rule, by name: what explain says of it. */
type NamedException = { name: string; keep: (event: Event) => boolean };

async function exceptionsOfRule(
  rule: LoadedRule,
  exceptions: LoadedExceptions,
  files: readonly string[],
): Promise<NamedException[]> {
  if (files.length) mergeExceptions(exceptions, await loadExceptionFiles(files, { allRules: true }));
  for (const d of exceptions.diagnostics) process.stderr.write(`${formatExceptionDiagnostic(d)}\n`);
  const items = attachExceptions([rule.rule], exceptions).byRule.get(rule.rule.rule_id) ?? [];
  const options = { valueLists: exceptions.valueLists, now: new Date(), cache: new Map() };
  return items.flatMap((item) => {
    const keep = exceptionFilter([[item]], options);
    return keep === KEEP_ALL ? [] : [{ name: item.name, keep }];
  });
}

export async function runExplain(file: string, options: ExplainOptions): Promise<number> {
  const rulePaths = options.rules?.length ? options.rules : [BUNDLED_RULES];
  const found = await findRule(options.rule, rulePaths);
  if (typeof found === "string") {
    process.stderr.write(`eqlite: ${found}\n`);
    return 2;
  }
  const { rule } = found;
  const exceptions = await exceptionsOfRule(rule, found.exceptions, options.exceptions ?? []);
  const explainer = explainerForRule(rule.query as NonNullable<LoadedRule["query"]>);
  const onProblem = (p: DecodeProblem) => process.stderr.write(`${formatProblem(p)}\n`);
  const json = options.format === "json";
  const all: EventExplanation[] = [];
  let read = 0;
  if (!json)
    process.stdout.write(
      `rule: ${visibleLine(`${rule.rule.name} (${rule.rule.rule_id})`)}\nquery: ${visibleLine(explainer.query)}\n\n`,
    );
  try {
    const paths = eventFilesOf([file]);
    sayWhenReadingTerminal(paths);
    for await (const { event, source, line } of readEvents(paths, {
      strict: options.strict,
      onProblem,
    })) {
      read++;
      // an alert cannot hold it (scan counts its match as one whose alert could not be built),
      // and its values cannot be printed: say so, rather than explain what cannot be shown
      if (nestsTooDeep(event)) {
        const problem = { source, line, reason: `${tooDeepReason("event")}: not explained` };
        if (options.strict) throw new DecodeError(problem);
        onProblem(problem);
        continue;
      }
      const x = explainer.explain(event, source, line);
      const exceptedBy = exceptions.filter((e) => !e.keep(event)).map((e) => e.name);
      if (exceptedBy.length) x.excepted_by = exceptedBy;
      if (json) all.push(x);
      else process.stdout.write(`${formatExplanation(x)}\n\n`);
    }
  } catch (error) {
    if (reportInputError(error)) return 2;
    throw error;
  }
  if (json) process.stdout.write(jsonDocument(all));
  // an empty answer would look like a hang or a bug: say there was nothing to explain
  if (read === 0)
    process.stderr.write(`eqlite: no events in ${visibleLine(file === "-" ? "stdin" : file)}\n`);
  return 0;
}
