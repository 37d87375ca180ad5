import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { foldAscii, foldAsciiCode } from "../../src/eql/case-fold.ts";
import { LazyDfa } from "../../src/eql/lazy-dfa.ts";
import { compileWildcards } from "../../src/eql/wildcard.ts";
import { compileWildcardAutomaton } from "../../src/eql/wildcard-automaton.ts";
import { compileWildcardQuery } from "../../src/eql/wildcard-query.ts";
import { EXACT, ONE, STAR, type WildcardToken } from "../../src/eql/wildcard-token.ts";

/** An EQL pattern's tokens, folded when it ignores case (as wildcard.ts reads it). */
function tokensOf(pattern: string, caseInsensitive: boolean): WildcardToken[] {
  const text = caseInsensitive ? foldAscii(pattern) : pattern;
  const tokens: WildcardToken[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    tokens.push(c === 0x2a ? STAR : c === 0x3f ? ONE : c);
  }
  return tokens;
}

function automaton(patterns: string[], caseInsensitive = false, withinLines = false): LazyDfa {
  const tokens = patterns.map((p) => tokensOf(p, caseInsensitive));
  return new LazyDfa(compileWildcardAutomaton(tokens, { caseInsensitive, withinLines }));
}

/**
 * The simple matcher each pattern had before the automaton (and still has on short values and
 * as the fallback): pattern and value walked together, the last star swallowing one more code
 * point on a mismatch.
 */
function simpleMatch(tokens: readonly WildcardToken[], value: string, caseInsensitive: boolean): boolean {
  let p = 0;
  let v = 0;
  let starAt = -1;
  let resume = 0;
  const width = (i: number) => {
    const unit = value.charCodeAt(i);
    if (unit < 0xd800 || unit > 0xdbff || i + 1 >= value.length) return 1;
    const next = value.charCodeAt(i + 1);
    return next >= 0xdc00 && next <= 0xdfff ? 2 : 1;
  };
  while (v < value.length) {
    if (p < tokens.length) {
      const t = tokens[p];
      if (t === STAR) {
        starAt = p++;
        resume = v;
        continue;
      }
      if (t === ONE) {
        p++;
        v += width(v);
        continue;
      }
      const c = value.charCodeAt(v);
      if (t >= EXACT ? t - EXACT === c : t === (caseInsensitive ? foldAsciiCode(c) : c)) {
        p++;
        v++;
        continue;
      }
    }
    if (starAt < 0) return false;
    p = starAt + 1;
    resume += width(resume);
    v = resume;
  }
  while (p < tokens.length && tokens[p] === STAR) p++;
  return p === tokens.length;
}

// Letters of both cases, non-ASCII, `\`, whole surrogate pairs, and in values lone surrogates too.
const patternUnit = fc.constantFrom("*", "?", "a", "A", "b", "é", "É", "\\", "😀", "\u212a");
const valueUnit = fc.constantFrom(
  "a",
  "A",
  "b",
  "é",
  "É",
  "\\",
  "😀",
  "\u212a",
  "\ud83d",
  "\ude00",
  "*",
  "?",
);

test("property: the automaton of a list agrees with the simple matcher on every pattern of it", () => {
  fc.assert(
    fc.property(
      fc.array(fc.string({ unit: patternUnit, maxLength: 8 }), { minLength: 1, maxLength: 4 }),
      fc.string({ unit: valueUnit, maxLength: 12 }),
      fc.boolean(),
      (patterns, value, caseInsensitive) => {
        const expected = patterns.some((p) =>
          simpleMatch(tokensOf(p, caseInsensitive), value, caseInsensitive),
        );
        assert.equal(automaton(patterns, caseInsensitive).matches(value), expected);
      },
    ),
    { numRuns: 5000 },
  );
});

