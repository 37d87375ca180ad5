import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { compileWildcard, hasWildcard } from "../../src/eql/wildcard.ts";

const matches = (pattern: string, value: string, caseInsensitive = false): boolean =>
  compileWildcard(pattern, caseInsensitive)(value);

/** Case folding as Elasticsearch's case-insensitive wildcards do it: ASCII letters only. */
const asciiLower = (s: string) => s.replace(/[A-Z]/g, (c) => c.toLowerCase());

/** Oracle: escape everything but `*` and `?`, anchor, let `.` cross newlines, count code points. */
function referenceMatch(pattern: string, value: string, caseInsensitive: boolean): boolean {
  const p = caseInsensitive ? asciiLower(pattern) : pattern;
  const v = caseInsensitive ? asciiLower(value) : value;
  let source = "";
  for (const char of p) {
    if (char === "*") source += ".*";
    else if (char === "?") source += ".";
    else source += char.replace(/[\\^$.*+?()[\]{}|/]/g, "\\$&");
  }
  return new RegExp("^" + source + "$", "su").test(v);
}

test("case-insensitive patterns fold ASCII letters only, as Elasticsearch's queries do", () => {
  assert.equal(matches("CMD*", "cmd.exe", true), true);
  assert.equal(matches("ÉCOLE*", "école", true), false);
  assert.equal(matches("ÉCOLE*", "École", true), true);
  assert.equal(matches("?k", "a\u212a", true), false);
});

test("a pattern without wildcards is exact equality", () => {
  assert.equal(matches("cmd.exe", "cmd.exe"), true);
  assert.equal(matches("cmd.exe", "cmd.exe "), false);
  assert.equal(matches("cmd.exe", "CMD.EXE"), false);
  assert.equal(matches("cmd.exe", "xcmd.exe"), false);
});

test("the empty pattern matches only the empty value", () => {
  assert.equal(matches("", ""), true);
  assert.equal(matches("", "a"), false);
});

test("a lone star, or only stars, matches everything including the empty value", () => {
  for (const pattern of ["*", "**", "***"]) {
    assert.equal(matches(pattern, ""), true);
    assert.equal(matches(pattern, "anything\nat all"), true);
  }
});

test("prefix pattern abc* uses startsWith semantics", () => {
  assert.equal(matches("C:\\Windows\\*", "C:\\Windows\\System32\\cmd.exe"), true);
  assert.equal(matches("C:\\Windows\\*", "C:\\Windows\\"), true);
  assert.equal(matches("C:\\Windows\\*", "D:\\Windows\\x"), false);
});

test("suffix pattern *abc uses endsWith semantics", () => {
  assert.equal(matches("*.exe", "a.exe"), true);
  assert.equal(matches("*.exe", ".exe"), true);
  assert.equal(matches("*.exe", "a.exe.txt"), false);
});

test("infix pattern *abc* uses includes semantics", () => {
  assert.equal(matches("*powershell*", "c:\\powershell.exe -enc"), true);
  assert.equal(matches("*powershell*", "powershell"), true);
  assert.equal(matches("*powershell*", "powershel"), false);
});

test("head*tail needs room for both ends without overlap", () => {
  assert.equal(matches("ab*ba", "aba"), false);
  assert.equal(matches("ab*ba", "abba"), true);
  assert.equal(matches("ab*ba", "ab-x-ba"), true);
});

test("several stars place each segment in order", () => {
  assert.equal(matches("*a*b*c", "xaybzc"), true);
  assert.equal(matches("*a*b*c", "xbyazc"), false);
  assert.equal(matches("a*b*c", "abc"), true);
  assert.equal(matches("a*b*c", "acb"), false);
  assert.equal(matches("a*bc*bc", "abcbc"), true);
  assert.equal(matches("a*bc*bc", "abc"), false);
  // A middle segment may not borrow characters from the tail.
  assert.equal(matches("*a*a", "a"), false);
  assert.equal(matches("*a*a", "aa"), true);
  assert.equal(matches("x*ab*b", "xab"), false);
});

test("backslash is a literal character, not an escape", () => {
  assert.equal(matches("*\\temp\\*.exe", "C:\\Users\\x\\temp\\a.exe"), true);
  assert.equal(matches("*\\temp\\*.exe", "C:/Users/x/temp/a.exe"), false);
  assert.equal(matches("a\\*", "a\\bc"), true);
  assert.equal(matches("a\\*", "a*"), false);
  assert.equal(matches("\\?", "\\x"), true);
  assert.equal(matches("\\?", "?"), false);
});

