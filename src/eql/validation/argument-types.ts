import type { Expression } from "../ast.ts";
import { type ArgumentKind, lookupFunction } from "../functions.ts";
import { type EqlType, isIntegralType, isNumericType, isStringType } from "../types.ts";
import { ordinal, shortOrdinal, type ValidationContext } from "./context.ts";
import { referencesField } from "./field-comparisons.ts";

const isBoolean = (t: EqlType) => t === "boolean";

const accepts: Record<ArgumentKind, (t: EqlType) => boolean> = {
  string: isStringType,
  numeric: isNumericType,
  integer: isIntegralType,
  boolean: isBoolean,
  ip: (t) => t === "ip",
  any: () => true,
};

/** Types that are decided per value or that match anything pass every check. */
const isOpen = (t: EqlType) => t === "unknown" || t === "null";

/**
 * Operands and arguments have the types their operator or function needs. Runs on every node
 * of every query a load checks: nothing is allocated unless a problem is reported.
 */
export function checkArgumentTypes(ctx: ValidationContext, e: Expression): void {
  switch (e.kind) {
    case "FunctionCall": {
      const fn = lookupFunction(e.name);
      if (!fn) return;
      for (let i = 0; i < e.args.length; i++) {
        const arg = e.args[i];
        if (i >= (fn.constantsFrom ?? e.args.length) && referencesField(arg, ctx.isAbsentOptional)) {
          ctx.report(
            arg.loc,
            `${ordinal(i)} argument of [${ctx.text(e.loc)}] must be a constant, received [${ctx.text(arg.loc)}]`,
          );
          continue;
        }
        const kind = fn.argumentKinds[Math.min(i, fn.argumentKinds.length - 1)];
        expectArgument(ctx, e, i, arg, kind, accepts[kind]);
      }
      return;
    }
    case "Arithmetic":
      expectArgument(ctx, e, 0, e.left, "numeric", isNumericType);
      expectArgument(ctx, e, 1, e.right, "numeric", isNumericType);
      return;
    case "Negate":
      expectArgument(ctx, e, 0, e.operand, "numeric", isNumericType);
      return;
    case "Match": {
      const t = ctx.typeOf(e.subject);
      if (!isOpen(t) && !isStringType(t)) {
        if (e.op === ":") {
          ctx.report(
            e.subject.loc,
            `first argument of [:] must be [string], found value [${ctx.text(e.subject.loc)}] type [${t}]; consider using [==] instead`,
          );
        } else {
          reportArgument(ctx, e, 0, e.subject, "string");
        }
      }
      for (const p of e.patterns) if (p.type !== "keyword") reportArgument(ctx, e, 1, p, "string");
      return;
    }
    case "In": {
      const t = ctx.typeOf(e.subject);
      if (isOpen(t)) return;
      for (let i = 0; i < e.values.length; i++) {
        const v = e.values[i];
        const vt = ctx.typeOf(v);
        if (!isOpen(vt) && !compatible(t, vt)) {
          ctx.report(
            v.loc,
            `${shortOrdinal(i + 1)} argument of [${ctx.text(e.loc)}] must be [${t}], found value [${ctx.text(v.loc)}] type [${vt}]`,
          );
        }
      }
      return;
    }
    case "Not": {
      const t = ctx.typeOf(e.operand);
      if (!isOpen(t) && t !== "boolean") {
        ctx.report(
          e.operand.loc,
          `argument of [${ctx.text(e.loc)}] must be [boolean], found value [${ctx.text(e.operand.loc)}] type [${t}]`,
        );
      }
      return;
    }
    case "Logical":
      expectArgument(ctx, e, 0, e.left, "boolean", isBoolean);
      expectArgument(ctx, e, 1, e.right, "boolean", isBoolean);
      return;
    default:
      return;
  }
}

/** Reports the `i`th argument of `call` unless its type is open or `accepted`. */
function expectArgument(
  ctx: ValidationContext,
  call: Expression,
  i: number,
  arg: Expression,
  wanted: string,
  accepted: (t: EqlType) => boolean,
): void {
  const t = ctx.typeOf(arg);
  if (!isOpen(t) && !accepted(t)) reportArgument(ctx, call, i, arg, wanted);
}

function reportArgument(
  ctx: ValidationContext,
  call: Expression,
  i: number,
  arg: Expression,
  wanted: string,
): void {
  ctx.report(
    arg.loc,
    `${ordinal(i)} argument of [${ctx.text(call.loc)}] must be [${wanted}], found value [${ctx.text(arg.loc)}] type [${ctx.typeOf(arg)}]`,
  );
}

function family(t: EqlType): string {
  if (isNumericType(t)) return "numeric";
  if (isStringType(t)) return "string";
  if (t === "date_nanos") return "date";
  return t;
}

/** Dates, addresses and versions are written as strings in queries. */
function compatible(subject: EqlType, value: EqlType): boolean {
  const s = family(subject);
  const v = family(value);
  if (s === v) return true;
  return v === "string" && (s === "date" || s === "ip" || s === "version");
}
