/**
 * The Java numeric behaviour that Elasticsearch EQL lets through to query
 * results: `Double.toString`, `Long.valueOf`/`Double.valueOf` parsing for
 * `number()`, and int/long arithmetic with overflow checks and truncating
 * division. Values are JS numbers; whether a value is integral (int/long) or
 * floating point is a static type the caller passes along.
 *
 * Longs beyond 2^53 cannot be held exactly in a JS number. Such values are
 * rounded to the nearest double; overflow checks are still decided exactly
 * (with bigint), treating an input that rounded to 2^63 as Long.MAX_VALUE.
 */

export type IntegralKind = "integer" | "long";

/** `number()` could not parse its argument. */
export class NumberConversionError extends Error {
  constructor(value: string, base: number) {
    super(`Unable to convert [${value}] to number of base [${base}]`);
    this.name = "NumberConversionError";
  }
}

/** Math.addExact and friends failed: the int/long result does not fit. */
export class ArithmeticOverflowError extends Error {
  constructor(kind: IntegralKind) {
    super(`${kind} overflow`);
    this.name = "ArithmeticOverflowError";
  }
}

/** Integral division or remainder by zero (Java's ArithmeticException). */
export class DivisionByZeroError extends Error {
  constructor() {
    super("/ by zero");
    this.name = "DivisionByZeroError";
  }
}

// ---------------------------------------------------------------------------
// To string
// ---------------------------------------------------------------------------

/**
 * Java's `Double.toString` (JDK 19+): plain decimal when 10^-3 <= |d| < 10^7,
 * otherwise `d.dddE±n`; always at least one digit after the point. The
 * digits are the shortest that round-trip, which is also what JS prints,
 * except that Java considers two-digit candidates when one digit would do and
 * keeps the closer one (Double.MIN_VALUE is `4.9E-324`, not `5E-324`).
 */
export function javaDoubleToString(d: number): string {
  if (Number.isNaN(d)) return "NaN";
  if (d === Number.POSITIVE_INFINITY) return "Infinity";
  if (d === Number.NEGATIVE_INFINITY) return "-Infinity";
  if (d === 0) return Object.is(d, -0) ? "-0.0" : "0.0";
  const sign = d < 0 ? "-" : "";
  const abs = Math.abs(d);
  const { digits, exponent } = shortestDigits(abs);
  if (abs >= 1e-3 && abs < 1e7) return sign + plainDecimal(digits, exponent);
  return `${sign}${digits[0]}.${digits.slice(1) || "0"}E${exponent}`;
}

/**
 * What `string()` and `concat()` make of a value: strings unchanged,
 * booleans `true`/`false`, int/long as plain integers, double as Java prints
 * it. A non-integral number claimed to be integral is printed as a double
 * rather than silently rounded.
 */
export function scalarToJavaString(v: string | number | boolean, isDouble: boolean): string {
  if (typeof v === "string") return v;
  if (typeof v === "boolean") return v ? "true" : "false";
  if (!isDouble && Number.isInteger(v)) return BigInt(v).toString();
  return javaDoubleToString(v);
}

/** Digits d₀d₁… and exponent e such that x = d₀.d₁… × 10^e. */
function shortestDigits(x: number): { digits: string; exponent: number } {
  const shortest = splitExponential(x.toExponential());
  if (shortest.digits.length > 1) return shortest;
  // toExponential(1) is the correctly rounded two-digit decimal, i.e. the
  // closest one; Java takes it when it still reads back as x.
  const twoDigits = x.toExponential(1);
  if (Number(twoDigits) !== x) return shortest;
  const closer = splitExponential(twoDigits);
  return { digits: closer.digits.replace(/0$/, ""), exponent: closer.exponent };
}

function splitExponential(text: string): { digits: string; exponent: number } {
  const [mantissa, exponent] = text.split("e");
  return { digits: mantissa.replace(".", ""), exponent: Number(exponent) };
}