test("star crosses slashes, backslashes and newlines", () => {
  assert.equal(matches("/tmp/*", "/tmp/a/b"), true);
  assert.equal(matches("a*b", "a\nb"), true);
  assert.equal(matches("a?b", "a\nb"), true);
});

test("glob-library syntax has no special meaning", () => {
  assert.equal(matches("*.{exe,dll}", "a.exe"), false);
  assert.equal(matches("*.{exe,dll}", "a.{exe,dll}"), true);
  assert.equal(matches("[ab]*", "a.exe"), false);
  assert.equal(matches("[ab]*", "[ab].exe"), true);
});

test("question mark matches exactly one character", () => {
  assert.equal(matches("a?c", "abc"), true);
  assert.equal(matches("a?c", "ac"), false);
  assert.equal(matches("a?c", "abbc"), false);
  assert.equal(matches("???", "abc"), true);
  assert.equal(matches("???", "ab"), false);
  assert.equal(matches("?:\\Windows\\*", "C:\\Windows\\x"), true);
  assert.equal(matches("?:\\Windows\\*", "C:\\windows\\x"), false);
});

test("question mark matches one code point, not half a surrogate pair", () => {
  assert.equal(matches("?", "😀"), true);
  assert.equal(matches("??", "😀"), false);
  assert.equal(matches("*??", "😀"), false);
  assert.equal(matches("a?b", "a😀b"), true);
  assert.equal(matches("*?*", "😀"), true);
});

test("mixed stars and question marks backtrack correctly", () => {
  assert.equal(matches("*a?c*", "xxabcyy"), true);
  assert.equal(matches("*a?c", "abcac"), false);
  assert.equal(matches("*a?c", "abcabc"), true);
  assert.equal(matches("a*?", "a"), false);
  assert.equal(matches("a*?", "ab"), true);
});

test("case-insensitive matching lowers both pattern and value", () => {
  assert.equal(matches("*\\System32\\CMD.exe", "c:\\windows\\system32\\cmd.EXE", true), true);
  assert.equal(matches("CMD.EXE", "cmd.exe", true), true);
  assert.equal(matches("Power*", "POWERSHELL", true), true);
  assert.equal(matches("*SHELL", "powershell", true), true);
  assert.equal(matches("*ERSH*", "powershell", true), true);
  assert.equal(matches("p?w*L", "POWERSHELL", true), true);
  assert.equal(matches("cmd.exe", "cmd.exe.bak", true), false);
  assert.equal(matches("CMD.EXE", "cmd.exe", false), false);
});

test("a long adversarial value does not blow up", () => {
  const value = "a".repeat(20_000);
  const started = performance.now();
  assert.equal(matches("*a*a*a*a*a*b", value), false);
  assert.equal(matches("*a?a*a?a*b", value), false);
  assert.ok(performance.now() - started < 2000);
});

test("hasWildcard detects * and ? only", () => {
  assert.equal(hasWildcard("abc"), false);
  assert.equal(hasWildcard("a\\b[c]"), false);
  assert.equal(hasWildcard("a*"), true);
  assert.equal(hasWildcard("?"), true);
  assert.equal(hasWildcard(""), false);
});

test("property: compileWildcard agrees with an escaped-regex oracle", () => {
  const unit = fc.constantFrom("*", "?", "\\", "a", "A", "é", "É", "k", "\u212a", ".", "\n");
  fc.assert(
    fc.property(
      fc.string({ unit, maxLength: 8 }),
      fc.string({
        unit: fc.constantFrom("\\", "a", "A", "é", "É", "k", "\u212a", ".", "*", "?", "\n"),
        maxLength: 12,
      }),
      fc.boolean(),
      (pattern, value, caseInsensitive) => {
        assert.equal(
          compileWildcard(pattern, caseInsensitive)(value),
          referenceMatch(pattern, value, caseInsensitive),
        );
      },
    ),
    { numRuns: 5000 },
  );
});

test("property: dense two-letter patterns agree with the oracle", () => {
  fc.assert(
    fc.property(
      fc.string({ unit: fc.constantFrom("*", "?", "a", "b"), maxLength: 6 }),
      fc.string({ unit: fc.constantFrom("a", "b"), maxLength: 6 }),
      (pattern, value) => {
        assert.equal(compileWildcard(pattern, false)(value), referenceMatch(pattern, value, false));
      },
    ),
    { numRuns: 5000 },
  );
});

