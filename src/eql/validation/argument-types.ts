import type { Expression } from "../ast.ts";
import { type ArgumentKind, lookupFunction } from "../functions.ts";
import { type EqlType, isIntegralType, isNumericType, isStringType } from "../types.ts";
import { ordinal, shortOrdinal, type ValidationContext } from "./context.ts";

const accepts: Record<ArgumentKind, (t: EqlType) => boolean> = {
  string: isStringType,
  numeric: isNumericType,
  integer: isIntegralType,
  boolean: (t) => t === "boolean",
  ip: (t) => t === "ip" || isStringType(t),
  any: () => true,
};

/** Types that are decided per value or that match anything pass every check. */
const isOpen = (t: EqlType) => t === "unknown" || t === "null";

/** Operands and arguments have the types their operator or function needs. */
export function checkArgumentTypes(ctx: ValidationContext, e: Expression): void {
  const bad = (i: number, arg: Expression, wanted: string, suffix = "") =>
    ctx.report(
      arg.loc,
      `${ordinal(i)} argument of [${ctx.text(e.loc)}] must be [${wanted}], found value [${ctx.text(arg.loc)}] type [${ctx.typeOf(arg)}]${suffix}`,
    );
  switch (e.kind) {
    case "FunctionCall": {
      const fn = lookupFunction(e.name);
      if (!fn) return;
      e.args.forEach((arg, i) => {
        const kind = fn.argumentKinds[Math.min(i, fn.argumentKinds.length - 1)];
        const t = ctx.typeOf(arg);
        if (!isOpen(t) && !accepts[kind](t)) bad(i, arg, kind);
      });
      return;
    }
    case "Arithmetic":
      [e.left, e.right].forEach((arg, i) => {
        const t = ctx.typeOf(arg);
        if (!isOpen(t) && !isNumericType(t)) bad(i, arg, "numeric");
      });
      return;
    case "Negate": {
      const t = ctx.typeOf(e.operand);
      if (!isOpen(t) && !isNumericType(t)) bad(0, e.operand, "numeric");
      return;
    }
    case "Match": {
      const t = ctx.typeOf(e.subject);
      if (!isOpen(t) && !isStringType(t)) {
        if (e.op === ":") {
          ctx.report(
            e.subject.loc,
            `first argument of [:] must be [string], found value [${ctx.text(e.subject.loc)}] type [${t}]; consider using [==] instead`,
          );
        } else {
          bad(0, e.subject, "string");
        }
      }
      for (const p of e.patterns) if (p.type !== "keyword") bad(1, p, "string");
      return;
    }
    case "In": {
      const t = ctx.typeOf(e.subject);
      if (isOpen(t)) return;
      e.values.forEach((v, i) => {
        const vt = ctx.typeOf(v);
        if (!isOpen(vt) && !compatible(t, vt)) {
          ctx.report(
            v.loc,
            `${shortOrdinal(i + 1)} argument of [${ctx.text(e.loc)}] must be [${t}], found value [${ctx.text(v.loc)}] type [${vt}]`,
          );
        }
      });
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
      [e.left, e.right].forEach((arg, i) => {
        const t = ctx.typeOf(arg);
        if (!isOpen(t) && t !== "boolean") bad(i, arg, "boolean");
      });
      return;
    default:
      return;
  }
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