function plainDecimal(digits: string, exponent: number): string {
  if (exponent < 0) return `0.${"0".repeat(-exponent - 1)}${digits}`;
  const intPart = digits.slice(0, exponent + 1).padEnd(exponent + 1, "0");
  return `${intPart}.${digits.slice(exponent + 1) || "0"}`;
}

// ---------------------------------------------------------------------------
// number()
// ---------------------------------------------------------------------------

/** A parsed number and whether Java produced a Long (true) or a Double (false). */
export interface JavaNumber {
  value: number;
  integral: boolean;
}

/**
 * The EQL `number(s[, base])` function. See parseJavaNumberDetailed.
 *
 * @throws NumberConversionError
 */
export function parseJavaNumber(s: string, base?: number | null): number {
  return parseJavaNumberDetailed(s, base).value;
}

/**
 * `number()` keeping the Java type of the result, which decides how
 * `string()` prints it afterwards (`"42"` → Long 42 → `42`, but `" 42 "` only
 * parses as a Double → `42.0`).
 *
 * Base omitted/null: a lower-case `0x` prefix means base 16, otherwise 10.
 * Base 10: `Long.valueOf` (optional sign, any Unicode decimal digits, within 64 bits), then
 * `Double.valueOf` (surrounding whitespace, exponents, `NaN`, `Infinity`, `f`/`d` suffixes,
 * hexadecimal with a binary exponent when no `0x` took the text to base 16: `0X1P3`). Base 16
 * strips a `0x` prefix. Other bases 2..36: `Long.parseLong(s, base)`.
 * The error message names the base actually used (16 for an implicit `0x`) and the text
 * without a `0x` stripped for base 16.
 *
 * @throws NumberConversionError
 */
export function parseJavaNumberDetailed(s: string, base?: number | null): JavaNumber {
  const radix = base ?? (s.startsWith("0x") ? 16 : 10);
  if (radix === 10) {
    const long = parseJavaLong(s, 10);
    if (long !== null) return { value: long, integral: true };
    const double = parseJavaDouble(s);
    if (double !== null) return { value: double, integral: false };
    throw new NumberConversionError(s, radix);
  }
  if (!Number.isInteger(radix) || radix < 2 || radix > 36) throw new NumberConversionError(s, radix);
  const text = radix === 16 && s.startsWith("0x") ? s.slice(2) : s;
  const long = parseJavaLong(text, radix);
  // Elasticsearch names the text it parsed, without the `0x` it stripped
  if (long === null) throw new NumberConversionError(text, radix);
  return { value: long, integral: true };
}

const LONG_MIN = -(2n ** 63n);
const LONG_MAX = 2n ** 63n - 1n;

/** `Long.parseLong(s, radix)`: optional sign, at least one digit of the radix, within 64 bits; no whitespace. */
function parseJavaLong(s: string, radix: number): number | null {
  const negative = s.startsWith("-");
  const start = negative || s.startsWith("+") ? 1 : 0;
  if (start === s.length) return null;
  const bigRadix = BigInt(radix);
  let magnitude = 0n;
  for (let i = start; i < s.length; i++) {
    const digit = digitValue(s.charCodeAt(i));
    if (digit < 0 || digit >= radix) return null;
    magnitude = magnitude * bigRadix + BigInt(digit);
    if (magnitude > -LONG_MIN) return null;
  }
  const value = negative ? -magnitude : magnitude;
  if (value > LONG_MAX) return null;
  return Number(value) + 0; // + 0 turns "-0" into 0: Java longs have no negative zero
}

/**
 * `Character.digit(c, 36)` for one UTF-16 unit: an ASCII or fullwidth Latin letter or digit, or
 * any Unicode decimal digit (`٤` is 4, as `Long.valueOf("٤٢")` is 42), else -1.
 */
function digitValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 122) return c - 87;
  if (c >= 65 && c <= 90) return c - 55;
  if (c < 0x80) return -1;
  if (c >= 0xff41 && c <= 0xff5a) return c - 0xff41 + 10;
  if (c >= 0xff21 && c <= 0xff3a) return c - 0xff21 + 10;
  return decimalDigitValue(c);
}

