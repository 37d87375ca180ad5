import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import {
  ArithmeticOverflowError,
  DivisionByZeroError,
  exactAdd,
  exactMultiply,
  exactNegate,
  exactSubtract,
  javaDivide,
  javaDoubleToString,
  javaRemainder,
  NumberConversionError,
  parseJavaNumber,
  parseJavaNumberDetailed,
  scalarToJavaString,
} from "../../src/eql/java.ts";

const INT_MIN = -(2 ** 31);
const INT_MAX = 2 ** 31 - 1;
const LONG_MIN = -(2 ** 63);

test("javaDoubleToString: special values", () => {
  assert.equal(javaDoubleToString(Number.NaN), "NaN");
  assert.equal(javaDoubleToString(Number.POSITIVE_INFINITY), "Infinity");
  assert.equal(javaDoubleToString(Number.NEGATIVE_INFINITY), "-Infinity");
  assert.equal(javaDoubleToString(0), "0.0");
  assert.equal(javaDoubleToString(-0), "-0.0");
});

test("javaDoubleToString: plain decimal between 1e-3 and 1e7", () => {
  assert.equal(javaDoubleToString(42.5), "42.5");
  assert.equal(javaDoubleToString(100), "100.0");
  assert.equal(javaDoubleToString(1), "1.0");
  assert.equal(javaDoubleToString(-3), "-3.0");
  assert.equal(javaDoubleToString(0.5), "0.5");
  assert.equal(javaDoubleToString(0.001), "0.001");
  assert.equal(javaDoubleToString(0.002), "0.002");
  assert.equal(javaDoubleToString(0.0123), "0.0123");
  assert.equal(javaDoubleToString(9999999), "9999999.0");
  assert.equal(javaDoubleToString(9999999.5), "9999999.5");
  assert.equal(javaDoubleToString(1234567.125), "1234567.125");
  assert.equal(javaDoubleToString(0.1 + 0.2), "0.30000000000000004");
  assert.equal(javaDoubleToString(-42.25), "-42.25");
});

test("javaDoubleToString: scientific notation outside that range", () => {
  assert.equal(javaDoubleToString(1e20), "1.0E20");
  assert.equal(javaDoubleToString(1e-5), "1.0E-5");
  assert.equal(javaDoubleToString(1e7), "1.0E7");
  assert.equal(javaDoubleToString(1e-4), "1.0E-4");
  assert.equal(javaDoubleToString(0.000999), "9.99E-4");
  assert.equal(javaDoubleToString(12345678.9), "1.23456789E7");
  assert.equal(javaDoubleToString(-1.5e300), "-1.5E300");
  assert.equal(javaDoubleToString(123456789012), "1.23456789012E11");
  assert.equal(javaDoubleToString(Number.MAX_VALUE), "1.7976931348623157E308");
  assert.equal(javaDoubleToString(2 ** 63), "9.223372036854776E18");
  // Java prefers the closer two-digit decimal when one digit would round-trip
  assert.equal(javaDoubleToString(Number.MIN_VALUE), "4.9E-324");
  assert.equal(javaDoubleToString(2.2250738585072014e-308), "2.2250738585072014E-308");
});

test("javaDoubleToString output reads back as the same double", () => {
  fc.assert(
    fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (d) => {
      const text = javaDoubleToString(d);
      assert.ok(Object.is(Number(text), d), `${d} -> ${text}`);
      assert.match(text, /^-?(\d+\.\d+|\d\.\d+E-?\d+)$/);
    }),
  );
});

test("scalarToJavaString", () => {
  assert.equal(scalarToJavaString("abc", false), "abc");
  assert.equal(scalarToJavaString("", true), "");
  assert.equal(scalarToJavaString(true, false), "true");
  assert.equal(scalarToJavaString(false, true), "false");
  assert.equal(scalarToJavaString(5, false), "5");
  assert.equal(scalarToJavaString(-5, false), "-5");
  assert.equal(scalarToJavaString(-0, false), "0");
  assert.equal(scalarToJavaString(1e21, false), "1000000000000000000000");
  assert.equal(scalarToJavaString(2 ** 53 + 1, false), "9007199254740992");
  assert.equal(scalarToJavaString(5, true), "5.0");
  assert.equal(scalarToJavaString(42.5, true), "42.5");
  assert.equal(scalarToJavaString(1e20, true), "1.0E20");
  // a non-integral value claimed to be integral is not silently rounded
  assert.equal(scalarToJavaString(2.5, false), "2.5");
});