test("property: dense patterns of two letters agree with the simple matcher", () => {
  fc.assert(
    fc.property(
      fc.string({ unit: fc.constantFrom("*", "?", "a", "b"), maxLength: 10 }),
      fc.string({ unit: fc.constantFrom("a", "b"), maxLength: 14 }),
      (pattern, value) => {
        assert.equal(
          automaton([pattern]).matches(value),
          simpleMatch(tokensOf(pattern, false), value, false),
        );
      },
    ),
    { numRuns: 5000 },
  );
});

test("property: within lines, * and ? take no line terminator, as a script's regex has it", () => {
  const terminators = ["\n", "\r", "\u0085", "\u2028", "\u2029"];
  const dot = "[^\\n\\r\\u0085\\u2028\\u2029]";
  const oracle = (pattern: string, value: string) => {
    let source = "";
    for (const char of pattern) source += char === "*" ? `${dot}*` : char === "?" ? dot : char;
    return new RegExp(`^${source}$`, "u").test(value);
  };
  fc.assert(
    fc.property(
      fc.string({ unit: fc.constantFrom("*", "?", "a", "😀", ...terminators), minLength: 1, maxLength: 8 }),
      fc.string({ unit: fc.constantFrom("a", "😀", ...terminators), maxLength: 10 }),
      (pattern, value) => {
        fc.pre(!/^\*+$/.test(pattern)); // stars alone match everything (wildcard-pattern.ts)
        assert.equal(automaton([pattern], false, true).matches(value), oracle(pattern, value));
      },
    ),
    { numRuns: 3000 },
  );
});

test("property: a rule's list, short and long values, agrees with the simple matcher", () => {
  fc.assert(
    fc.property(
      fc.array(fc.string({ unit: patternUnit, maxLength: 6 }), { minLength: 1, maxLength: 12 }),
      fc.string({ unit: valueUnit, maxLength: 8 }),
      fc.nat(400),
      fc.boolean(),
      (patterns, tail, padding, caseInsensitive) => {
        // long enough, sometimes, for the automaton even where a few patterns go one by one
        const value = "ab".repeat(padding) + tail;
        const expected = patterns.some((p) =>
          simpleMatch(tokensOf(p, caseInsensitive), value, caseInsensitive),
        );
        assert.equal(compileWildcards(patterns, caseInsensitive)(value), expected);
      },
    ),
    { numRuns: 2000 },
  );
});

test("a letter a wildcard query escapes matches as it is, the others in either case", () => {
  const matches = (pattern: string, value: string) => compileWildcardQuery(pattern, true)(value);
  // a `?` makes it the automaton
  assert.equal(matches("?\\W*", "xW"), true);
  assert.equal(matches("?\\W*", "xw"), false);
  assert.equal(matches("?W*", "xw"), true);
});

test("a list's patterns share one automaton, and its leading * is one state", () => {
  const patterns = Array.from({ length: 1000 }, (_, i) => `*word${i}x*`);
  const nfa = compileWildcardAutomaton(
    patterns.map((p) => tokensOf(p, false)),
    { caseInsensitive: false },
  );
  // the accepting state, the root, one `*`, the shared "word", then per pattern its digits, x and `*`
  assert.ok(nfa.epsilon.length < 1 + 1 + 1 + 4 + 1000 * 6, `${nfa.epsilon.length} states`);
  const dfa = new LazyDfa(nfa);
  const value = "x".repeat(100_000) + "word999x";
  assert.equal(dfa.matches(value), true);
  assert.equal(dfa.matches(value.slice(0, -1)), false);
  // one pass over the value: a handful of states, not one per pattern and position
  const { computed, simulated, flushes } = dfa.stats();
  assert.equal(flushes, 0);
  assert.equal(simulated, 0);
  assert.ok(computed < 100, `computed ${computed} transitions`);
});

