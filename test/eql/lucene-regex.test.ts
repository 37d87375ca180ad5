import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import {
  LuceneRegexError,
  luceneRegexIsLiteral,
  MAX_REGEX_DEPTH,
  MAX_REGEX_NESTING,
  translateLuceneRegex,
} from "../../src/eql/lucene-regex.ts";

const matcher = (pattern: string, caseInsensitive = false) => {
  const re = translateLuceneRegex(pattern, { caseInsensitive });
  return (value: string) => re.test(value);
};

const matches = (pattern: string, value: string, caseInsensitive = false): boolean =>
  matcher(pattern, caseInsensitive)(value);

function assertMatches(pattern: string, yes: readonly string[], no: readonly string[], ci = false): void {
  const m = matcher(pattern, ci);
  for (const value of yes) assert.equal(m(value), true, `${pattern} should match ${JSON.stringify(value)}`);
  for (const value of no)
    assert.equal(m(value), false, `${pattern} should not match ${JSON.stringify(value)}`);
}

function assertRejected(pattern: string, offset: number, reason: RegExp): void {
  assert.throws(
    () => translateLuceneRegex(pattern, { caseInsensitive: false }),
    (error: unknown) => {
      assert.ok(error instanceof LuceneRegexError, `expected LuceneRegexError for ${pattern}`);
      assert.equal(error.offset, offset, `offset for ${pattern}: ${error.reason}`);
      assert.match(error.reason, reason);
      return true;
    },
  );
}

test("output is anchored and avoids the u and i flags that disable V8's linear fallback", () => {
  assert.equal(translateLuceneRegex("abc", { caseInsensitive: false }).flags, "s");
  assert.equal(translateLuceneRegex("abc", { caseInsensitive: true }).flags, "s");
  assertMatches("abc", ["abc"], ["xabc", "abcx", "ab", ""]);
  assertMatches("a|b", ["a", "b"], ["ab", "xa", "bx"]);
});

test("^ and $ are ordinary characters", () => {
  assertMatches("^abc$", ["^abc$"], ["abc"]);
  assertMatches("a^b", ["a^b"], ["ab"]);
  assertMatches("a$", ["a$"], ["a"]);
  assertMatches("[$^]+", ["$^$"], [""]);
});

test("characters special only in JS are literal", () => {
  assertMatches("a/b", ["a/b"], []);
  assertMatches("a]b}c>d-e", ["a]b}c>d-e"], []);
  assertMatches("a,b:c=d!e", ["a,b:c=d!e"], []);
});

test(". matches any character, including a newline and an astral code point", () => {
  assertMatches("a.c", ["abc", "a\nc", "a😀c", "a.c"], ["ac", "abbc"]);
  assertMatches(".*", ["", "line1\nline2"], []);
});

test("quantifiers ? * + {n} {n,} {n,m}", () => {
  assertMatches("ab?c", ["ac", "abc"], ["abbc"]);
  assertMatches("ab*c", ["ac", "abc", "abbbc"], ["axc"]);
  assertMatches("ab+c", ["abc", "abbc"], ["ac"]);
  assertMatches("a{3}", ["aaa"], ["aa", "aaaa"]);
  assertMatches("a{2,}", ["aa", "aaaaa"], ["a"]);
  assertMatches("a{1,2}", ["a", "aa"], ["", "aaa"]);
  assertMatches("(ab){2}", ["abab"], ["ab", "ababab"]);
});

test("an impossible repeat count is the empty language", () => {
  assertMatches("a{3,2}", [], ["", "aa", "aaa"]);
  assertMatches("b|a{3,2}", ["b"], ["aaa"]);
});