test("number(): Long.valueOf in base 10", () => {
  assert.deepEqual(parseJavaNumberDetailed("42"), { value: 42, integral: true });
  assert.deepEqual(parseJavaNumberDetailed("+42"), { value: 42, integral: true });
  assert.deepEqual(parseJavaNumberDetailed("-42"), { value: -42, integral: true });
  assert.deepEqual(parseJavaNumberDetailed("007"), { value: 7, integral: true });
  assert.deepEqual(parseJavaNumberDetailed("-0"), { value: 0, integral: true });
  assert.ok(Object.is(parseJavaNumber("-0"), 0));
  // Long.MAX_VALUE is not a double: it reads as the nearest one, 2^63
  assert.equal(parseJavaNumber("9223372036854775807"), 2 ** 63);
  assert.equal(parseJavaNumber("9007199254740993"), 2 ** 53);
  assert.equal(parseJavaNumber("-9223372036854775808"), LONG_MIN);
  assert.equal(parseJavaNumber("42", 10), 42);
  assert.equal(parseJavaNumber("42", null), 42);
});

test("number(): Double.valueOf when Long.valueOf fails", () => {
  const double = (s: string) => parseJavaNumberDetailed(s);
  assert.deepEqual(double("42.5"), { value: 42.5, integral: false });
  assert.deepEqual(double(" 42 "), { value: 42, integral: false });
  assert.deepEqual(double("\t42\n"), { value: 42, integral: false });
  assert.deepEqual(double("9223372036854775808"), { value: 2 ** 63, integral: false });
  assert.equal(parseJavaNumber("1e3"), 1000);
  assert.equal(parseJavaNumber("1E+3"), 1000);
  assert.equal(parseJavaNumber("-1.5e-3"), -0.0015);
  assert.equal(parseJavaNumber(".5"), 0.5);
  assert.equal(parseJavaNumber("5."), 5);
  assert.equal(parseJavaNumber("+.5"), 0.5);
  assert.equal(parseJavaNumber("42f"), 42);
  assert.equal(parseJavaNumber("42F"), 42);
  assert.equal(parseJavaNumber("1.1f"), 1.1);
  assert.equal(parseJavaNumber("42d"), 42);
  assert.equal(parseJavaNumber("42D"), 42);
  assert.equal(parseJavaNumber("1e400"), Number.POSITIVE_INFINITY);
  assert.ok(Number.isNaN(parseJavaNumber("NaN")));
  assert.ok(Number.isNaN(parseJavaNumber("-NaN")));
  assert.equal(parseJavaNumber("Infinity"), Number.POSITIVE_INFINITY);
  assert.equal(parseJavaNumber("+Infinity"), Number.POSITIVE_INFINITY);
  assert.equal(parseJavaNumber("-Infinity"), Number.NEGATIVE_INFINITY);
  assert.ok(Object.is(parseJavaNumber("-0.0"), -0));
});

test("number(): Long.valueOf takes any Unicode decimal digit, as Character.digit does", () => {
  assert.deepEqual(parseJavaNumberDetailed("٤٢"), { value: 42, integral: true });
  assert.equal(parseJavaNumber("-١٠"), -10);
  assert.equal(parseJavaNumber("１２"), 12);
  assert.equal(parseJavaNumber("४२", 8), 34);
  // fullwidth Latin letters are digits from ten, as ASCII ones are
  assert.equal(parseJavaNumber("ＦＦ", 16), 255);
  assert.equal(parseJavaNumber("ｆｆ", 16), 255);
  assert.throws(() => parseJavaNumber("٨", 8), /Unable to convert \[٨\] to number of base \[8\]/);
  // Double.valueOf does not: a Unicode digit in a fraction is no number
  assert.throws(() => parseJavaNumber("٤.٢"), /Unable to convert/);
  // a digit above U+FFFF is two UTF-16 units, neither a digit
  assert.throws(() => parseJavaNumber("\u{1D7CE}"), /Unable to convert/);
});

