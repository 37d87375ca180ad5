import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { LazyDfa } from "../../src/eql/lazy-dfa.ts";
import { LuceneRegexError, translateLuceneRegex } from "../../src/eql/lucene-regex.ts";
import { compileRegexAutomaton, MAX_AUTOMATON_STATES } from "../../src/eql/regex-automaton.ts";

function automaton(pattern: string, caseInsensitive = false): LazyDfa {
  return new LazyDfa(compileRegexAutomaton(pattern, { caseInsensitive }));
}

function assertRefused(pattern: string, offset: number, reason: RegExp): void {
  assert.throws(
    () => compileRegexAutomaton(pattern, { caseInsensitive: false }),
    (error: unknown) => {
      assert.ok(error instanceof LuceneRegexError, `expected LuceneRegexError for ${pattern}`);
      assert.equal(error.offset, offset, `offset for ${pattern}: ${error.reason}`);
      assert.match(error.reason, reason);
      return true;
    },
  );
}

// Patterns from the grammar lucene-regex.ts accepts, built as text so that the parser is exercised too.
const ATOMS = [
  ...["a", "b", "A", "é", "😀", "$", "-", "\\.", "\\a", "\\😀", "\\d", "\\D", "\\w", "\\W", "\\s", "\\S"],
  ...[".", "@", "#", "()", '"aB"', '""', "[a-c]", "[^a]", "[aB-]", "[😀-😂]", "[^😀]", "[\\w-]", "[^\\S]"],
  ...["<1-12>", "<01-10>", "<0-0>", "*", "+"],
];
const QUANTIFIERS = ["?", "*", "+", "{2}", "{0,2}", "{1,}", "{0}", "{3,1}", "??", "*+"];

const { pattern: patternArbitrary } = fc.letrec<{ pattern: string }>((tie) => ({
  pattern: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    { arbitrary: fc.constantFrom(...ATOMS), weight: 6 },
    { arbitrary: fc.tuple(tie("pattern"), tie("pattern")).map(([a, b]) => a + b), weight: 4 },
    { arbitrary: fc.tuple(tie("pattern"), tie("pattern")).map(([a, b]) => `(${a}|${b})`), weight: 2 },
    {
      arbitrary: fc.tuple(tie("pattern"), fc.constantFrom(...QUANTIFIERS)).map(([a, q]) => `(${a})${q}`),
      weight: 3,
    },
    { arbitrary: tie("pattern").map((a) => `~(${a})`), weight: 1 },
    { arbitrary: fc.tuple(tie("pattern"), tie("pattern")).map(([a, b]) => `${a}&${b}`), weight: 1 },
  ),
}));

const VALUE_UNITS = [
  "a",
  "b",
  "A",
  "B",
  "é",
  "É",
  "1",
  "0",
  "-",
  "$",
  ".",
  " ",
  "\n",
  "😀",
  "😁",
  "\ud83d",
  "\ude00",
];
const valueArbitrary = fc.string({ unit: fc.constantFrom(...VALUE_UNITS), maxLength: 8 });

test("property: the automaton and the translated RegExp agree on random patterns and values", () => {
  const outcomes = { matched: 0, unmatched: 0, refused: 0 };
  fc.assert(
    fc.property(
      patternArbitrary,
      fc.boolean(),
      fc.array(valueArbitrary, { minLength: 1, maxLength: 12 }),
      (pattern, caseInsensitive, values) => {
        let re: RegExp;
        try {
          re = translateLuceneRegex(pattern, { caseInsensitive });
        } catch (error) {
          if (!(error instanceof LuceneRegexError)) throw error;
          outcomes.refused++;
          return; // a pattern the RegExp path refuses never reaches the automaton
        }
        const dfa = automaton(pattern, caseInsensitive);
        for (const value of ["", ...values]) {
          const expected = re.test(value);
          assert.equal(
            dfa.matches(value),
            expected,
            `${pattern} ~${caseInsensitive} ${JSON.stringify(value)}`,
          );
          outcomes[expected ? "matched" : "unmatched"]++;
        }
      },
    ),
    { seed: 20240611, numRuns: 3000 },
  );
  // The property says something only if both answers and refusals all occur often.
  assert.ok(outcomes.matched > 2000, JSON.stringify(outcomes));
  assert.ok(outcomes.unmatched > 2000, JSON.stringify(outcomes));
  assert.ok(outcomes.refused < 600, JSON.stringify(outcomes));
});

