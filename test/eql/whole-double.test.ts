import assert from "node:assert/strict";
import { test } from "node:test";
import { compileEventQuery } from "../../src/eql/compile-query.ts";
import type { Event } from "../../src/eql/field-access.ts";
import { lookupFunction } from "../../src/eql/functions.ts";
import { WholeDouble } from "../../src/eql/whole-double.ts";

/** The texts `s` of the events `{ s }` that the query matches. */
function matchingTexts(query: string, texts: string[]): string[] {
  const predicate = compileEventQuery(query);
  return texts.filter((s) => predicate({ s } as Event));
}

// Java's Long.valueOf fails on each of these, so Double.valueOf makes them doubles though whole.
const WHOLE_DOUBLES = ["42.0", "1e1", " 42 ", "42f", "9223372036854775808"];

test("number() of a text that is not a Java long is a double, also when whole", () => {
  const number = lookupFunction("number")!;
  for (const s of WHOLE_DOUBLES) {
    assert.ok(number.evaluate([s], ["keyword"], false) instanceof WholeDouble, s);
  }
  assert.equal(number.evaluate(["42"], ["keyword"], false), 42);
  assert.equal(number.evaluate(["1.5"], ["keyword"], false), 1.5);
});

test("a whole double divides as a double", () => {
  assert.deepEqual(matchingTexts("any where number(s) / 4 == 10.5", ["42", "42.0", "42.5"]), ["42.0"]);
  assert.deepEqual(matchingTexts("any where number(s) / 4 == 10", ["42", "42.0"]), ["42"]);
  assert.deepEqual(matchingTexts("any where divide(number(s), 4) == 10.5", ["42", "42.0"]), ["42.0"]);
  // a double result stays a double in the next operation: 0.5 * 2 is 1.0, and 1.0 / 4 is 0.25
  assert.deepEqual(matchingTexts("any where number(s) * 2 / 4 == 0.25", ["0.5"]), ["0.5"]);
  assert.deepEqual(matchingTexts("any where -number(s) / 4 == -10.5", ["42.0"]), ["42.0"]);
});

test("a whole double prints as Java prints a double", () => {
  assert.deepEqual(matchingTexts('any where string(number(s)) == "42.0"', ["42", "42.0"]), ["42.0"]);
  assert.deepEqual(matchingTexts('any where string(number(s)) == "42"', ["42", "42.0"]), ["42"]);
  assert.deepEqual(matchingTexts('any where concat(number(s), "x") == "10.0x"', ["1e1"]), ["1e1"]);
  assert.deepEqual(matchingTexts('any where string(-number(s)) == "-0.0"', ["0.0", "0"]), ["0.0"]);
  assert.deepEqual(matchingTexts('any where string(number(s) + 1) == "43.0"', ["42", "42f"]), ["42f"]);
});

test("a whole double does not overflow as a long", () => {
  assert.deepEqual(matchingTexts("any where number(s) * 10 > 0", ["4e18"]), ["4e18"]);
  assert.deepEqual(matchingTexts("any where number(s) + 1 > 0", ["9223372036854775808"]), [
    "9223372036854775808",
  ]);
});

test("a whole double equals the long of the same value, and is one in `in`", () => {
  assert.deepEqual(matchingTexts("any where number(s) == 42", [" 42 ", "43.0"]), [" 42 "]);
  assert.deepEqual(matchingTexts("any where number(s) in (1, 42)", ["42.0", "2.0"]), ["42.0"]);
});

test("a folded whole double is a double literal: a keyword field is compared with its text", () => {
  const predicate = compileEventQuery('any where k == number("42.0")', {});
  assert.equal(predicate({ k: "42.0" }), true);
  assert.equal(predicate({ k: "42" }), false);
});