test("number(): Double.valueOf reads hexadecimal with a binary exponent when the text is not base 16", () => {
  // only a lower-case 0x at the very start selects base 16; these go to Long.valueOf, then Double.valueOf
  assert.deepEqual(parseJavaNumberDetailed("0X1P3"), { value: 8, integral: false });
  assert.equal(parseJavaNumber("-0x1p3"), -8);
  assert.equal(parseJavaNumber("+0x1.8p1"), 3);
  assert.equal(parseJavaNumber(" 0x1p0 "), 1);
  assert.equal(parseJavaNumber("0X.8p1d"), 1);
  assert.equal(parseJavaNumber("0x1p3", 10), 8);
  assert.throws(() => parseJavaNumber("0x1p3"), /Unable to convert \[1p3\] to number of base \[16\]/);
  assert.throws(() => parseJavaNumber("0X1F"), /Unable to convert \[0X1F\] to number of base \[10\]/);
  assert.throws(() => parseJavaNumber("0X.P1"), /Unable to convert/);
  // rounded to nearest, ties to even, subnormals included
  assert.equal(parseJavaNumber("0X1.00000000000008P0"), 1);
  assert.equal(parseJavaNumber("0X1.00000000000018P0"), 1 + 2 ** -51);
  assert.equal(parseJavaNumber("0X1P-1074"), Number.MIN_VALUE);
  assert.equal(parseJavaNumber("0X1P-1075"), 0);
  assert.equal(parseJavaNumber("0X3P-1076"), Number.MIN_VALUE);
  assert.equal(parseJavaNumber("0X1.FFFFFFFFFFFFF7P1023"), Number.MAX_VALUE);
  assert.equal(parseJavaNumber("0X1.FFFFFFFFFFFFF8P1023"), Number.POSITIVE_INFINITY);
});

test("number(): hexadecimal and other bases", () => {
  assert.equal(parseJavaNumber("0x1F"), 31);
  assert.equal(parseJavaNumber("0xff", null), 255);
  assert.equal(parseJavaNumber("0x1F", 16), 31);
  assert.equal(parseJavaNumber("32", 16), 50);
  assert.equal(parseJavaNumber("deadbeef", 16), 3735928559);
  assert.equal(parseJavaNumber("DEADBEEF", 16), 3735928559);
  assert.equal(parseJavaNumber("-ff", 16), -255);
  assert.equal(parseJavaNumber("+ff", 16), 255);
  assert.equal(parseJavaNumber("0x-1", 16), -1);
  assert.equal(parseJavaNumber("7fffffffffffffff", 16), 2 ** 63);
  assert.equal(parseJavaNumber("-8000000000000000", 16), LONG_MIN);
  assert.equal(parseJavaNumber("101", 2), 5);
  assert.equal(parseJavaNumber("777", 8), 511);
  assert.equal(parseJavaNumber("zz", 36), 1295);
  assert.equal(parseJavaNumber("Zz", 36), 1295);
  assert.deepEqual(parseJavaNumberDetailed("ff", 16), { value: 255, integral: true });
});

test("number(): failures throw NumberConversionError with the Elasticsearch message", () => {
  const cases: [string, number | null | undefined, string][] = [
    ["", undefined, "Unable to convert [] to number of base [10]"],
    ["   ", undefined, "Unable to convert [   ] to number of base [10]"],
    ["abc", undefined, "Unable to convert [abc] to number of base [10]"],
    ["1,000", undefined, "Unable to convert [1,000] to number of base [10]"],
    ["1_000", undefined, "Unable to convert [1_000] to number of base [10]"],
    ["--1", undefined, "Unable to convert [--1] to number of base [10]"],
    ["+", undefined, "Unable to convert [+] to number of base [10]"],
    [".", undefined, "Unable to convert [.] to number of base [10]"],
    ["1e", undefined, "Unable to convert [1e] to number of base [10]"],
    ["nan", undefined, "Unable to convert [nan] to number of base [10]"],
    ["infinity", undefined, "Unable to convert [infinity] to number of base [10]"],
    ["NaNd", undefined, "Unable to convert [NaNd] to number of base [10]"],
    ["42L", undefined, "Unable to convert [42L] to number of base [10]"],
    ["0X1F", undefined, "Unable to convert [0X1F] to number of base [10]"],
    ["-0x1F", undefined, "Unable to convert [-0x1F] to number of base [10]"],
    ["0x1F", 10, "Unable to convert [0x1F] to number of base [10]"],
    // the text named is the one parsed, after the 0x is stripped
    ["0x", undefined, "Unable to convert [] to number of base [16]"],
    ["0xZZ", null, "Unable to convert [ZZ] to number of base [16]"],
    ["0x-0x1", 16, "Unable to convert [-0x1] to number of base [16]"],
    ["g", 16, "Unable to convert [g] to number of base [16]"],
    [" ff", 16, "Unable to convert [ ff] to number of base [16]"],
    ["1.5", 16, "Unable to convert [1.5] to number of base [16]"],
    ["8000000000000000", 16, "Unable to convert [8000000000000000] to number of base [16]"],
    ["2", 2, "Unable to convert [2] to number of base [2]"],
    ["", 2, "Unable to convert [] to number of base [2]"],
    ["-", 8, "Unable to convert [-] to number of base [8]"],
    ["1", 1, "Unable to convert [1] to number of base [1]"],
    ["1", 37, "Unable to convert [1] to number of base [37]"],
  ];
  for (const [s, base, message] of cases) {
    assert.throws(
      () => parseJavaNumber(s, base),
      (e: unknown) => e instanceof NumberConversionError && e.message === message,
      message,
    );
  }
});

