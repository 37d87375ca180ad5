/**
 * A wildcard pattern once read, whatever it was written in (an EQL string, whose `\` is a
 * plain character: wildcard.ts; a Lucene `wildcard` query, whose `\` escapes:
 * wildcard-query.ts; an index pattern, with no `?`: simple-match.ts), and the one matcher
 * for it. `*` is any run of code points, `?` exactly one, and the whole value must match.
 *
 * Patterns are compiled once per rule and run once per event, so compilation picks the
 * cheapest matcher for the patterns' shape. The common rule shapes, a few patterns whose only
 * wildcard is `*`, each get a string method or two, which allocate nothing and read the value
 * in native code (only a script's multi-line value is cut into its lines). Anything else, a
 * `?` or a long list, is one automaton for all the patterns (wildcard-automaton.ts), which
 * reads the value once: a rule's patterns, like its values, come from outside, and a pattern
 * of 1,000 `?` or a list of 5,000 patterns must not cost 1,000 or 5,000 reads of a
 * multi-megabyte value per event.
 */

import { foldAscii, foldAsciiCode } from "./case-fold.ts";
import { LazyDfa } from "./lazy-dfa.ts";
import { compileWildcardAutomaton } from "./wildcard-automaton.ts";
import { EXACT, ONE, STAR, type WildcardToken } from "./wildcard-token.ts";

export type WildcardMatcher = (value: string) => boolean;

export interface WildcardOptions {
  /** Fold the value's ASCII letters (and nothing else) before comparing with the literals. */
  caseInsensitive: boolean;
  /**
   * `*` and `?` stop at line terminators. A script runs `:` and `like` as a java.util.regex
   * pattern without DOTALL, where they are `.*` and `.`, and `.` matches anything but `\n`,
   * `\r`, U+0085, U+2028 and U+2029; on a field they are a wildcard query's automaton,
   * which takes every character.
   */
  withinLines?: boolean;
}

export function compileWildcardPattern(
  tokens: readonly WildcardToken[],
  options: WildcardOptions,
): WildcardMatcher {
  return compileWildcardPatterns([tokens], options);
}

/**
 * Up to this many patterns are tried one after the other, each with its string methods or its
 * loop, on short values: on the values of nearly every event that is as fast as the
 * automaton's table or faster. Patterns whose only wildcard is `*` read any value so, in
 * native code and in time linear in the value; a `?` costs up to pattern × value, so a value
 * longer than SHORT_VALUE goes to the automaton.
 */
export const MAX_PATTERNS_TRIED_APART = 8;
const SHORT_VALUE = 256;

/**
 * Whether a value matches any of the patterns. The automaton's states are cached as it meets
 * them; a value that keeps meeting new ones (a crafted `*a??????????????????b`, whose
 * deterministic automaton has 2^19 states) is decided pattern by pattern instead when they are
 * few, each in O(pattern × value), by simple loops that do that faster than the automaton's own
 * states; a longer list, on those states.
 */
export function compileWildcardPatterns(
  patterns: readonly (readonly WildcardToken[])[],
  options: WildcardOptions,
): WildcardMatcher {
  // Elasticsearch rewrites a pattern of stars alone to "the value exists", in a script too,
  // so there it matches every value, line terminators and all.
  if (patterns.some(isAllStars)) return () => true;
  if (patterns.length === 0) return () => false;
  // Literal text is compared unit by unit, so a lone surrogate in a pattern matches half of a
  // pair in the value; the automaton, which reads a pair as one code point, cannot say that.
  if (patterns.some(hasLoneSurrogate)) {
    const rest = patterns.filter((tokens) => !hasLoneSurrogate(tokens));
    const others = rest.length > 0 ? compileWildcardPatterns(rest, options) : () => false;
    const loners = anyOf(patterns.filter(hasLoneSurrogate).map((tokens) => compileApart(tokens, options)));
    return (value) => others(value) || loners(value);
  }
  // Built at the first value that needs it: a scan compiles the predicates of every rule its
  // events reach, and most lists never meet a long value.
  let automaton: LazyDfa | undefined;
  const dfa = () => (automaton ??= new LazyDfa(compileWildcardAutomaton(patterns, options)));
  if (patterns.length <= MAX_PATTERNS_TRIED_APART) {
    const apart = anyOf(patterns.map((tokens) => compileApart(tokens, options)));
    if (patterns.every(isStarsOnly)) return apart;
    return (value) =>
      value.length <= SHORT_VALUE ? apart(value) : (dfa().tryMatches(value) ?? apart(value));
  }
  // A list's patterns one by one would read the value once each: the automaton's states are
  // stepped instead, O(the states in play) per character (a value that names many of a long
  // list's patterns, each nearly, meets a new state at nearly every character).
  return (value) => dfa().matches(value);
}

/** One pattern on its own. */
function compileApart(tokens: readonly WildcardToken[], options: WildcardOptions): WildcardMatcher {
  const { caseInsensitive, withinLines } = options;
  return withinLines
    ? compileWithinLines(tokens, caseInsensitive)
    : compileAcrossLines(tokens, caseInsensitive);
}

const isAllStars = (tokens: readonly WildcardToken[]) => tokens.length > 0 && tokens.every((t) => t === STAR);

/** Whether the literal text holds a surrogate that is not half of a pair in it. */
function hasLoneSurrogate(tokens: readonly WildcardToken[]): boolean {
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i];
    if (t >= 0xd800 && t <= 0xdbff) {
      const next = tokens[i + 1];
      if (next === undefined || next < 0xdc00 || next > 0xdfff) return true;
      i++;
    } else if (t >= 0xdc00 && t <= 0xdfff) return true;
  }
  return false;
}