test("stacked quantifiers are never lazy", () => {
  for (const pattern of [".*?", "a??", "a+?", "a*?"]) {
    const source = translateLuceneRegex(pattern, { caseInsensitive: false }).source;
    // A `?` right after a quantifier (not after an escape or a group opener) would make it lazy.
    assert.doesNotMatch(source, /(?<![\\(])[*+?}]\?/, `${pattern} -> ${source}`);
  }
  assertMatches("a.*?b", ["ab", "axxb", "axbxb"], ["axbx"]);
  assertMatches("a??", ["", "a"], ["aa"]);
  assertMatches("a+*", ["", "a", "aaa"], ["b"]);
  assertMatches("a**", ["", "aaa"], ["b"]);
});

test("an operator character with nothing before it is literal", () => {
  assertMatches("*a", ["*a"], ["a", "aa"]);
  assertMatches("+", ["+"], [""]);
  assertMatches("?", ["?"], ["a"]);
  assertMatches("{a", ["{a"], ["a"]);
  assertMatches("a||b", ["a", "|b"], ["b"]);
});

test("groups, alternation and the empty group", () => {
  assertMatches("(cmd|powershell)\\.exe", ["cmd.exe", "powershell.exe"], ["cmdpowershell.exe"]);
  assertMatches("a()b", ["ab"], []);
  assertMatches("a(b|())c", ["abc", "ac"], []);
  assertMatches("((a))", ["a"], []);
});

test("character classes: ranges, negation, escapes and bracket edge cases", () => {
  assertMatches("[a-c]", ["a", "b", "c"], ["d", "A", "", "ab"]);
  assertMatches("[^a-c]", ["d", "A", "\n", "😀"], ["a", "", "dd"]);
  assertMatches("[]a]", ["]", "a"], ["b"]);
  assertMatches("[^]a]", ["b"], ["]", "a"]);
  assertMatches("[-a]", ["-", "a"], ["b"]);
  assertMatches("[a-c-e]", ["a", "-", "e"], ["d"]);
  assertMatches("[\\]\\\\]", ["]", "\\"], ["a"]);
  assertMatches("[[]", ["["], []);
  assertMatches("[a^]", ["a", "^"], ["b"]);
  assertMatches("[.*+?(){}|$/]", [".", "*", "+", "?", "(", ")", "{", "}", "|", "$", "/"], ["a"]);
  assertMatches("[\\n]", ["n"], ["\n"]);
});

test("backslash escapes the next character; \\n is the letter n", () => {
  assertMatches("a\\.b", ["a.b"], ["axb"]);
  assertMatches("a\\\\b", ["a\\b"], []);
  assertMatches("\\n", ["n"], ["\n"]);
  assertMatches("\\*\\(\\<", ["*(<"], []);
  assertMatches('\\~\\&\\@\\#\\"', ['~&@#"'], []);
});

test("predefined classes \\d \\D \\s \\S \\w \\W", () => {
  assertMatches("\\d+", ["0123456789"], ["a", "", "٣"]);
  assertMatches("\\D", ["a", " "], ["5"]);
  assertMatches("\\s", [" ", "\t", "\n", "\r", "\f", "\v"], ["a", "\u00a0", "\u2028"]);
  assertMatches("\\S", ["a"], [" ", "\n"]);
  assertMatches("\\w+", ["az_AZ09"], ["-", "é"]);
  assertMatches("\\W", ["-", "é"], ["a", "_"]);
  assertMatches("[\\d\\s]+", ["1 2"], ["a"]);
  assertMatches("[a\\S]", ["a", "b"], [" "]);
  assertMatches("[^a\\S]", [" ", "\n"], ["a", "b"]);
  assertMatches("[^\\d\\s]", ["a"], ["1", " "]);
  assertMatches("[\\W]", ["-"], ["a"]);
});

test("quoted strings are literal, including metacharacters", () => {
  assertMatches('"a.b*"', ["a.b*"], ["axb", "a.bbb"]);
  assertMatches('"C:\\Windows".*', ["C:\\Windows\\System32"], ["D:\\Windows"]);
  assertMatches('""', [""], ["a"]);
  assertMatches('x"(|)"y', ["x(|)y"], []);
});

