import { javaDoubleToString } from "./java.ts";
import type { Scalar } from "./types.ts";

/**
 * A Java double whose value is a whole number, as a script value.
 *
 * Script values are plain JS numbers, and where the static type does not say
 * long or double ("unknown": `number()`, schemaless fields) the value decides:
 * whole is long, fractional is double. That reading is wrong for a double that
 * happens to be whole — `number("42.0")`, `number("0.5") * 2` — which Java keeps
 * a double: it divides as a double, prints as `42.0` and does not overflow as a
 * long. Only such values are boxed, and only in scripts (every field value and
 * every literal stays a plain number), so the common paths allocate nothing.
 */
export class WholeDouble {
  constructor(readonly value: number) {}

  /** Java's `Double.toString`: what a matcher or a string argument sees of it. */
  toString(): string {
    return javaDoubleToString(this.value);
  }
}

/** What a script expression evaluates to. */
export type ScriptValue = Scalar | WholeDouble;

/** A number a script computed as a double: boxed when whole, so that it stays a double. */
export const asDouble = (n: number): number | WholeDouble => (Number.isInteger(n) ? new WholeDouble(n) : n);

/** The plain number (or other scalar) of a script value, for what only needs its value. */
export const unboxed = (v: ScriptValue): Scalar => (v instanceof WholeDouble ? v.value : v);