const DECIMAL_DIGIT = /^\p{Nd}$/u;
const isDecimalDigit = (c: number) => DECIMAL_DIGIT.test(String.fromCharCode(c));

/** Unicode encodes each set of decimal digits as ten consecutive code points, zero first. */
function decimalDigitValue(c: number): number {
  if (!isDecimalDigit(c)) return -1;
  let zero = c;
  while (isDecimalDigit(zero - 1)) zero--;
  return (c - zero) % 10;
}

const JAVA_DOUBLE = /^[+-]?(?:NaN|Infinity|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?[fFdD]?)$/;
const JAVA_HEX_DOUBLE = /^([+-]?)0[xX]([0-9a-fA-F]*)(?:\.([0-9a-fA-F]*))?[pP]([+-]?\d+)[fFdD]?$/;

/**
 * `Double.valueOf` (and `Double.parseDouble`), or null: decimal, or hexadecimal with a binary
 * exponent (`0x1.8p1` is 3.0), around which anything up to U+0020 is ignored.
 */
export function parseJavaDouble(s: string): number | null {
  const text = javaTrim(s);
  if (JAVA_DOUBLE.test(text)) {
    // Java reads "1.1f" as the double 1.1: the suffix only names a type.
    return Number(text.replace(/[fFdD]$/, ""));
  }
  const hex = JAVA_HEX_DOUBLE.exec(text);
  if (hex === null) return null;
  const [, sign, whole, fraction = "", exponent] = hex;
  if (whole === "" && fraction === "") return null;
  const magnitude = scaleByPowerOfTwo(
    BigInt(`0x${whole}${fraction}`),
    Number(exponent) - 4 * fraction.length,
  );
  return sign === "-" ? -magnitude : magnitude;
}

/** `m × 2^k` rounded to the nearest double, ties to even, as Java rounds a hexadecimal literal. */
function scaleByPowerOfTwo(m: bigint, k: number): number {
  if (m === 0n) return 0;
  const bits = m.toString(2).length;
  const top = bits - 1 + k; // the exponent of the leading bit
  if (top > 1023) return Number.POSITIVE_INFINITY;
  // below 2^-1022 a double has fewer significant bits, down to none under half of 2^-1074
  const precision = top >= -1022 ? 53 : 53 - (-1022 - top);
  if (precision < 0) return 0;
  const shift = bits - precision;
  if (shift <= 0) return Number(m) * 2 ** k;
  let q = m >> BigInt(shift);
  const rest = m - (q << BigInt(shift));
  const half = 1n << BigInt(shift - 1);
  if (rest > half || (rest === half && (q & 1n) === 1n)) q++;
  // q has at most 54 bits, so both factors are exact; only a rounding up to 2^1024 overflows
  return Number(q) * 2 ** (k + shift);
}

/** `String.trim`: strips every character up to U+0020, not Unicode whitespace. */
function javaTrim(s: string): string {
  let start = 0;
  let end = s.length;
  while (start < end && s.charCodeAt(start) <= 0x20) start++;
  while (end > start && s.charCodeAt(end - 1) <= 0x20) end--;
  return s.slice(start, end);
}

// ---------------------------------------------------------------------------
// Narrowing
// ---------------------------------------------------------------------------

const INT_MIN = -(2 ** 31);
const INT_MAX = 2 ** 31 - 1;

/** `Integer.parseInt(s)`: `Long.parseLong`'s syntax within 32 bits, or null where Java throws. */
export function parseJavaInt(s: string): number | null {
  const n = parseJavaLong(s, 10);
  return n !== null && n >= INT_MIN && n <= INT_MAX ? n : null;
}

/**
 * Java's `Number.intValue()`, which Elasticsearch's processors apply to a position argument
 * (`substring`'s start and end, `indexOf`'s start): a long keeps its low 32 bits, so 2^32 + 1 is
 * 1; a double is truncated toward zero and saturates at the int bounds, NaN being 0.
 */
