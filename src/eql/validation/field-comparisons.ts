import type { Expression, Field } from "../ast.ts";
import type { ValidationContext } from "./context.ts";

/**
 * Whether an expression reads a field. An optional field the schema does not know is
 * a null constant, as Elasticsearch folds it, so `?x == ?y` compares two nulls.
 */
export function referencesField(e: Expression, isAbsent: (f: Field) => boolean = () => false): boolean {
  const refs = (x: Expression) => referencesField(x, isAbsent);
  switch (e.kind) {
    case "Field":
      return !isAbsent(e);
    case "Literal":
      return false;
    case "FunctionCall":
      return e.args.some(refs);
    case "Negate":
    case "Not":
      return refs(e.operand);
    case "Arithmetic":
    case "Comparison":
    case "Logical":
      return refs(e.left) || refs(e.right);
    case "Match":
      return refs(e.subject);
    case "In":
      return refs(e.subject) || e.values.some(refs);
  }
}

/** Elasticsearch compares a field only with constants: `a == b` and `a in (b)` are rejected. */
export function checkFieldComparison(ctx: ValidationContext, e: Expression): void {
  const offend = (offender: Expression, op: string) =>
    ctx.report(
      offender.loc,
      `Comparisons against fields are not (currently) supported; offender [${ctx.text(offender.loc)}] in [${op}]`,
    );
  const absent = (f: Field) => ctx.isAbsentOptional(f);
  const isField = (x: Expression) => x.kind === "Field" && !absent(x);
  if (e.kind === "Comparison") {
    const op = e.op === "!=" ? "==" : e.op;
    if (isField(e.left) && referencesField(e.right, absent)) offend(e.right, op);
    else if (isField(e.right) && referencesField(e.left, absent)) offend(e.left, op);
  } else if (e.kind === "In" && isField(e.subject)) {
    for (const v of e.values) if (referencesField(v, absent)) offend(v, "==");
  }
}
