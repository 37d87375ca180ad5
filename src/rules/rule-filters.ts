/**
 * A rule's `filters`: the filter pills a Kibana user adds under the query, saved as Kibana's
 * filter objects (`{meta, query}`). Kibana's detection engine sends them, with the exception
 * filter, as the `bool.filter` around the rule's EQL query (the negated ones as `must_not`),
 * so an event a filter rejects never reaches the rule — nor any sequence of it. Here they
 * become one predicate, applied where the rule's exceptions are.
 *
 * Each filter: `meta.disabled` leaves it out, `meta.negate` turns it around, and its query is
 * its `query` key, or — in filters saved by older Kibanas — the filter itself without `meta`
 * and `$state` (`{"exists": {...}}`, `{"range": {...}}`). A `combined` filter holds filters in
 * `meta.params`, all of which (`relation` AND) or one of which (OR) must hold.
 *
 * A filter that cannot be evaluated (see query-dsl.ts) or is malformed is left out, whole,
 * with a problem saying where: without it the rule sees more events than in Kibana, never fewer.
 */
import type { Event } from "../eql/field-access.ts";
import type { DocumentPath } from "./position-map.ts";
import {
  type EventTest,
  MAX_QUERY_CLAUSES,
  QueryDslCompiler,
  QueryDslError,
  type QueryProblemKind,
} from "./query-dsl.ts";

export interface FilterProblem {
  kind: QueryProblemKind;
  /** where in the rule, from `filters` */
  path: DocumentPath;
  message: string;
}

export interface CompiledFilters {
  /** true when the event passes every filter; undefined when no filter applies */
  keep?: (event: Event) => boolean;
  /** the filters left out, one problem each */
  problems: FilterProblem[];
}

/** Combined filters nested deeper than this are refused (Kibana's editor nests a few). */
const MAX_COMBINED_DEPTH = 16;

type Raw = Record<string, unknown>;
const isRaw = (v: unknown): v is Raw => v !== null && typeof v === "object" && !Array.isArray(v);
const own = (o: Raw, key: string): unknown => (Object.hasOwn(o, key) ? o[key] : undefined);

/** The predicate of a rule's filters, and the filters it had to leave out. */
export function compileRuleFilters(filters: readonly unknown[] | undefined): CompiledFilters {
  const problems: FilterProblem[] = [];
  const tests: EventTest[] = [];
  (filters ?? []).forEach((filter, i) => {
    try {
      // one bound on the clauses of a filter, combined filters included
      const test = compileFilter(filter, ["filters", i], 0, new QueryDslCompiler());
      if (test !== undefined) tests.push(test);
    } catch (error) {
      if (!(error instanceof QueryDslError)) throw error;
      problems.push({ kind: error.kind, path: error.path, message: error.message });
    }
  });
  if (tests.length === 0) return { problems };
  return {
    keep: (event) => {
      for (const test of tests) if (!test(event)) return false;
      return true;
    },
    problems,
  };
}

/** Only the predicate: for the engine, whose rules were checked (and their problems told) when loaded. */
export function ruleFilter(rule: { filters?: readonly unknown[] }): ((event: Event) => boolean) | undefined {
  return compileRuleFilters(rule.filters).keep;
}

/** One filter as a test of the event; undefined when it is disabled. */
function compileFilter(
  filter: unknown,
  path: DocumentPath,
  depth: number,
  dsl: QueryDslCompiler,
): EventTest | undefined {
  if (!isRaw(filter)) throw new QueryDslError("malformed", path, "a filter must be an object");
  const meta = own(filter, "meta") ?? {};
  if (!isRaw(meta)) throw new QueryDslError("malformed", [...path, "meta"], "meta must be an object");
  const disabled = flag(meta, "disabled", path);
  const negate = flag(meta, "negate", path);
  if (disabled) return undefined;
  const test =
    own(meta, "type") === "combined"
      ? combined(meta, [...path, "meta"], depth, dsl)
      : plainFilter(filter, path, dsl);
  return negate ? (event) => !test(event) : test;
}

function flag(meta: Raw, key: string, path: DocumentPath): boolean {
  const value = own(meta, key);
  if (value === undefined || value === null) return false;
  if (typeof value !== "boolean")
    throw new QueryDslError("malformed", [...path, "meta", key], `meta.${key} must be true or false`);
  return value;
}

function plainFilter(filter: Raw, path: DocumentPath, dsl: QueryDslCompiler): EventTest {
  const query = own(filter, "query");
  if (query !== undefined && query !== null) return dsl.compile(query, [...path, "query"]);
  // a filter of an older Kibana is its own query
  const legacy = Object.keys(filter).filter((k) => k !== "meta" && k !== "$state");
  if (legacy.length === 0) throw new QueryDslError("malformed", path, "the filter has no query");
  if (legacy.length !== 1)
    throw new QueryDslError("malformed", path, `the filter holds ${legacy.join(", ")}: one query at most`);
  // fromEntries defines the key as the filter's own, even one named __proto__
  return dsl.compile(Object.fromEntries([[legacy[0], filter[legacy[0]]]]), path);
}

/** `meta.params` are filters, each with its own meta; AND wants them all, OR one of them. */
function combined(meta: Raw, path: DocumentPath, depth: number, dsl: QueryDslCompiler): EventTest {
  if (depth >= MAX_COMBINED_DEPTH)
    throw new QueryDslError("malformed", path, `combined filters nest deeper than ${MAX_COMBINED_DEPTH}`);
  const params = own(meta, "params");
  if (!Array.isArray(params))
    throw new QueryDslError("malformed", [...path, "params"], "a combined filter's params must be an array");
  if (params.length > MAX_QUERY_CLAUSES)
    throw new QueryDslError(
      "malformed",
      [...path, "params"],
      `more than ${MAX_QUERY_CLAUSES} filters combined`,
    );
  const relation = own(meta, "relation") ?? "AND";
  if (relation !== "AND" && relation !== "OR")
    throw new QueryDslError("malformed", [...path, "relation"], 'relation must be "AND" or "OR"');
  // as Kibana builds them, a disabled filter under OR is an empty bool, which every event passes
  const tests = params.map(
    (p, i) => compileFilter(p, [...path, "params", i], depth + 1, dsl) ?? (() => true),
  );
  if (relation === "AND") {
    return (event) => {
      for (const test of tests) if (!test(event)) return false;
      return true;
    };
  }
  return (event) => {
    for (const test of tests) if (test(event)) return true;
    return false;
  };
}