export function javaIntValue(n: number, integral: boolean): number {
  if (integral && Number.isInteger(n)) return Number(BigInt.asIntN(32, BigInt(n)));
  if (Number.isNaN(n)) return 0;
  return Math.min(INT_MAX, Math.max(INT_MIN, Math.trunc(n))) + 0;
}

// ---------------------------------------------------------------------------
// Integral arithmetic
// ---------------------------------------------------------------------------

/** `Math.addExact` for int or long. */
export function exactAdd(a: number, b: number, kind: IntegralKind): number {
  return exact(
    a,
    b,
    kind,
    (x, y) => x + y,
    (x, y) => x + y,
  );
}

/** `Math.subtractExact` for int or long. */
export function exactSubtract(a: number, b: number, kind: IntegralKind): number {
  return exact(
    a,
    b,
    kind,
    (x, y) => x - y,
    (x, y) => x - y,
  );
}

/** `Math.multiplyExact` for int or long. */
export function exactMultiply(a: number, b: number, kind: IntegralKind): number {
  return exact(
    a,
    b,
    kind,
    (x, y) => x * y,
    (x, y) => x * y,
  );
}

/** `Math.negateExact` for int or long: only the minimum value overflows. */
export function exactNegate(a: number, kind: IntegralKind): number {
  return exactSubtract(0, a, kind);
}

/**
 * Java `/`. Integral: truncates toward zero, division by zero throws, and
 * MIN_VALUE / -1 wraps to MIN_VALUE as Java does (division is not
 * overflow-checked); `kind` says which minimum that is. Floating point: IEEE.
 */
export function javaDivide(a: number, b: number, integral: boolean, kind: IntegralKind = "long"): number {
  if (!integral) return a / b;
  if (b === 0) throw new DivisionByZeroError();
  if (b === -1) return a === minValue(kind) ? a : 0 - a;
  if (Number.isSafeInteger(a) && Number.isSafeInteger(b)) {
    // a - a % b is an exact multiple of b, so the division is exact too.
    return (a - (a % b)) / b + 0;
  }
  return Number(toLong(a) / toLong(b)) + 0;
}

/**
 * Java `%`: the result has the sign of the dividend, which JS `%` already
 * gives; an integral remainder by zero throws, a floating one is NaN.
 */
export function javaRemainder(a: number, b: number, integral: boolean): number {
  if (!integral) return a % b;
  if (b === 0) throw new DivisionByZeroError();
  return (a % b) + 0; // integral results have no negative zero
}

function exact(
  a: number,
  b: number,
  kind: IntegralKind,
  numberOp: (x: number, y: number) => number,
  bigintOp: (x: bigint, y: bigint) => bigint,
): number {
  assertIntegral(a);
  assertIntegral(b);
  const result = numberOp(a, b);
  if (kind === "integer") {
    // Operands below 2^31 keep any in-range result exact, and rounding cannot
    // bring an out-of-range result back into range.
    if (result < INT_MIN || result > INT_MAX) throw new ArithmeticOverflowError(kind);
    return result + 0;
  }
  if (Number.isSafeInteger(a) && Number.isSafeInteger(b) && Number.isSafeInteger(result)) return result + 0;
  const big = bigintOp(toLong(a), toLong(b));
  if (big < LONG_MIN || big > LONG_MAX) throw new ArithmeticOverflowError(kind);
  return Number(big) + 0;
}

function assertIntegral(x: number): void {
  if (!Number.isInteger(x)) throw new TypeError(`expected an integral value, got ${x}`);
}

/** The long a double stands for; 2^63 can only have come from a long that rounded up to it. */
function toLong(x: number): bigint {
  const big = BigInt(x);
  return big > LONG_MAX ? LONG_MAX : big < LONG_MIN ? LONG_MIN : big;
}

function minValue(kind: IntegralKind): number {
  return kind === "integer" ? INT_MIN : -(2 ** 63);
}