test("@ is any string and # matches nothing", () => {
  assertMatches("@", ["", "anything\n"], []);
  assertMatches("a@b", ["ab", "a\nxb"], ["a"]);
  assertMatches("@*", ["", "xyz"], []);
  assertMatches("#", [], ["", "#"]);
  assertMatches("a|#", ["a"], ["", "#"]);
  assertMatches("#*", [""], ["a"]);
});

test("numeric intervals <n-m>", () => {
  assertMatches("<1-10>", ["1", "9", "10", "01", "0010"], ["0", "11", "", "1a", "-1"]);
  assertMatches("<10-1>", ["5", "10"], ["11"]);
  // Equal-width bounds fix the number of digits.
  assertMatches("<01-10>", ["01", "09", "10"], ["1", "001", "00", "11"]);
  assertMatches("<5-7>", ["5", "6", "7"], ["05", "8"]);
  assertMatches("port<0-65535>", ["port0", "port65535", "port00080"], ["port65536", "port"]);
  assertMatches("<0-2147483647>", ["2147483647", "0"], ["2147483648"]);
});

test("property: numeric intervals accept exactly the integers in range", () => {
  fc.assert(
    fc.property(
      fc.nat(200_000),
      fc.nat(200_000),
      fc.nat(300_000),
      fc.nat(3),
      fc.boolean(),
      (a, b, n, zeros, sameWidth) => {
        const low = Math.min(a, b);
        const high = Math.max(a, b);
        const width = Math.max(String(low).length, String(high).length);
        const lowText = sameWidth ? String(low).padStart(width, "0") : String(low);
        const highText = sameWidth ? String(high).padStart(width, "0") : String(high);
        const fixed = lowText.length === highText.length ? lowText.length : 0;
        const m = matcher(`<${lowText}-${highText}>`);
        const value = "0".repeat(zeros) + String(n);
        const inRange = n >= low && n <= high;
        const expected = inRange && (fixed === 0 || value.length === fixed);
        assert.equal(m(value), expected, `<${lowText}-${highText}> on ${value}`);
        const padded = String(n).padStart(fixed, "0");
        if (fixed > 0 && padded.length === fixed) assert.equal(m(padded), inRange);
      },
    ),
    { numRuns: 2000 },
  );
});

test("case-insensitive translation", () => {
  assertMatches("cmd\\.EXE", ["CMD.exe", "cmd.exe"], ["cmdxexe"], true);
  assertMatches("[a-c]+", ["AbC"], ["d"], true);
  assertMatches('"Windows"', ["WINDOWS"], [], true);
  assertMatches("cmd", [], ["CMD"], false);
});

test("one Lucene character is one code point, also without the u flag", () => {
  assertMatches(".", ["😀", "a"], ["", "😀😀"]);
  assertMatches("..", ["😀a", "😀😀"], ["😀"]);
  assertMatches(".{2}", ["😀😀"], ["😀"]);
  assertMatches("[^a]", ["😀", "b"], ["a", "😀b"]);
  assertMatches("[^a][^a]", ["😀b"], ["😀"]);
  assertMatches("a😀*", ["a", "a😀😀"], ["a\ud83d"]);
  assertMatches("[😀-😂]", ["😀", "😁", "😂"], ["😃", "\ud83d"]);
  assertMatches("[^😀]", ["😁", "a"], ["😀"]);
  assertMatches("[a-\u{10FFFF}]", ["a", "😀", "\u{10FFFF}"], ["A"]);
  assertMatches(
    "[\uFFFF-\u{10400}]",
    ["\uffff", "\u{10000}", "\u{103ff}", "\u{10400}"],
    ["\u{10401}", "\ufffe"],
  );
  // Lone surrogates are not characters, but `.*` and `@` still accept any string.
  assertMatches(".*", ["\ud800", "a\udc00"], []);
  assertMatches(".", [], ["\ud800"]);
});