const isStarsOnly = (tokens: readonly WildcardToken[]) => tokens.every((t) => t !== ONE && t < EXACT);

function anyOf(tests: WildcardMatcher[]): WildcardMatcher {
  if (tests.length === 1) return tests[0];
  return (v) => {
    for (const t of tests) if (t(v)) return true;
    return false;
  };
}

function compileAcrossLines(tokens: readonly WildcardToken[], caseInsensitive: boolean): WildcardMatcher {
  if (!isStarsOnly(tokens)) return (value) => tokensMatch(tokens, value, caseInsensitive);
  const matches = compileStarsOnly(splitAtStars(tokens));
  return caseInsensitive ? (value) => matches(foldAscii(value)) : matches;
}

/** The literal text between stars: `a*b*` → `["a", "b", ""]`. */
function splitAtStars(tokens: readonly WildcardToken[]): string[] {
  const segments = [""];
  for (const t of tokens) {
    if (t === STAR) segments.push("");
    else segments[segments.length - 1] += String.fromCharCode(t);
  }
  return segments;
}

/** Patterns whose only wildcard is `*`: the common rule shapes get a single string method. */
function compileStarsOnly(segments: readonly string[]): WildcardMatcher {
  const head = segments[0];
  if (segments.length === 1) return (value) => value === head;
  const tail = segments[segments.length - 1];
  const middle = segments.slice(1, -1).filter((segment) => segment.length > 0);
  if (head === "" && tail === "" && middle.length === 0) return () => true;
  if (middle.length === 0) {
    if (tail === "") return (value) => value.startsWith(head);
    if (head === "") return (value) => value.endsWith(tail);
    const minLength = head.length + tail.length;
    return (value) => value.length >= minLength && value.startsWith(head) && value.endsWith(tail);
  }
  if (head === "" && tail === "" && middle.length === 1) {
    const needle = middle[0];
    return (value) => value.includes(needle);
  }
  return (value) => segmentsMatch(head, middle, tail, value);
}

/**
 * `head*m1*m2*...*tail`: placing each middle segment at its leftmost possible
 * position is optimal, because every later segment only needs room to its
 * right; so one indexOf per segment decides the match.
 */
function segmentsMatch(head: string, middle: readonly string[], tail: string, value: string): boolean {
  const end = value.length - tail.length;
  if (end < head.length || !value.startsWith(head) || !value.endsWith(tail)) return false;
  let from = head.length;
  for (const segment of middle) {
    const at = value.indexOf(segment, from);
    if (at < 0 || at + segment.length > end) return false;
    from = at + segment.length;
  }
  return true;
}

/**
 * Walks pattern and value together and, on a mismatch, lets the last star swallow one more
 * code point: earlier stars never need to (the last one can take whatever they would have),
 * so this is O(pattern × value), never exponential.
 */
function tokensMatch(tokens: readonly WildcardToken[], value: string, caseInsensitive: boolean): boolean {
  let p = 0;
  let v = 0;
  let starAt = -1;
  let resume = 0;
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
        v += codePointWidth(value, v);
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
    // Swallow a whole code point so `?` never lands on half a surrogate pair.
    resume += codePointWidth(value, resume);
    v = resume;
  }
  while (p < tokens.length && tokens[p] === STAR) p++;
  return p === tokens.length;
}

/** `?` matches one code point, as Lucene's automaton and Java's `.` do, not one UTF-16 unit. */
function codePointWidth(value: string, index: number): number {
  const unit = value.charCodeAt(index);
  if (unit < 0xd800 || unit > 0xdbff || index + 1 >= value.length) return 1;
  const next = value.charCodeAt(index + 1);
  return next >= 0xdc00 && next <= 0xdfff ? 2 : 1;
}

/**
 * A pattern, in a script. As neither `*` nor `?` takes a line terminator, only a
 * literal one in the pattern can match one in the value, so the n-th of each pair up: the
 * value matches when it has the pattern's line terminators, in order, and each line matches
 * the pattern's line, whose wildcards then have no terminator to cross. `\r\n` is two
 * terminators, as `.` sees it. (The automaton leaves line terminators out of `*` and `?`.)
 */
function compileWithinLines(tokens: readonly WildcardToken[], caseInsensitive: boolean): WildcardMatcher {
  const whole = compileAcrossLines(tokens, caseInsensitive);
  const breaks: number[] = [];
  const lines: WildcardMatcher[] = [];
  let start = 0;
  tokens.forEach((t, i) => {
    if (!isLineTerminator(t)) return;
    breaks.push(t);
    lines.push(compileAcrossLines(tokens.slice(start, i), caseInsensitive));
    start = i + 1;
  });
  lines.push(compileAcrossLines(tokens.slice(start), caseInsensitive));
  return (value) => {
    let at = nextLineTerminator(value, 0);
    // Nearly every value is one line, where the wildcards cannot meet a terminator.
    if (at < 0) return whole(value);
    let from = 0;
    for (let i = 0; i < breaks.length; i++) {
      if (at < 0 || value.charCodeAt(at) !== breaks[i] || !lines[i](value.slice(from, at))) return false;
      from = at + 1;
      at = nextLineTerminator(value, from);
    }
    return at < 0 && lines[breaks.length](value.slice(from));
  };
}

const isLineTerminator = (c: number) =>
  c === 0x0a || c === 0x0d || c === 0x85 || c === 0x2028 || c === 0x2029;

function nextLineTerminator(value: string, from: number): number {
  for (let i = from; i < value.length; i++) if (isLineTerminator(value.charCodeAt(i))) return i;
  return -1;
}
