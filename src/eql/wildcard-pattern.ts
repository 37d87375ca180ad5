/**
 * A wildcard pattern once read, whatever it was written in (an EQL string, whose `\` is a
 * plain character: wildcard.ts; a Lucene `wildcard` query, whose `\` escapes:
 * wildcard-query.ts; an index pattern, with no `?`: simple-match.ts), and the one matcher
 * for it. `*` is any run of code points, `?` exactly one, and the whole value must match.
 *
 * Patterns are compiled once per rule and run once per event, so compilation picks the
 * cheapest matcher for the pattern's shape and the matchers avoid allocating (no RegExp, no
 * splitting) on the hot path; only a script's multi-line value is cut into its lines. None of them backtracks more than O(pattern × value), so a
 * hostile multi-megabyte value costs time in proportion, never exponentially.
 */

import { foldAscii, foldAsciiCode } from "./case-fold.ts";

export type WildcardMatcher = (value: string) => boolean;

/**
 * The pattern as a list: a UTF-16 unit of literal text, or STAR, or ONE. When the pattern
 * ignores case, its literal ASCII letters are already folded, and a letter that must match
 * as it is carries EXACT.
 */
export type WildcardToken = number;
export const STAR = -1;
export const ONE = -2;
export const EXACT = 0x10000;

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
  const { caseInsensitive } = options;
  // Elasticsearch rewrites a pattern of stars alone to "the value exists", in a script too,
  // so there it matches every value, line terminators and all.
  if (options.withinLines && !isAllStars(tokens)) return compileWithinLines(tokens, caseInsensitive);
  return compileAcrossLines(tokens, caseInsensitive);
}

const isAllStars = (tokens: readonly WildcardToken[]) => tokens.length > 0 && tokens.every((t) => t === STAR);

function compileAcrossLines(tokens: readonly WildcardToken[], caseInsensitive: boolean): WildcardMatcher {
  if (tokens.some((t) => t === ONE || t >= EXACT))
    return (value) => tokensMatch(tokens, value, caseInsensitive);
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
 * As neither `*` nor `?` takes a line terminator, only a literal one in the pattern can
 * match one in the value, so the n-th of each pair up: the value matches when it has the
 * pattern's line terminators, in order, and each line matches the pattern's line, whose
 * wildcards then have no terminator to cross. `\r\n` is two terminators, as `.` sees it.
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
