import type { Expression } from "../ast.ts";
import type { ValidationContext } from "./context.ts";

/** A `where` condition is boolean; a bare boolean field counts (it reads as `field == true`). */
export function checkBooleanCondition(ctx: ValidationContext, condition: Expression): void {
  const t = ctx.typeOf(condition);
  if (t === "boolean" || t === "unknown" || t === "null") return;
  ctx.report(condition.loc, `Condition expression needs to be boolean, found [${t.toUpperCase()}]`);
}
