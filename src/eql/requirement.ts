import type { EventQuery, Expression, Statement } from "./ast.ts";
import type { FieldQuery, QueryCompiler } from "./compiler.ts";
import { eventQueriesOf } from "./event-queries.ts";
import { compileFieldGetter, someValue } from "./field-access.ts";

/**
 * What an event must have for a query to match it: a necessary condition, built from the
 * query's positive field conditions only. Negations, `!=`, `not in` and scripts say nothing
 * about what is present (Elasticsearch's must_not matches a missing field), so they are
 * `always`. The rule index and the raw-line prefilter use it to skip work, so it may be
 * weaker than the query but never stronger: an event the query matches meets it.
 */
export type Requirement =
  | { kind: "always" }
  | { kind: "never" }
  /** some value of the field passes the query's own per-value test */
  | { kind: "field"; query: FieldQuery }
  | { kind: "all"; of: Requirement[] }
  | { kind: "some"; of: Requirement[] };

export const ALWAYS: Requirement = { kind: "always" };
const NEVER: Requirement = { kind: "never" };

/** The requirement of a whole statement: an event query's, or for sequences and samples, any term's. */
export function statementRequirement(
  compiler: QueryCompiler,
  statement: Statement,
  eventCategoryField: string,
): Requirement {
  return some(eventQueriesOf(statement).map((q) => eventQueryRequirement(compiler, q, eventCategoryField)));
}

export function eventQueryRequirement(
  compiler: QueryCompiler,
  q: EventQuery,
  eventCategoryField: string,
): Requirement {
  const condition = requirementOf(compiler, q.condition);
  if (q.category === null) return condition;
  const category = q.category;
  const isCategory = (v: string | number | boolean) => v === category;
  const categoryQuery: FieldQuery = {
    field: eventCategoryField,
    get: compileFieldGetter(eventCategoryField),
    test: isCategory,
    negated: false,
    terms: { values: new Set([category]), caseInsensitive: false },
  };
  return all([{ kind: "field", query: categoryQuery }, condition]);
}

export function requirementOf(compiler: QueryCompiler, e: Expression): Requirement {
  switch (e.kind) {
    case "Logical": {
      const left = requirementOf(compiler, e.left);
      const right = requirementOf(compiler, e.right);
      return e.op === "and" ? all([left, right]) : some([left, right]);
    }
    case "Literal":
      return e.value === true ? ALWAYS : e.value === false ? NEVER : ALWAYS;
    case "Not":
      return ALWAYS;
    default: {
      const query = compiler.fieldQuery(e);
      return query && !query.negated ? { kind: "field", query } : ALWAYS;
    }
  }
}

function all(parts: Requirement[]): Requirement {
  const of: Requirement[] = [];
  for (const p of parts) {
    if (p.kind === "never") return NEVER;
    if (p.kind === "always") continue;
    if (p.kind === "all") of.push(...p.of);
    else of.push(p);
  }
  return of.length === 0 ? ALWAYS : of.length === 1 ? of[0] : { kind: "all", of };
}

function some(parts: Requirement[]): Requirement {
  const of: Requirement[] = [];
  for (const p of parts) {
    if (p.kind === "always") return ALWAYS;
    if (p.kind === "never") continue;
    if (p.kind === "some") of.push(...p.of);
    else of.push(p);
  }
  return of.length === 0 ? NEVER : of.length === 1 ? of[0] : { kind: "some", of };
}

/** Evaluates a requirement on a parsed event (what the property tests compare the raw forms with). */
export function meetsRequirement(r: Requirement, event: Record<string, unknown>): boolean {
  switch (r.kind) {
    case "always":
      return true;
    case "never":
      return false;
    case "field":
      return someValue(r.query.get(event), r.query.test);
    case "all":
      return r.of.every((p) => meetsRequirement(p, event));
    case "some":
      return r.of.some((p) => meetsRequirement(p, event));
  }
}