test("exact int arithmetic overflows past 32 bits", () => {
  assert.equal(exactAdd(1, 2, "integer"), 3);
  assert.equal(exactAdd(INT_MAX, 0, "integer"), INT_MAX);
  assert.equal(exactAdd(INT_MIN, 0, "integer"), INT_MIN);
  assert.throws(() => exactAdd(INT_MAX, 1, "integer"), {
    name: "ArithmeticOverflowError",
    message: "integer overflow",
  });
  assert.throws(() => exactAdd(INT_MIN, -1, "integer"), ArithmeticOverflowError);
  assert.equal(exactSubtract(INT_MIN + 1, 1, "integer"), INT_MIN);
  assert.throws(() => exactSubtract(INT_MIN, 1, "integer"), { message: "integer overflow" });
  assert.equal(exactMultiply(46340, 46340, "integer"), 2147395600);
  assert.throws(() => exactMultiply(46341, 46341, "integer"), { message: "integer overflow" });
  assert.throws(() => exactMultiply(INT_MAX, INT_MAX, "integer"), { message: "integer overflow" });
  assert.equal(exactMultiply(INT_MIN, 1, "integer"), INT_MIN);
  assert.throws(() => exactMultiply(INT_MIN, -1, "integer"), { message: "integer overflow" });
  assert.equal(exactNegate(INT_MAX, "integer"), -INT_MAX);
  assert.throws(() => exactNegate(INT_MIN, "integer"), { message: "integer overflow" });
  // no negative zero from integral arithmetic
  assert.ok(Object.is(exactMultiply(0, -5, "integer"), 0));
  assert.ok(Object.is(exactNegate(0, "integer"), 0));
  assert.ok(Object.is(exactAdd(-0, -0, "long"), 0));
});

test("exact long arithmetic overflows past 64 bits, decided exactly", () => {
  assert.equal(exactAdd(INT_MAX, 1, "long"), 2 ** 31);
  assert.equal(exactAdd(2 ** 53, 2 ** 53, "long"), 2 ** 54);
  assert.equal(exactAdd(2 ** 62, 2 ** 62 - 1024, "long"), 2 ** 63 - 1024);
  assert.throws(() => exactAdd(2 ** 62, 2 ** 62, "long"), {
    name: "ArithmeticOverflowError",
    message: "long overflow",
  });
  assert.equal(exactAdd(LONG_MIN, 1024, "long"), LONG_MIN + 1024);
  assert.throws(() => exactAdd(LONG_MIN, -1, "long"), { message: "long overflow" });
  assert.equal(exactSubtract(LONG_MIN + 2048, 2048, "long"), LONG_MIN);
  assert.throws(() => exactSubtract(LONG_MIN, 1, "long"), { message: "long overflow" });
  assert.equal(exactMultiply(2 ** 31, 2 ** 31, "long"), 2 ** 62);
  assert.equal(exactMultiply(-(2 ** 31), 2 ** 32, "long"), LONG_MIN);
  assert.throws(() => exactMultiply(2 ** 32, 2 ** 31, "long"), { message: "long overflow" });
  assert.throws(() => exactMultiply(LONG_MIN, -1, "long"), { message: "long overflow" });
  assert.throws(() => exactNegate(LONG_MIN, "long"), { message: "long overflow" });
  // 2^63 as a double stands for Long.MAX_VALUE (the nearest double)
  assert.equal(exactAdd(2 ** 63, 0, "long"), 2 ** 63);
  assert.equal(exactNegate(2 ** 63, "long"), LONG_MIN);
  assert.throws(() => exactAdd(2 ** 63, 1, "long"), { message: "long overflow" });
  assert.throws(() => exactAdd(1.5, 1, "long"), TypeError);
});