test("property: a value always matches the pattern built from it with wildcards punched in", () => {
  const unit = fc.constantFrom("\\", "a", "A", ".", "b");
  fc.assert(
    fc.property(fc.string({ unit, minLength: 1, maxLength: 12 }), fc.nat(), fc.nat(), (value, i, j) => {
      const chars = [...value];
      chars[i % chars.length] = "?";
      const pattern = chars.join("") + (j % 2 === 0 ? "*" : "");
      assert.equal(compileWildcard(pattern, false)(value), true);
      assert.equal(compileWildcard("*" + value.slice(j % value.length), false)(value), true);
    }),
  );
});

/** As a script runs it: a java.util.regex pattern (`.*`, `.`) without DOTALL. */
const matchesInScript = (pattern: string, value: string, caseInsensitive = false): boolean =>
  compileWildcard(pattern, caseInsensitive, { withinLines: true })(value);

test("in a script, * and ? stop at every line terminator Java's . stops at", () => {
  for (const eol of ["\n", "\r", "\r\n", "\u0085", "\u2028", "\u2029"]) {
    const value = `cmd.exe /c${eol}whoami`;
    assert.equal(matches("cmd*whoami", value), true);
    assert.equal(matchesInScript("cmd*whoami", value), false);
    assert.equal(matchesInScript("*whoami", value), false);
    assert.equal(matchesInScript("cmd*", value), false);
    assert.equal(matchesInScript("*/c*", value), false);
    assert.equal(matchesInScript(`cmd*${eol}*whoami`, value), true);
    assert.equal(matchesInScript(`CMD*${eol}WHO?MI`, value, true), true);
    assert.equal(matchesInScript(`cmd.exe /c${"?".repeat(eol.length)}whoami`, value), false);
    assert.equal(matches(`cmd.exe /c${"?".repeat(eol.length)}whoami`, value), true);
  }
  // a Windows line break is two terminators, and \r or \n alone neither
  assert.equal(matchesInScript("a\r*\nb", "a\r\nb"), true);
  assert.equal(matchesInScript("a\r\n*b", "a\r\nb"), true);
  assert.equal(matchesInScript("a\n*b", "a\r\nb"), false);
  assert.equal(matchesInScript("a*\nb", "a\n\nb"), false);
  assert.equal(matchesInScript("a*\n*\n*b", "a\n\nb"), true);
  // line by line, each line still matches as a whole
  assert.equal(matchesInScript("a*\n?b", "a\nbb"), true);
  assert.equal(matchesInScript("a*\n?b", "a\nb"), false);
  assert.equal(matchesInScript("a*\n", "ax\n"), true);
  assert.equal(matchesInScript("a*\n", "ax\ny"), false);
});

test("in a script, a pattern of stars alone matches every value: Elasticsearch makes it an exists check", () => {
  for (const pattern of ["*", "**"]) assert.equal(matchesInScript(pattern, "a\nb"), true);
  assert.equal(matchesInScript("*?", "\n"), false);
});

test("in a script, values without line terminators match as on a field", () => {
  assert.equal(matchesInScript("*\\temp\\*.exe", "C:\\Users\\x\\temp\\a.exe"), true);
  assert.equal(matchesInScript("p?w*L", "POWERSHELL", true), true);
  assert.equal(matchesInScript("a\nb", "a\nb"), true);
});

test("property: in a script, compileWildcard agrees with a regex oracle whose . stops at line terminators", () => {
  const terminators = ["\n", "\r", "\u0085", "\u2028", "\u2029"];
  const unit = fc.constantFrom("*", "?", "a", "A", "😀", ...terminators);
  const oracle = (pattern: string, value: string, caseInsensitive: boolean) => {
    // the regex Elasticsearch's script compiles, with Java's `.` spelled out: JavaScript's
    // does take U+0085
    if (/^\*+$/.test(pattern)) return true;
    const dot = "[^\\n\\r\\u0085\\u2028\\u2029]";
    let source = "";
    for (const char of pattern) source += char === "*" ? `${dot}*` : char === "?" ? dot : char;
    return new RegExp(`^${source}$`, caseInsensitive ? "ui" : "u").test(value);
  };
  fc.assert(
    fc.property(
      fc.string({ unit, maxLength: 8 }),
      fc.string({ unit: fc.constantFrom("a", "A", "😀", ...terminators), maxLength: 10 }),
      fc.boolean(),
      (pattern, value, caseInsensitive) => {
        assert.equal(
          matchesInScript(pattern, value, caseInsensitive),
          oracle(pattern, value, caseInsensitive),
        );
      },
    ),
    { numRuns: 5000 },
  );
});
