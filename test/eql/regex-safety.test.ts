import assert from "node:assert/strict";
import { test } from "node:test";
import { translateLuceneRegex } from "../../src/eql/lucene-regex.ts";
import { enableLinearRegexFallback, MAX_REGEX_INPUT, regexTest } from "../../src/eql/regex-safety.ts";

// Before any regex below is compiled, as the engine does at start-up.
enableLinearRegexFallback();

function elapsedMs(run: () => void): number {
  const started = performance.now();
  run();
  return performance.now() - started;
}

test("enableLinearRegexFallback is idempotent", () => {
  enableLinearRegexFallback();
  enableLinearRegexFallback();
});

test("exponential backtracking falls back to the linear engine", () => {
  const re = /(a+)+$/;
  const value = "a".repeat(40) + "!";
  let matched = true;
  const ms = elapsedMs(() => {
    matched = regexTest(re, value);
  });
  // `$` needs a run of a's right before the end, and the value ends with "!".
  assert.equal(matched, false);
  assert.ok(ms < 1000, `took ${ms} ms`);
});

test("a translated corpus pattern stays fast on an adversarial command line, also for regex~", () => {
  // Three long words split by two wide gaps: the third group never completes, and a
  // backtracking engine tries every way of splitting the middle word (cubic).
  const word = "a".repeat(1200);
  const value = word + "   " + word + "   " + word;
  for (const caseInsensitive of [false, true]) {
    const re = translateLuceneRegex("([^ ]+[ ]{3,}[^ ]*){3,}.*", { caseInsensitive });
    let matched = true;
    const ms = elapsedMs(() => {
      matched = regexTest(re, value);
    });
    assert.equal(matched, false);
    assert.ok(ms < 1000, `caseInsensitive=${caseInsensitive} took ${ms} ms`);
  }
});

test("regexTest tests the whole value, even beyond MAX_REGEX_INPUT", () => {
  assert.equal(MAX_REGEX_INPUT, 64 * 1024);
  const re = /^a*b$/s;
  assert.equal(regexTest(re, "a".repeat(MAX_REGEX_INPUT * 2) + "b"), true);
  assert.equal(regexTest(re, "a".repeat(MAX_REGEX_INPUT * 2)), false);
  assert.equal(regexTest(re, "ab"), true);
  assert.equal(regexTest(re, "ab"), true);
});
