import type { ArithmeticOp } from "./ast.ts";
import { exactAdd, exactMultiply, exactNegate, exactSubtract, javaDivide, javaRemainder } from "./java.ts";
import { type EqlType, isIntegralType } from "./types.ts";
import { asDouble, WholeDouble } from "./whole-double.ts";

/**
 * Java's numeric widening, which Elasticsearch EQL inherits: double if either side
 * is floating point, else long if either is long, else int. "unknown" (schemaless
 * data) is decided per value.
 */
export function widen(a: EqlType, b: EqlType): EqlType {
  if (a === "unknown" || b === "unknown") return "unknown";
  if (a === "double" || a === "float" || b === "double" || b === "float") return "double";
  if (a === "long" || b === "long") return "long";
  return "integer";
}

/** A numeric script value: a plain number, or a double that is whole (see WholeDouble). */
export type NumericValue = number | WholeDouble;

/** The type of one runtime value of a statically unknown type. */
export const runtimeNumericType = (v: NumericValue): EqlType =>
  v instanceof WholeDouble ? "double" : Number.isInteger(v) ? "long" : "double";

const resolve = (t: EqlType, v: NumericValue): EqlType => (t === "unknown" ? runtimeNumericType(v) : t);

/**
 * `a op b` with Java semantics; null in, null out. Throws on overflow and integer division by zero.
 * A double result that is whole is boxed when the static types leave the result's type to its value.
 */
export function applyArithmetic(
  op: ArithmeticOp,
  a: NumericValue | null,
  b: NumericValue | null,
  typeA: EqlType,
  typeB: EqlType,
): NumericValue | null {
  if (a === null || b === null) return null;
  const type = widen(resolve(typeA, a), resolve(typeB, b));
  const x = typeof a === "number" ? a : a.value;
  const y = typeof b === "number" ? b : b.value;
  if (isIntegralType(type)) {
    const kind = type === "long" ? "long" : "integer";
    switch (op) {
      case "+":
        return exactAdd(x, y, kind);
      case "-":
        return exactSubtract(x, y, kind);
      case "*":
        return exactMultiply(x, y, kind);
      case "/":
        return javaDivide(x, y, true, kind);
      case "%":
        return javaRemainder(x, y, true);
    }
  }
  const result = floatingPoint(op, x, y);
  return typeA === "unknown" || typeB === "unknown" ? asDouble(result) : result;
}

function floatingPoint(op: ArithmeticOp, x: number, y: number): number {
  switch (op) {
    case "+":
      return x + y;
    case "-":
      return x - y;
    case "*":
      return x * y;
    case "/":
      return javaDivide(x, y, false);
    case "%":
      return javaRemainder(x, y, false);
  }
}

export function applyNegate(a: NumericValue | null, type: EqlType): NumericValue | null {
  if (a === null) return null;
  if (a instanceof WholeDouble) return asDouble(-a.value);
  const t = resolve(type, a);
  return isIntegralType(t) ? exactNegate(a, t === "long" ? "long" : "integer") : -a;
}
