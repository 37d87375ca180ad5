import assert from "node:assert/strict";
import { test } from "node:test";
import { compileEventQuery } from "../../src/eql/compile-query.ts";
import { translateLuceneRegex } from "../../src/eql/lucene-regex.ts";
import { enableLinearRegexFallback, MAX_REGEX_INPUT } from "../../src/eql/regex-safety.ts";

// Before any regex below is compiled, as the engine does at start-up.
enableLinearRegexFallback();

/** Whether `any where s <condition>` matches an event whose `s` is `value`. */
function matcher(condition: string): (value: string) => boolean {
  const predicate = compileEventQuery(`any where s ${condition}`);
  return (value) => predicate({ s: value });
}

function matchesValue(condition: string, value: string): boolean {
  return matcher(condition)(value);
}

/** The lengths of the values that reached RegExp.prototype.test while `run` ran. */
function regExpTestedLengths(run: () => void): number[] {
  const lengths: number[] = [];
  const original = RegExp.prototype.test;
  RegExp.prototype.test = function (this: RegExp, value: string) {
    lengths.push(String(value).length);
    return original.call(this, value);
  };
  try {
    run();
  } finally {
    RegExp.prototype.test = original;
  }
  return lengths;
}

test("enableLinearRegexFallback is idempotent", () => {
  enableLinearRegexFallback();
  enableLinearRegexFallback();
});

test("a short value still goes to the RegExp, which V8's fallback keeps from backtracking exponentially", () => {
  const re = translateLuceneRegex("(a+)+b", { caseInsensitive: false });
  // 2^40 ways to split the run of a's: this completes only because V8 switches to its linear engine.
  assert.equal(re.test("a".repeat(40) + "!"), false);
  const short = "a".repeat(MAX_REGEX_INPUT - 1) + "b";
  const matches = matcher('regex "(a+)+b"');
  const lengths = regExpTestedLengths(() => assert.equal(matches(short), true));
  assert.deepEqual(lengths, [short.length]);
});

test("a value longer than MAX_REGEX_INPUT never reaches a backtracking RegExp", () => {
  const long = "a".repeat(MAX_REGEX_INPUT) + "b";
  for (const condition of ['regex "(a+)+b"', 'regex~ ".*A.*B"', 'regex ("x", "(a|aa)*b")']) {
    const matches = matcher(condition);
    const lengths = regExpTestedLengths(() => assert.equal(matches(long), true, condition));
    assert.deepEqual(lengths, [], condition);
  }
});

test("pathological patterns on values of megabytes give their answers (once minutes and gigabytes)", () => {
  const run = "a".repeat(15 * 1024 * 1024);
  // `$` is a literal character in Lucene syntax.
  assert.equal(matchesValue('regex "(a+)+$"', run), false);
  assert.equal(matchesValue('regex "(a+)+$"', run + "$"), true);
  assert.equal(matchesValue('regex ".*.*.*.*.*.*.*b"', run), false);
  assert.equal(matchesValue('regex ".*.*.*.*.*.*.*b"', run + "b"), true);
  const medium = "a".repeat(128 * 1024);
  assert.equal(matchesValue('regex ".*a.*b"', medium), false);
  assert.equal(matchesValue('regex ".*a.*b"', medium + "b"), true);
  assert.equal(matchesValue('regex~ ".*A.*B"', medium + "b"), true);
});

test("a corpus pattern on an adversarial command line, also for regex~", () => {
  // Three long words split by two wide gaps: the third group never completes, and a
  // backtracking engine tries every way of splitting the middle word (cubic).
  const word = "a".repeat(1200);
  const value = word + "   " + word + "   " + word;
  for (const operator of ["regex", "regex~"]) {
    assert.equal(matchesValue(`${operator} "([^ ]+[ ]{3,}[^ ]*){3,}.*"`, value), false);
    assert.equal(matchesValue(`${operator} "([^ ]+[ ]{3,}[^ ]*){3,}.*"`, value + "   a"), true);
  }
});

test("a pattern whose automaton would be too large is refused when the query is compiled, under the pattern", () => {
  assert.throws(
    () => compileEventQuery('any where s regex "a{100000}"'),
    /line 1:19: invalid regex \[a\{100000\}\] at offset 1: too complex/,
  );
  // a list is one alternation: the problem is told against the pattern it is in, with its own offset
  assert.throws(
    () => compileEventQuery('any where s regex ("ok", "b", "a{100000}")'),
    /line 1:31: invalid regex \[a\{100000\}\] at offset 1: too complex/,
  );
});
