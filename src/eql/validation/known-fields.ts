import type { Expression } from "../ast.ts";
import { suggest } from "../suggest.ts";
import type { ValidationContext } from "./context.ts";

/** A field must exist in the schema unless it is written `?field`; some mapped types cannot be queried. */
export function checkKnownField(ctx: ValidationContext, e: Expression): void {
  if (e.kind !== "Field" || !ctx.options.schema) return;
  const info = ctx.fieldInfo(e);
  if (info?.unsupported) {
    ctx.report(e.loc, info.unsupported);
  } else if (!info && !e.optional) {
    const hint = suggest(e.name, ctx.options.schema.fieldNames());
    ctx.report(
      e.loc,
      `Unknown column [${e.name}]${hint}${hint ? "" : "; write ?" + e.name + " if it may be absent"}`,
    );
  }
}
