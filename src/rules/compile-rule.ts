import { formatDuration } from "../engine/date-math.ts";
import { maxspanBeyondWindow } from "../engine/stream-span.ts";
import type { EventQuery, Statement } from "../eql/ast.ts";
import { type PreparedQuery, prepareQuery } from "../eql/compile-query.ts";
import type { EventPredicate, QueryCompiler } from "../eql/compiler.ts";
import { EqlError, problemAt } from "../eql/error.ts";
import { printCodeFrame, type Source } from "../eql/source.ts";
import { type Diagnostic, lazyMessage, type Severity } from "./diagnostic.ts";
import { fieldCatalog } from "./field-catalog.ts";
import { checkRuleFields } from "./field-checks.ts";
import type { LoadedRule, QueryLocation, RuleLocator } from "./loaded-rule.ts";
import { eventQueriesOf, queryFields } from "./query-fields.ts";
import type { EqlRule } from "./rule-model.ts";
import { ruleQuery } from "./rule-query.ts";
import type { SavedQuery } from "./saved-query.ts";

/** One event query of a rule, ready to test events: the whole query, or one sequence/sample term. */
export interface CompiledTerm {
  query: EventQuery;
  /** `process where ...` → "process"; `any where ...` → null */
  category: string | null;
  predicate: EventPredicate;
}

/** An EQL rule's query, parsed, checked and compiled once, for scan and serve to share. */
export interface CompiledRuleQuery {
  /** the query's text, placed in its rule file */
  source: Source;
  /** the query's tree, shared by `prepared` and `execution` */
  readonly statement: Statement;
  /** the query checked against the catalog of the rule's integrations (made again when read) */
  readonly prepared: PreparedQuery;
  /** the compiler the terms came from: join keys and timestamps read fields through it */
  readonly compiler: QueryCompiler;
  shape: "event" | "sequence" | "sample";
  /** the event query, or each sequence/sample term followed by `until` (compiled when first read) */
  readonly terms: CompiledTerm[];
  eventCategoryField: string;
  timestampField: string;
  tiebreakerField?: string;
  /** distinct field names the query reads */
  fields: string[];
  /** the category of each term (`any where`: null), known without compiling the terms */
  categories: ReadonlyArray<string | null>;
  /**
   * The query as scan and serve execute it: without the catalog's types, each value read as
   * what it is (the catalog checks the rule; real events need not follow it). Prepared on
   * first use and shared by the rule's streams, its index entry and the prefilter.
   */
  execution(): PreparedQuery;
}

export interface CompileOptions {
  /** unknown fields are errors rather than warnings */
  strict?: boolean;
}

/**
 * Compiles an `eql` rule against the catalog of its integrations' fields. Syntax and type
 * problems are errors at their place in the file; fields no catalog knows are warnings
 * (errors when strict) with the nearest known names, except `?field`s, which may be absent
 * by design. Returns undefined when the query does not compile.
 */
export function compileRule(
  loaded: LoadedRule & { rule: EqlRule },
  locator: RuleLocator,
  diagnostics: Diagnostic[],
  options: CompileOptions = {},
): CompiledRuleQuery | undefined {
  const { rule } = loaded;
  const file = loaded.origin.file;
  const location = locator.querySource(rule.query) ?? unplacedQuery(rule.query, file, locator);
  const catalog = fieldCatalog(loaded.integrations);
  const eventCategoryField = rule.event_category_override ?? "event.category";
  const timestampField = rule.timestamp_field ?? "@timestamp";
  const report = (
    line: number,
    column: number,
    severity: Severity,
    code: string,
    message: string | (() => string),
    frame?: string,
  ) => {
    const diagnostic: Diagnostic = {
      file,
      line,
      column,
      severity,
      code,
      message: typeof message === "string" ? message : "",
      rule_id: rule.rule_id,
      ...(frame && { frame }),
    };
    diagnostics.push(typeof message === "string" ? diagnostic : lazyMessage(diagnostic, message));
  };

  let compiled: CompiledRuleQuery;
  try {
    const prepared = prepareQuery(location.source, { schema: catalog, eventCategoryField, timestampField });
    const compiler = prepared.compiler();
    const { statement } = prepared;
    const eventQueries = eventQueriesOf(statement);
    // what compiling would refuse, found without compiling: scan and serve run `execution`
    for (const q of eventQueries) compiler.check(q);
    const { kind } = statement.query;
    const saved: SavedQuery = {
      source: location.source,
      shape: kind === "EventQuery" ? "event" : kind === "SequenceQuery" ? "sequence" : "sample",
      eventCategoryField,
      timestampField,
      tiebreakerField: rule.tiebreaker_field,
      fields: [...new Set(queryFields(statement).map((f) => f.name))],
      categories: eventQueries.map((q) => q.category),
    };
    compiled = ruleQuery(saved, loaded.integrations, statement);
  } catch (error) {
    if (!(error instanceof EqlError)) throw error;
    for (const problem of error.problems) {
      const { line, column } = location.positionOf(problem);
      const frame = printCodeFrame(location.source, problem.start, problem.end - problem.start);
      report(line, column, "error", "eql", problem.message, frame);
    }
    return undefined;
  }

  checkRuleFields(loaded, compiled, catalog, location, locator, report, options.strict === true);
  const cut = maxspanBeyondWindow({ rule, query: compiled });
  const maxspan = compiled.statement.query.kind === "SequenceQuery" ? compiled.statement.query.maxspan : null;
  if (cut && maxspan) {
    const { line, column } = location.positionOf(
      problemAt(location.source, maxspan.loc.start, maxspan.loc.end, ""),
    );
    const window = formatDuration(Number(cut.windowNs / 1_000_000n));
    report(
      line,
      column,
      "warning",
      "maxspan",
      `maxspan ${formatDuration(Number(cut.maxspanNs / 1_000_000n))} is longer than the rule's window (from ${rule.from} to ${rule.to}: ${window}): a Kibana run sees no sequence longer than its window, so scan --follow, serve and the worker find sequences spanning ${window} at most (with timestamp_override, the window bounds ingestion instead and maxspan stands)`,
    );
  }
  if (compiled.shape === "sequence" && rule.alert_suppression) {
    const { line, column } = locator.at(["alert_suppression"]);
    report(
      line,
      column,
      "warning",
      "alert-suppression",
      "alert suppression on sequence queries needs Kibana 8.16 or later; detection-rules refuses it",
    );
  }
  return compiled;
}

/**
 * A query whose text the locator could not find (written in an inline table, say): its
 * problems are reported at the `query` key.
 */
function unplacedQuery(query: string, file: string, locator: RuleLocator): QueryLocation {
  const at = locator.at(["query"]);
  return { source: { body: query, name: file }, positionOf: () => at };
}
