import type { ArithmeticOp } from "./ast.ts";
import { exactAdd, exactMultiply, exactNegate, exactSubtract, javaDivide, javaRemainder } from "./java.ts";
import { type EqlType, isIntegralType } from "./types.ts";

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

/** The type of one runtime value of a statically unknown type. */
export const runtimeNumericType = (v: number): EqlType => (Number.isInteger(v) ? "long" : "double");

const resolve = (t: EqlType, v: number): EqlType => (t === "unknown" ? runtimeNumericType(v) : t);

/** `a op b` with Java semantics; null in, null out. Throws on overflow and integer division by zero. */
export function applyArithmetic(
  op: ArithmeticOp,
  a: number | null,
  b: number | null,
  typeA: EqlType,
  typeB: EqlType,
): number | null {
  if (a === null || b === null) return null;
  const type = widen(resolve(typeA, a), resolve(typeB, b));
  const integral = isIntegralType(type);
  const kind = type === "long" ? "long" : "integer";
  switch (op) {
    case "+":
      return integral ? exactAdd(a, b, kind) : a + b;
    case "-":
      return integral ? exactSubtract(a, b, kind) : a - b;
    case "*":
      return integral ? exactMultiply(a, b, kind) : a * b;
    case "/":
      return javaDivide(a, b, integral, kind);
    case "%":
      return javaRemainder(a, b, integral);
  }
}

export function applyNegate(a: number | null, type: EqlType): number | null {
  if (a === null) return null;
  const t = resolve(type, a);
  return isIntegralType(t) ? exactNegate(a, t === "long" ? "long" : "integer") : -a;
}