test("a pattern of many ? and * decides a long value in a bounded number of steps", () => {
  let seed = 7;
  const random = () => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed / 2147483648;
  };
  const pattern = Array.from({ length: 1000 }, () => (random() < 0.5 ? "?" : "*")).join("") + "b";
  const dfa = automaton(["*" + "?".repeat(1000) + "b", pattern]);
  const value = "a".repeat(1_000_000);
  assert.equal(dfa.matches(value), false);
  assert.equal(dfa.matches(value + "b"), true);
  const { computed, simulated, flushes } = dfa.stats();
  assert.equal(flushes, 0);
  assert.equal(simulated, 0);
  // `*?*?…` is `??…*`: a chain of `?`, so at most one new state per `?`
  assert.ok(computed <= 2 * 1000 + 10, `computed ${computed} transitions`);
});

test("a pattern's later * drops the states of its pattern before it", () => {
  const pattern = Array.from({ length: 300 }, (_, i) => `${"abc"[i % 3]}?*`).join("") + "z";
  const dfa = automaton([pattern]);
  const value = "abc".repeat(10_000);
  assert.equal(dfa.matches(value), false);
  assert.equal(dfa.matches(value + "z"), true);
  const { cachedStates, flushes } = dfa.stats();
  assert.equal(flushes, 0);
  // one state per pattern position reached, each a set of a few NFA states
  assert.ok(cachedStates < 4 * 300, `cached ${cachedStates}`);
});

test("a value that fills the cache without progress is left to the caller", () => {
  // 2^21 deterministic states: each position remembers where the last 21 `a`s were
  const dfa = automaton(["*a" + "?".repeat(20) + "c*"]);
  let seed = 12345;
  let value = "";
  for (let i = 0; i < 50_000; i++) {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    value += seed & 0x10000 ? "a" : "b";
  }
  assert.equal(dfa.tryMatches(value), undefined);
  assert.equal(dfa.matches(value), false);
  assert.ok(dfa.stats().cachedStates <= 4096);
  assert.equal(
    dfa.tryMatches("xa" + "b".repeat(20) + "c"),
    true,
    "and a short value still runs on the cache",
  );
});

test("a pattern with a lone surrogate matches as it did one by one, in a long list and on a long value", () => {
  // Literal text is compared unit by unit, so a lone high surrogate matches the first half of a
  // pair; the automaton reads the pair as one code point, which such a pattern could never match.
  const others = Array.from({ length: 8 }, (_, i) => `x${i}*`);
  assert.equal(compileWildcards(["\ud83d*"], false)("😀"), true);
  assert.equal(compileWildcards(["\ud83d*", ...others], false)("😀"), true);
  assert.equal(compileWildcards(["*\ude00", ...others], false)("a😀"), true);
  const pattern = "\ud83d?*";
  for (const value of ["😀", `😀${"b".repeat(300)}`]) {
    assert.equal(compileWildcards([pattern], false)(value), true, `${value.length} units`);
    assert.equal(compileWildcards([pattern, ...others], true)(value), true, `${value.length} units`);
    assert.equal(compileWildcards([pattern], false, { withinLines: true })(value), true);
  }
});

test("a long list decides a value that fills the automaton's cache without reading it once per pattern", () => {
  // A value naming many of a list's patterns, each nearly, meets a new state at nearly every
  // character, more than the cache holds: it is decided on the automaton's states one by one
  // then, not by the list's 5,000 patterns each reading the whole value.
  const patterns = Array.from({ length: 5000 }, (_, i) => `*evil-${i.toString(36)}.example.com*`);
  const matches = compileWildcards(patterns, false);
  let value = "";
  for (let i = 0; value.length < 50_000; i++) value += `evil-${i.toString(36)}.example.co_`;
  const includes = String.prototype.includes;
  let reads = 0;
  String.prototype.includes = function (this: string, ...args: Parameters<typeof includes>) {
    if (this === value || this === `${value}evil-zz.example.com`) reads++;
    return includes.apply(this, args);
  };
  try {
    assert.equal(matches(value), false);
    assert.equal(matches(`${value}evil-zz.example.com`), true);
  } finally {
    String.prototype.includes = includes;
  }
  assert.equal(reads, 0, "the value read once per pattern");
});
