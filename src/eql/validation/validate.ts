import type { EventQuery, Expression, Statement } from "../ast.ts";
import { EqlError } from "../error.ts";
import type { Source } from "../source.ts";
import { checkArgumentTypes } from "./argument-types.ts";
import { checkBooleanCondition } from "./boolean-condition.ts";
import { type AnalysisOptions, createContext, type ValidationContext } from "./context.ts";
import { checkFieldComparison } from "./field-comparisons.ts";
import { checkJoinKeyTypes } from "./join-key-types.ts";
import { checkKnownField } from "./known-fields.ts";
import { checkKnownFunction } from "./known-functions.ts";

/** Checks run on every expression node, in this order. */
const EXPRESSION_CHECKS = [checkKnownField, checkKnownFunction, checkArgumentTypes, checkFieldComparison];

/**
 * Semantic checks (Elasticsearch's verification_exception): unknown fields and
 * functions, arity, types, field-to-field comparisons. All problems are collected
 * and thrown together. Returns the context so the compiler can reuse the types.
 */
export function validate(statement: Statement, source: Source, options: AnalysisOptions): ValidationContext {
  const ctx = createContext(source, options);
  const query = statement.query;
  const eventQueries: EventQuery[] =
    query.kind === "EventQuery"
      ? [query]
      : [
          ...query.terms.map((t) => t.query),
          ...(query.kind === "SequenceQuery" && query.until ? [query.until.query] : []),
        ];
  for (const q of eventQueries) checkEventQuery(ctx, q);
  if (query.kind !== "EventQuery") {
    const terms = [...query.terms, ...(query.kind === "SequenceQuery" && query.until ? [query.until] : [])];
    for (const key of [...query.joinKeys, ...terms.flatMap((t) => t.joinKeys)]) checkKnownField(ctx, key);
    checkJoinKeyTypes(
      ctx,
      terms.map((t) => [...query.joinKeys, ...t.joinKeys]),
    );
  }
  if (ctx.problems.length) throw new EqlError("verification", source, ctx.problems);
  return ctx;
}

function checkEventQuery(ctx: ValidationContext, q: EventQuery): void {
  const schema = ctx.options.schema;
  if (schema && q.category !== null && !schema.field(ctx.options.eventCategoryField)) {
    ctx.report(
      { start: q.loc.start, end: q.loc.start + 1 },
      `Unknown column [${ctx.options.eventCategoryField}]`,
    );
  }
  const before = ctx.problems.length;
  walk(q.condition, (e) => {
    for (const check of EXPRESSION_CHECKS) check(ctx, e);
  });
  // A condition already found broken inside has no meaningful type.
  if (ctx.problems.length === before) checkBooleanCondition(ctx, q.condition);
}

export function walk(e: Expression, visit: (e: Expression) => void): void {
  visit(e);
  switch (e.kind) {
    case "FunctionCall":
      for (const a of e.args) walk(a, visit);
      return;
    case "Negate":
    case "Not":
      walk(e.operand, visit);
      return;
    case "Arithmetic":
    case "Comparison":
    case "Logical":
      walk(e.left, visit);
      walk(e.right, visit);
      return;
    case "Match":
      walk(e.subject, visit);
      return;
    case "In":
      walk(e.subject, visit);
      for (const v of e.values) walk(v, visit);
      return;
    default:
      return;
  }
}
