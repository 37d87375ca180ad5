import { canonicalIp, compareIps } from "./cidr.ts";
import { javaString } from "./functions.ts";
import { parseJavaDouble } from "./java.ts";
import { compareKeywords } from "./keyword-order.ts";
import { parseDateWithFormat, parseTimestamp, truncateToMillis } from "./timestamp.ts";
import { type EqlType, isIntegralType, isNumericType, isStringType, type Scalar } from "./types.ts";
import { compareVersions } from "./version.ts";
import { type ScriptValue, unboxed, WholeDouble } from "./whole-double.ts";

/**
 * Compares one field value with a constant, the way Elasticsearch's field mappers
 * coerce a query literal to the field's type. Returns a negative number, zero or a
 * positive number, or NaN when the two cannot be compared (which matches nothing).
 */
export type ValueComparator = (value: string | number | boolean) => number;

export class LiteralCoercionError extends Error {}

const order = (a: number | string | bigint, b: number | string | bigint) => (a === b ? 0 : a < b ? -1 : 1);

/** A value as Elasticsearch's number fields read one: a text with Java's `Double.parseDouble`. */
export function toNumber(v: string | number | boolean): number {
  if (typeof v === "number") return v;
  if (typeof v === "string") return parseJavaDouble(v) ?? Number.NaN;
  return Number.NaN;
}

/**
 * What `java.math.BigDecimal` reads, which an integer field also requires of a text without a
 * decimal part (Elasticsearch's `Numbers.toLong`): no spaces, no `f`/`d` suffix, no NaN.
 */
const BIG_DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/**
 * A constant as a numeric field's query reads it. A text that is not a Java double fails the
 * query, as does one an integer field cannot take as a long; NaN, which matches nothing, is NaN.
 */
function numericLiteral(literal: string | number | boolean, type: EqlType): number {
  const n = toNumber(literal);
  const text = String(literal);
  if (typeof literal !== "number" && Number.isNaN(n) && !/^\s*[+-]?NaN\s*$/.test(text)) {
    throw new LiteralCoercionError(`[${text}] is not a number`);
  }
  if (
    isIntegralType(type) &&
    typeof literal === "string" &&
    Number.isInteger(n) &&
    !BIG_DECIMAL.test(literal)
  ) {
    throw new LiteralCoercionError(
      `[${text}] is not a number for an integer field: write it without spaces or a type suffix`,
    );
  }
  return n;
}

/** A value as a boolean field reads it: true, false, "true" or "false"; undefined otherwise. */
export function toBoolean(v: Scalar): boolean | undefined {
  if (typeof v === "boolean") return v;
  if (v === "true") return true;
  if (v === "false") return false;
  return undefined;
}

/**
 * Dates in queries: a number is epoch milliseconds, a string uses the field's format or ISO-8601.
 * `millis`: the field holds milliseconds (FieldInfo.millis), so finer digits are dropped.
 */
export function parseDateValue(v: Scalar, format?: string, millis = false): bigint | null {
  if (v === null || typeof v === "boolean") return null;
  const ns = typeof v === "string" && format ? parseDateWithFormat(v, format) : parseTimestamp(v);
  return millis && ns !== null ? truncateToMillis(ns) : ns;
}