test("whole-value matching of each construct, on unicode and malformed UTF-16", () => {
  const cases: [pattern: string, yes: string[], no: string[], caseInsensitive?: boolean][] = [
    ["", [""], ["a"]],
    ["a.c", ["abc", "a😀c", "a\nc"], ["ac", "a\ud83dc", "abbc"]],
    [".*", ["", "\ud83d", "a😀"], []],
    [".+", ["a", "😀"], ["", "\ud83d"]],
    ["@", ["", "\ude00x"], []],
    ["#|a", ["a"], ["", "#"]],
    ["[^a-c]", ["d", "😀", "\n"], ["a", "", "\ude00"]],
    ["[😀-😂]+", ["😀😂"], ["😃", "\ud83d"]],
    ["<8-12>", ["8", "012", "10"], ["7", "13", ""]],
    ["<08-12>", ["08", "12"], ["8", "012"]],
    ["a{2,3}", ["aa", "aaa"], ["a", "aaaa"]],
    ["(ab){2,}", ["abab", "ababab"], ["ab", "aba"]],
    ["a{3,1}", [], ["", "a", "aaa"]],
    ["(){2147483647}b", ["b"], ["", "bb"]],
    ["~(a.*)", ["", "b", "ba"], ["a", "ab"]],
    ["x~(y)", ["x", "xyy", "xz"], ["xy", "y"]],
    ["a.*&.*b&~(.*c.*)", ["ab", "axb"], ["acb", "ba"]],
    ["é[a-b]~(C)", ["éA", "éaD"], ["ÉA", "éac", "éaC"], true],
    ['"C:\\Windows".*', ["c:\\windows\\x", "C:\\WINDOWS"], ["c:/windows"], true],
  ];
  for (const [pattern, yes, no, caseInsensitive = false] of cases) {
    const dfa = automaton(pattern, caseInsensitive);
    for (const value of yes)
      assert.equal(dfa.matches(value), true, `${pattern} should match ${JSON.stringify(value)}`);
    for (const value of no)
      assert.equal(dfa.matches(value), false, `${pattern} should not match ${JSON.stringify(value)}`);
  }
});

test("counted repetition is expanded within a bound: huge or nested counts are refused at their quantifier", () => {
  assertRefused("a{100000}", 1, /too complex: its automaton would need more than 50000 states/);
  assertRefused("x(a{1000}){1000}", 10, /too complex/); // the outer count

  assertRefused("b|(a{0,2147483647})", 4, /too complex/);
  assertRefused("(.{1,1000}){1000}", 11, /too complex/);
  assert.ok(MAX_AUTOMATON_STATES >= 50_000);
  // What real rules use stays far inside the bound.
  assert.equal(automaton("[0-9]{1,3}(\\.[0-9]{1,3}){3}").matches("10.0.0.1"), true);
  assert.equal(automaton("a{10000}").matches("a".repeat(10000)), true);
});

test("~ and & whose deterministic automaton explodes are refused at the operator", () => {
  assertRefused("~((a|b)*a(a|b){14})", 0, /too complex: the operator would need more than 10000/);
  assertRefused("x&(a|b)*a(a|b){14}", 1, /too complex/);
});

test("the cache of DFA states stays bounded on a value that keeps meeting new states", () => {
  // The DFA of this pattern has 2^21 states: each position remembers the last 21 letters.
  const dfa = automaton("(a|b)*a(a|b){20}");
  let seed = 12345;
  let value = "";
  for (let i = 0; i < 50_000; i++) {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    value += seed & 0x10000 ? "a" : "b";
  }
  assert.equal(dfa.matches(value), value[value.length - 21] === "a");
  assert.equal(dfa.matches(value.slice(0, -1)), value[value.length - 22] === "a");
  const { cachedStates, flushes } = dfa.stats();
  assert.ok(cachedStates <= 4096, `cached ${cachedStates}`);
  assert.ok(flushes > 0, "the cache was emptied and refilled");
  assert.equal(dfa.matches("ba" + "b".repeat(20)), true, "and the cache still works after");
});