test("property: code-point and class semantics agree with a u-flag oracle", () => {
  const atom = fc.constantFrom("a", "b", "😀", ".", "[ab]", "[^a]", "[a-b😀]", "[^😀]", "(a|😀)", "(.b)");
  const quantified = fc
    .tuple(atom, fc.constantFrom("", "?", "*", "+", "{2}", "{1,2}", "{2,}"))
    .map(([a, q]) => a + q);
  const pattern = fc.array(quantified, { minLength: 1, maxLength: 4 }).map((parts) => parts.join(""));
  const value = fc.string({ unit: fc.constantFrom("a", "b", "A", "😀"), maxLength: 6 });
  fc.assert(
    fc.property(pattern, value, fc.boolean(), (p, v, ci) => {
      const oracle = new RegExp("^(?:" + p + ")$", ci ? "siu" : "su");
      assert.equal(matches(p, v, ci), oracle.test(v), `${p} on ${JSON.stringify(v)} ci=${ci}`);
    }),
    { numRuns: 3000 },
  );
});

test("case-insensitivity folds ASCII letters only, before negation", () => {
  assertMatches("[^a]", ["b"], ["a", "A"], true);
  assertMatches("[^a-z]+", ["123"], ["Abc"], true);
  assertMatches("[A-Z_]+", ["abc_DEF"], ["-"], true);
  assertMatches("\\W", ["-"], ["a", "A"], true);
  assertMatches('"PowerShell"', ["powershell", "POWERSHELL"], ["powershel"], true);
  assertMatches("é", ["é"], ["É"], true);
});

test("complement ~ at the edges of the pattern", () => {
  assertMatches("~(abc)", ["", "ab", "abcd", "xyz"], ["abc"]);
  assertMatches("~abc", ["bc", "xbc"], ["abc"]); // ~ binds to the single atom: (~a)bc
  assertMatches("x~(y)", ["x", "xz", "xyy"], ["xy", "y"]);
  assertMatches("~(a)x", ["x", "bx", "aax"], ["ax", "a"]);
  assertMatches("~(a.*)|b", ["b", "c", ""], ["a", "ab"]);
  assertMatches("~(~(abc))", ["abc"], ["ab", ""]);
  assertMatches("(~(a))?", ["", "b"], ["a"]);
});

test("property: edge complements agree with their definition", () => {
  const alphabet = fc.string({ unit: fc.constantFrom("a", "b", "c"), maxLength: 6 });
  const operands = ["a", "ab*", "(a|b)c", ".b", "a*"];
  const prefixes = ["a", "b*", "a?b"];
  fc.assert(
    fc.property(
      alphabet,
      fc.constantFrom(...operands),
      fc.constantFrom(...prefixes),
      (value, operand, prefix) => {
        const inOperand = matcher(operand);
        const inPrefix = matcher(prefix);
        const splits = [...Array(value.length + 1).keys()];
        assert.equal(matches(`~(${operand})`, value), !inOperand(value));
        assert.equal(
          matches(`(${prefix})~(${operand})`, value),
          splits.some((i) => inPrefix(value.slice(0, i)) && !inOperand(value.slice(i))),
        );
        assert.equal(
          matches(`~(${operand})(${prefix})`, value),
          splits.some((i) => !inOperand(value.slice(0, i)) && inPrefix(value.slice(i))),
        );
      },
    ),
    { numRuns: 1000 },
  );
});

test("intersection & at the edges of the pattern", () => {
  assertMatches("a.*&.*b", ["ab", "axb"], ["a", "b", "ba"]);
  assertMatches(".*a.*&.*b.*&.*c.*", ["abc", "cba"], ["ab"]);
  assertMatches("x(a.*&.*b)", ["xab", "xaab"], ["xa", "ab"]);
  assertMatches("(a.*&.*b)x", ["abx"], ["ax", "bx"]);
  assertMatches("a&&b", [], ["a", "&b"]); // the second operand starts with a literal &
  assertMatches("z|[a-c]+&.*b.*", ["z", "abc"], ["ac", "zb"]);
});