export function compileComparator(
  type: EqlType,
  literal: Scalar,
  literalType: EqlType,
  format?: string,
  millis = false,
): ValueComparator {
  if (literal === null) return () => Number.NaN;
  if (isStringType(type) || type === "version") {
    const lit = javaString(literal, literalType);
    if (type === "version") return (v) => compareVersions(String(v), lit);
    return (v) => compareKeywords(typeof v === "string" ? v : javaString(v, "unknown"), lit);
  }
  if (isNumericType(type)) {
    const lit = numericLiteral(literal, type);
    if (Number.isNaN(lit)) return () => Number.NaN;
    return (v) => {
      const n = toNumber(v);
      return Number.isNaN(n) ? Number.NaN : order(n, lit);
    };
  }
  if (type === "boolean") {
    const lit = toBoolean(literal);
    if (lit === undefined) throw new LiteralCoercionError(`[${String(literal)}] is not a boolean`);
    return (v) => {
      const b = toBoolean(v);
      return b === undefined ? Number.NaN : order(Number(b), Number(lit));
    };
  }
  if (type === "date" || type === "date_nanos") {
    // a constant is read at the field's precision too: on a `date` field, `== "…00.0009Z"` is `== "…00.000Z"`
    const lit = parseDateValue(literal, format, millis);
    if (lit === null) throw new LiteralCoercionError(`[${String(literal)}] is not a date`);
    return (v) => {
      const d = parseDateValue(v, format, millis);
      return d === null ? Number.NaN : order(d, lit);
    };
  }
  if (type === "ip") {
    const lit = canonicalIp(String(literal));
    if (lit === null) throw new LiteralCoercionError(`[${String(literal)}] is not an IP address`);
    return (v) => {
      const ip = canonicalIp(String(v));
      return ip === null ? Number.NaN : compareIps(ip, lit);
    };
  }
  return compileSchemalessComparator(literal, literalType);
}

/** Without a mapping the literal is read as whatever each value is: a number, a string or a boolean. */
function compileSchemalessComparator(
  literal: string | number | boolean,
  literalType: EqlType,
): ValueComparator {
  const asString = javaString(literal, literalType);
  const asNumber =
    typeof literal === "number" ? literal : typeof literal === "string" ? toNumber(literal) : Number.NaN;
  const asBoolean = toBoolean(literal);
  return (v) => {
    if (typeof v === "string") return compareKeywords(v, asString);
    if (typeof v === "number") return Number.isNaN(asNumber) ? Number.NaN : order(v, asNumber);
    return asBoolean === undefined ? Number.NaN : order(Number(v), Number(asBoolean));
  };
}

/**
 * Compares two computed values (a script): same-kind values compare, a number with
 * a string is null. Dates, IPs and versions compare by meaning when a side is typed so.
 */
export function compareScalars(x: ScriptValue, y: ScriptValue, ta: EqlType, tb: EqlType): number | null {
  // Java compares a long with a double by value: 42 == 42.0.
  const a = unboxed(x);
  const b = unboxed(y);
  if (a === null || b === null) return null;
  if (ta === "date" || ta === "date_nanos" || tb === "date" || tb === "date_nanos") {
    const da = parseDateValue(a);
    const db = parseDateValue(b);
    return da === null || db === null ? null : order(da, db);
  }
  if (ta === "ip" || tb === "ip") {
    const ia = canonicalIp(String(a));
    const ib = canonicalIp(String(b));
    return ia === null || ib === null ? null : compareIps(ia, ib);
  }
  if (ta === "version" || tb === "version") return compareVersions(String(a), String(b));
  if (typeof a !== typeof b) return null;
  if (typeof a === "boolean") return order(Number(a), Number(b as boolean));
  if (typeof a === "number" && (isDouble(x, ta) || isDouble(y, tb))) return compareDoubles(a, b as number);
  return order(a as string | number, b as string | number);
}

/** Whether a script value is a Java double (or float), which Elasticsearch compares with `Double.compare`. */
const isDouble = (v: ScriptValue, t: EqlType): boolean =>
  v instanceof WholeDouble ||
  t === "double" ||
  t === "float" ||
  (t === "unknown" && typeof v === "number" && !Number.isInteger(v));

/**
 * Java's `Double.compare`, not `<`/`==`: NaN equals itself and is above every number, and -0.0
 * is below 0.0, so `number("NaN") == number("NaN")` is true and `-0.0 == 0.0` false.
 */
function compareDoubles(a: number, b: number): number {
  if (a < b) return -1;
  if (a > b) return 1;
  if (a === b) return Object.is(a, b) ? 0 : Object.is(a, -0) ? -1 : 1;
  return Number.isNaN(a) ? (Number.isNaN(b) ? 0 : 1) : -1;
}
