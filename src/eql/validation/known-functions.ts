import type { Expression } from "../ast.ts";
import { functionNames, lookupFunction } from "../functions.ts";
import { suggest } from "../suggest.ts";
import type { ValidationContext } from "./context.ts";

const CASE_INSENSITIVE_FORMS = "between, endsWith, indexOf, startsWith and stringContains";

/** The function exists, takes this many arguments, and has a `~` form if one is used. */
export function checkKnownFunction(ctx: ValidationContext, e: Expression): void {
  if (e.kind !== "FunctionCall") return;
  const fn = lookupFunction(e.name);
  if (!fn) {
    ctx.report(e.loc, `Unknown function [${e.name}]${suggest(e.name.toLowerCase(), functionNames())}`);
    return;
  }
  if (e.args.length < fn.minArgs || e.args.length > fn.maxArgs) {
    ctx.report(e.loc, `error building [${e.name}]: ${fn.arityMessage}`);
  }
  if (e.caseInsensitive && !fn.caseInsensitiveForm) {
    ctx.report(
      e.loc,
      `Function [${e.name}~] does not support case-insensitivity: only ${CASE_INSENSITIVE_FORMS} have a ~ form`,
    );
  }
}
