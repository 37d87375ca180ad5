import type { Expression } from "../ast.ts";
import type { ValidationContext } from "./context.ts";

export function referencesField(e: Expression): boolean {
  switch (e.kind) {
    case "Field":
      return true;
    case "Literal":
      return false;
    case "FunctionCall":
      return e.args.some(referencesField);
    case "Negate":
    case "Not":
      return referencesField(e.operand);
    case "Arithmetic":
    case "Comparison":
    case "Logical":
      return referencesField(e.left) || referencesField(e.right);
    case "Match":
      return referencesField(e.subject);
    case "In":
      return referencesField(e.subject) || e.values.some(referencesField);
  }
}

/** Elasticsearch compares a field only with constants: `a == b` and `a in (b)` are rejected. */
export function checkFieldComparison(ctx: ValidationContext, e: Expression): void {
  const offend = (offender: Expression, op: string) =>
    ctx.report(
      offender.loc,
      `Comparisons against fields are not (currently) supported; offender [${ctx.text(offender.loc)}] in [${op}]`,
    );
  if (e.kind === "Comparison") {
    const op = e.op === "!=" ? "==" : e.op;
    if (e.left.kind === "Field" && referencesField(e.right)) offend(e.right, op);
    else if (e.right.kind === "Field" && referencesField(e.left)) offend(e.left, op);
  } else if (e.kind === "In" && e.subject.kind === "Field") {
    for (const v of e.values) if (referencesField(v)) offend(v, "==");
  }
}