test("long arithmetic agrees with bigint", () => {
  const long = fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map(Number);
  const small = fc.integer({ min: -(2 ** 40), max: 2 ** 40 });
  fc.assert(
    fc.property(fc.oneof(long, small), fc.oneof(long, small), (a, b) => {
      for (const [op, big] of [
        [exactAdd, (x: bigint, y: bigint) => x + y],
        [exactSubtract, (x: bigint, y: bigint) => x - y],
        [exactMultiply, (x: bigint, y: bigint) => x * y],
      ] as const) {
        const clamp = (x: number) => (BigInt(x) > 2n ** 63n - 1n ? 2n ** 63n - 1n : BigInt(x));
        const expected = big(clamp(a), clamp(b));
        if (expected < -(2n ** 63n) || expected > 2n ** 63n - 1n)
          assert.throws(() => op(a, b, "long"), ArithmeticOverflowError);
        else assert.equal(op(a, b, "long"), Number(expected));
      }
    }),
  );
});

test("javaDivide", () => {
  assert.equal(javaDivide(4, 3, true), 1);
  assert.equal(javaDivide(-7, 2, true), -3);
  assert.equal(javaDivide(7, -2, true), -3);
  assert.equal(javaDivide(-7, -2, true), 3);
  assert.equal(javaDivide(82, 2, true), 41);
  assert.equal(javaDivide(83, 2, true), 41);
  assert.ok(Object.is(javaDivide(0, -5, true), 0));
  assert.ok(Object.is(javaDivide(3, -5, true), 0));
  assert.equal(javaDivide(2 ** 53 + 2, 2, true), 2 ** 52 + 1);
  assert.equal(javaDivide(2 ** 62, 3, true), Number(2n ** 62n / 3n));
  // MIN_VALUE / -1 wraps in Java
  assert.equal(javaDivide(INT_MIN, -1, true, "integer"), INT_MIN);
  assert.equal(javaDivide(INT_MIN, -1, true), 2 ** 31);
  assert.equal(javaDivide(LONG_MIN, -1, true, "long"), LONG_MIN);
  assert.equal(javaDivide(5, -1, true), -5);
  assert.throws(() => javaDivide(1, 0, true), { name: "DivisionByZeroError", message: "/ by zero" });
  assert.throws(() => javaDivide(0, 0, true), DivisionByZeroError);
  assert.equal(javaDivide(4, 3, false), 4 / 3);
  assert.equal(javaDivide(1, 0, false), Number.POSITIVE_INFINITY);
  assert.equal(javaDivide(-1, 0, false), Number.NEGATIVE_INFINITY);
  assert.equal(javaDivide(1, -0, false), Number.NEGATIVE_INFINITY);
  assert.ok(Number.isNaN(javaDivide(0, 0, false)));
});

test("javaDivide truncates like bigint division", () => {
  const safe = fc.integer({ min: Number.MIN_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER });
  fc.assert(
    fc.property(
      safe,
      safe.filter((b) => b !== 0),
      (a, b) => {
        assert.equal(javaDivide(a, b, true), Number(BigInt(a) / BigInt(b)));
      },
    ),
  );
});

test("javaRemainder", () => {
  assert.equal(javaRemainder(10, -6, true), 4);
  assert.equal(javaRemainder(-10, -6, true), -4);
  assert.equal(javaRemainder(-10, 6, true), -4);
  assert.equal(javaRemainder(10, 6, true), 4);
  assert.ok(Object.is(javaRemainder(-4, 2, true), 0));
  assert.ok(Object.is(javaRemainder(INT_MIN, -1, true), 0));
  assert.throws(() => javaRemainder(1, 0, true), { name: "DivisionByZeroError", message: "/ by zero" });
  assert.equal(javaRemainder(10, 0.5, false), 0);
  assert.equal(javaRemainder(5.5, 2, false), 1.5);
  assert.equal(javaRemainder(-5.5, 2, false), -1.5);
  assert.ok(Object.is(javaRemainder(-4, 2, false), -0));
  assert.ok(Number.isNaN(javaRemainder(1, 0, false)));
  assert.equal(javaRemainder(1, Number.POSITIVE_INFINITY, false), 1);
});
