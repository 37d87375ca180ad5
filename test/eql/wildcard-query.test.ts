import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { compileWildcardQuery } from "../../src/eql/wildcard-query.ts";

/**
 * Oracle: a RegExp read from the pattern as Lucene reads a wildcard query, `\` escaping the
 * next character (a trailing one literal); ignoring case, an unescaped ASCII letter stands for
 * both of its cases and an escaped one for itself alone.
 */
function referenceMatch(pattern: string, value: string, caseInsensitive: boolean): boolean {
  const chars = [...pattern];
  let source = "";
  for (let i = 0; i < chars.length; i++) {
    let char = chars[i];
    const escaped = char === "\\" && i + 1 < chars.length;
    if (escaped) char = chars[++i];
    if (!escaped && char === "*") source += ".*";
    else if (!escaped && char === "?") source += ".";
    else if (!escaped && caseInsensitive && /[a-z]/i.test(char))
      source += `[${char.toLowerCase()}${char.toUpperCase()}]`;
    else source += char.replace(/[\\^$.*+?()[\]{}|/]/g, "\\$&");
  }
  return new RegExp("^" + source + "$", "su").test(value);
}

test("escapes: \\* is a literal star, \\\\ a backslash, a trailing \\ itself", () => {
  assert.equal(compileWildcardQuery("Principal=\\*")("Principal=*"), true);
  assert.equal(compileWildcardQuery("Principal=\\*")("Principal=x"), false);
  assert.equal(compileWildcardQuery("C:\\\\Windows\\\\*")("C:\\Windows\\x.exe"), true);
  assert.equal(compileWildcardQuery("a\\")("a\\"), true);
  assert.equal(compileWildcardQuery("\\W*", true)("Windows"), true);
  assert.equal(compileWildcardQuery("\\W*", true)("windows"), false);
});

test("property: compileWildcardQuery agrees with a Lucene-reading oracle", () => {
  const unit = fc.constantFrom("*", "?", "\\", "a", "A", "é", "W", "w", "\n", "😀");
  fc.assert(
    fc.property(
      fc.string({ unit, maxLength: 8 }),
      fc.string({
        unit: fc.constantFrom("\\", "a", "A", "é", "W", "w", "*", "?", "\n", "😀"),
        maxLength: 10,
      }),
      fc.boolean(),
      (pattern, value, caseInsensitive) => {
        assert.equal(
          compileWildcardQuery(pattern, caseInsensitive)(value),
          referenceMatch(pattern, value, caseInsensitive),
        );
      },
    ),
    { numRuns: 5000 },
  );
});