test("complement and intersection inside a pattern are rejected with their offset", () => {
  assertRejected("x~(y)z", 1, /complement operator ~ cannot be translated/);
  assertRejected("(~a)*", 1, /complement operator ~/);
  assertRejected("a(~b)+c", 2, /complement/);
  assertRejected("x(a&b)y", 3, /intersection operator & cannot be translated/);
  assertRejected("(a&b)*", 2, /intersection/);
});

test("syntax errors carry an offset and a reason", () => {
  assertRejected("(abc", 0, /unbalanced parenthesis/);
  assertRejected("a(b(c)", 1, /unbalanced parenthesis/);
  assertRejected("abc)", 3, /unbalanced parenthesis/);
  assertRejected("(", 0, /unbalanced parenthesis/);
  assertRejected("[abc", 0, /unterminated character class/);
  assertRejected("x[^", 1, /unterminated character class/);
  assertRejected("[z-a]", 1, /invalid character range/);
  assertRejected('a"bc', 1, /unterminated quoted string/);
  assertRejected("a{x}", 2, /expected a repeat count/);
  assertRejected("a{,3}", 2, /expected a repeat count/);
  assertRejected("a{3", 3, /expected '}'/);
  assertRejected("a{99999999999}", 2, /too large/);
  assertRejected("a|", 2, /unexpected end/);
  // An empty alternative is not allowed: the `)` after `|` is read as a literal, leaving `(` open.
  assertRejected("a(b|)c", 1, /unbalanced parenthesis/);
  assertRejected("a\\", 2, /nothing to escape/);
  assertRejected("a~", 2, /unexpected end/);
  assertRejected("<1-5", 0, /unterminated numeric interval/);
  assertRejected("<ipv4>", 0, /named automaton/);
  assertRejected("<1-2-3>", 0, /invalid numeric interval/);
  assertRejected("<-5>", 0, /invalid numeric interval/);
  assertRejected("<1-99999999999>", 0, /too large/);
});

