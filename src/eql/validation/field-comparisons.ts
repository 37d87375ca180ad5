import type { Expression, Field } from "../ast.ts";
import type { ValidationContext } from "./context.ts";

/**
 * Whether an expression reads a field. An optional field the schema does not know is
 * a null constant, as Elasticsearch folds it, so `?x == ?y` compares two nulls.
 */
export function referencesField(e: Expression, isAbsent: (f: Field) => boolean): boolean {
  switch (e.kind) {
    case "Field":
      return !isAbsent(e);
    case "Literal":
      return false;
    case "FunctionCall":
      return someReferencesField(e.args, isAbsent);
    case "Negate":
    case "Not":
      return referencesField(e.operand, isAbsent);
    case "Arithmetic":
    case "Comparison":
    case "Logical":
      return referencesField(e.left, isAbsent) || referencesField(e.right, isAbsent);
    case "Match":
      return referencesField(e.subject, isAbsent);
    case "In":
      return referencesField(e.subject, isAbsent) || someReferencesField(e.values, isAbsent);
  }
}

function someReferencesField(es: readonly Expression[], isAbsent: (f: Field) => boolean): boolean {
  for (const x of es) if (referencesField(x, isAbsent)) return true;
  return false;
}

/**
 * Elasticsearch compares a field only with constants: `a == b` and `a in (b)` are rejected.
 * Runs on every node of every query a load checks: nothing is allocated for a node that is not
 * such a comparison.
 */
export function checkFieldComparison(ctx: ValidationContext, e: Expression): void {
  if (e.kind === "Comparison") {
    const op = e.op === "!=" ? "==" : e.op;
    if (isPresentField(ctx, e.left) && referencesField(e.right, ctx.isAbsentOptional))
      offend(ctx, e.right, op);
    else if (isPresentField(ctx, e.right) && referencesField(e.left, ctx.isAbsentOptional))
      offend(ctx, e.left, op);
  } else if (e.kind === "In" && isPresentField(ctx, e.subject)) {
    for (const v of e.values) if (referencesField(v, ctx.isAbsentOptional)) offend(ctx, v, "==");
  }
}

const isPresentField = (ctx: ValidationContext, x: Expression) =>
  x.kind === "Field" && !ctx.isAbsentOptional(x);

function offend(ctx: ValidationContext, offender: Expression, op: string): void {
  ctx.report(
    offender.loc,
    `Comparisons against fields are not (currently) supported; offender [${ctx.text(offender.loc)}] in [${op}]`,
  );
}
