import { applyArithmetic, applyNegate, type NumericValue } from "./arithmetic.ts";
import type { Expression } from "./ast.ts";
import { foldIgnoreCase } from "./case-fold.ts";
import { type EqlFunction, lookupFunction } from "./functions.ts";
import { compileMatcher } from "./matcher.ts";
import { scriptTypeOf } from "./script-type.ts";
import type { EqlType, Scalar } from "./types.ts";
import { compareScalars } from "./value-compare.ts";
import { type ScriptValue, WholeDouble } from "./whole-double.ts";

/**
 * A script is what Elasticsearch evaluates per document when a condition is not a
 * plain field-versus-constant query: functions, arithmetic, comparisons of computed
 * values. Scripts follow three-valued logic (null in, null out). Each field a
 * script reads gets a slot; the caller binds one value per slot.
 */
export type Binding = Scalar[];
export type ScriptFn = (binding: Binding) => ScriptValue;

export interface ScriptCompiler {
  typeOf(e: Expression): EqlType;
  /** the binding slot of a field; fields unknown to the schema return -1 and read as null */
  slotOf(e: Expression & { kind: "Field" }): number;
  /** whether the index keeps the field's values as 32-bit floats (see FieldInfo.float32) */
  isFloat32(e: Expression & { kind: "Field" }): boolean;
  /** `null`, or a `?field` the schema does not know: Elasticsearch folds both to a null literal */
  isNullConstant(e: Expression): boolean;
}

export function compileScript(e: Expression, c: ScriptCompiler): ScriptFn {
  // Scripts compute with the types Elasticsearch's doc values have (integer fields as longs).
  const typeOf = (x: Expression) => scriptTypeOf(x, c.typeOf.bind(c));
  switch (e.kind) {
    case "Literal": {
      const value = e.value;
      return () => value;
    }
    case "Field": {
      const slot = c.slotOf(e);
      if (slot < 0) return () => null;
      if (c.isFloat32(e)) {
        // the float the index holds, widened to double as a script reads it: 0.1 is 0.10000000149011612
        return (b) => {
          const v = b[slot];
          return typeof v === "number" ? Math.fround(v) : v;
        };
      }
      return (b) => b[slot];
    }
    case "FunctionCall": {
      const fn = lookupFunction(e.name)!;
      const args = e.args.map((a) => compileScript(a, c));
      const types = e.args.map((a) => typeOf(a));
      const ci = e.caseInsensitive;
      const bound = withConstants(fn, args);
      if (bound) {
        const variable = args.slice(0, fn.constantsFrom);
        return (b) =>
          bound(
            variable.map((a) => a(b)),
            types,
            ci,
          );
      }
      return (b) =>
        fn.evaluate(
          args.map((a) => a(b)),
          types,
          ci,
        );
    }
    case "Negate": {
      const operand = compileScript(e.operand, c);
      const type = typeOf(e.operand);
      if (e.op === "+") return operand;
      return (b) => applyNegate(asNumber(operand(b)), type);
    }
    case "Arithmetic": {
      const left = compileScript(e.left, c);
      const right = compileScript(e.right, c);
      const tl = typeOf(e.left);
      const tr = typeOf(e.right);
      const op = e.op;
      return (b) => applyArithmetic(op, asNumber(left(b)), asNumber(right(b)), tl, tr);
    }
    case "Comparison": {
      if (e.op === "==" || e.op === "!=") {
        const nullSide = c.isNullConstant(e.right) ? e.left : c.isNullConstant(e.left) ? e.right : null;
        if (nullSide) {
          // `x == null` is IS NULL and `x != null` IS NOT NULL: never null themselves.
          const operand = compileScript(nullSide, c);
          const wantNull = e.op === "==";
          return (b) => (operand(b) === null) === wantNull;
        }
      }
      const left = compileScript(e.left, c);
      const right = compileScript(e.right, c);
      const tl = typeOf(e.left);
      const tr = typeOf(e.right);
      const test = COMPARISON_TESTS[e.op];
      return (b) => {
        const r = compareScalars(left(b), right(b), tl, tr);
        return r === null ? null : test(r);
      };
    }
    case "Match": {
      const subject = compileScript(e.subject, c);
      const matches = compileMatcher(e, "script");
      return (b) => {
        const v = subject(b);
        if (v === null) return null;
        return matches(typeof v === "string" ? v : String(v));
      };
    }
    case "In": {
      const subject = compileScript(e.subject, c);
      const ts = typeOf(e.subject);
      const values = e.values.map((v) => ({ fn: compileScript(v, c), type: typeOf(v) }));
      const ci = e.caseInsensitive;
      const negated = e.negated;
      return (b) => {
        const x = subject(b);
        if (x === null) return null;
        // SQL's IN: no match and a null element is null (unknown), and so is its `not in`
        let found: boolean | null = false;
        for (const v of values) {
          const y = v.fn(b);
          if (y === null) {
            found = null;
            continue;
          }
          // `in~` is `:` against each element: Java's compareToIgnoreCase, in a script
          const r =
            ci && typeof x === "string" && typeof y === "string"
              ? compareScalars(foldIgnoreCase(x), foldIgnoreCase(y), ts, v.type)
              : compareScalars(x, y, ts, v.type);
          if (r === 0) {
            found = true;
            break;
          }
        }
        return found === null ? null : negated ? !found : found;
      };
    }
    case "Not": {
      const operand = compileScript(e.operand, c);
      return (b) => {
        const v = operand(b);
        return v === null ? null : !v;
      };
    }
    case "Logical": {
      const left = compileScript(e.left, c);
      const right = compileScript(e.right, c);
      if (e.op === "and") {
        return (b) => {
          const l = left(b);
          if (l === false) return false;
          const r = right(b);
          if (r === false) return false;
          return l === null || r === null ? null : true;
        };
      }
      return (b) => {
        const l = left(b);
        if (l === true) return true;
        const r = right(b);
        if (r === true) return true;
        return l === null || r === null ? null : false;
      };
    }
  }
}

const asNumber = (v: ScriptValue): NumericValue | null =>
  typeof v === "number" || v instanceof WholeDouble ? v : null;

export const COMPARISON_TESTS: Record<string, (r: number) => boolean> = {
  "==": (r) => r === 0,
  "!=": (r) => r !== 0 && !Number.isNaN(r),
  "<": (r) => r < 0,
  "<=": (r) => r <= 0,
  ">": (r) => r > 0,
  ">=": (r) => r >= 0,
};

/**
 * The function's evaluation with its constant arguments taken once (see EqlFunction.withConstants):
 * they read no field, so they are evaluated here, with no values; undefined when it has none.
 */
function withConstants(fn: EqlFunction, args: readonly ScriptFn[]) {
  if (fn.constantsFrom === undefined || !fn.withConstants) return undefined;
  return fn.withConstants(args.slice(fn.constantsFrom).map((a) => a([])));
}