test("LuceneRegexError is an Error with a readable message", () => {
  try {
    translateLuceneRegex("(a", { caseInsensitive: false });
    assert.fail("expected a throw");
  } catch (error) {
    assert.ok(error instanceof Error);
    assert.ok(error instanceof LuceneRegexError);
    assert.equal(error.name, "LuceneRegexError");
    assert.match(error.message, /\[\(a\].*offset 0.*unbalanced parenthesis/);
  }
});

test("the empty pattern matches only the empty string", () => {
  assertMatches("", [""], ["a"]);
});

test("detection-rules corpus patterns", () => {
  assertMatches(
    ".*[a-z]{4,}\\.[a-z]{2,}.*",
    ["curl http://evil.com/x", "download.example.org"],
    ["ab.cd", "ABCD.EF", ""],
  );
  assertMatches(
    "([^ ]+[ ]{3,}[^ ]*){3,}.*",
    ["a   b   c   d", "cmd   /c   x   y  z"],
    ["a b c d", "a   b   c"],
  );
  assertMatches(
    "[A-Za-z0-9]{20,}",
    ["abcdefghij0123456789", "A".repeat(40)],
    ["abcdefghij012345678", "a-".repeat(15)],
  );
  assertMatches(
    ".*\\\\[^\\\\]+\\.exe",
    ["C:\\Windows\\cmd.exe", "\\\\host\\share\\a.exe"],
    ["C:\\Windows\\", "cmd.exe", "C:\\dir\\.exe", "C:\\a.exe\\"],
  );
  assertMatches('"C:\\Windows".*', ["C:\\Windows", "C:\\Windows\\System32\\x.dll"], ["c:\\windows"]);
  assertMatches('"C:\\Windows".*', ["c:\\windows\\x"], [], true);
  assertMatches(
    "[0-9]{1,3}\\.[0-9]{1,3}\\.[0-9]{1,3}\\.[0-9]{1,3}",
    ["10.0.0.1", "255.255.255.255"],
    ["10.0.0", "1000.0.0.1", "10.0.0.1 ", "a.b.c.d"],
  );
});

test("luceneRegexIsLiteral returns the matched text for metacharacter-free patterns", () => {
  assert.equal(luceneRegexIsLiteral("cmd.exe"), null);
  assert.equal(luceneRegexIsLiteral("cmd\\.exe"), "cmd.exe");
  assert.equal(luceneRegexIsLiteral("powershell"), "powershell");
  assert.equal(luceneRegexIsLiteral('"C:\\Windows\\cmd.exe"'), "C:\\Windows\\cmd.exe");
  assert.equal(luceneRegexIsLiteral("a^b$"), "a^b$");
  assert.equal(luceneRegexIsLiteral("a(bc)"), "abc");
  assert.equal(luceneRegexIsLiteral(""), "");
  assert.equal(luceneRegexIsLiteral("\\d"), null);
  assert.equal(luceneRegexIsLiteral("a|b"), null);
  assert.equal(luceneRegexIsLiteral("a*"), null);
  assert.equal(luceneRegexIsLiteral("[a]"), null);
  assert.equal(luceneRegexIsLiteral("@"), null);
  assert.equal(luceneRegexIsLiteral("(abc"), null);
});

test("property: literal patterns match exactly their literal text", () => {
  fc.assert(
    fc.property(
      fc.string({ unit: fc.constantFrom("a", "\\", "^", "$", "/", "]", "}", "-"), maxLength: 8 }),
      (text) => {
        const pattern = '"' + text + '"';
        assert.equal(luceneRegexIsLiteral(pattern), text);
        assert.equal(matches(pattern, text), true);
        assert.equal(matches(pattern, text + "a"), false);
      },
    ),
  );
});

test(`quantifiers stacked on quantifiers count toward a depth of ${MAX_REGEX_DEPTH}; deeper is a syntax error, not a stack overflow`, () => {
  assertMatches(`a${"*".repeat(MAX_REGEX_DEPTH - 1)}`, ["", "aaa"], ["b"]);
  assertRejected(`a${"*".repeat(MAX_REGEX_DEPTH)}`, 1, /nest more than 1000 deep/);
  assertRejected(`a${"?".repeat(10_000)}`, 1, /nest more than 1000 deep/);
  // stacks at every level of groups add up: 100 groups, each with 12 quantifiers on it
  const stacked = `${"(".repeat(100)}a${`)${"*".repeat(12)}`.repeat(100)}`;
  assert.throws(() => translateLuceneRegex(stacked, { caseInsensitive: false }), /nest more than 1000 deep/);
});

test(`groups and complements nest ${MAX_REGEX_NESTING} deep at most; deeper is a syntax error, not a stack overflow`, () => {
  const groups = (n: number) => `${"(".repeat(n)}a${")".repeat(n)}`;
  assertMatches(groups(MAX_REGEX_NESTING), ["a"], ["b"]);
  assertMatches(`${"~".repeat(MAX_REGEX_NESTING - 1)}a`, ["b"], ["a"]);
  assertRejected(groups(MAX_REGEX_NESTING + 1), MAX_REGEX_NESTING, /nest more than 250 deep/);
  assertRejected(groups(100_000), MAX_REGEX_NESTING, /nest more than 250 deep/);
  assertRejected(`${"~".repeat(100_000)}a`, MAX_REGEX_NESTING, /nest more than 250 deep/);
  // the message quotes a long pattern by its two ends
  assert.throws(
    () => translateLuceneRegex(groups(100_000), { caseInsensitive: false }),
    (e: Error) => e.message.length < 400,
  );
});
