/**
 * EQL wildcard patterns, as used by `:`, `like` and `like~`.
 *
 * `*` is any run of characters (empty, newlines, `/` and `\` included), `?` is
 * exactly one character, and the whole value must match. EQL has no escape
 * character: a `\` in the pattern is a literal backslash, which is why generic
 * glob libraries (path separators, `{a,b}`, `[ab]`, `\` escapes) get rule
 * patterns such as `*\temp\*.exe` wrong.
 *
 * Patterns are compiled once per rule and run once per event, so compilation
 * picks the cheapest matcher for the pattern's shape and the matchers avoid
 * allocating (no RegExp, no splitting) on the hot path.
 */

import { foldAscii } from "./case-fold.ts";

export type WildcardMatcher = (value: string) => boolean;

const STAR = 0x2a; // *
const QUESTION = 0x3f; // ?

export function hasWildcard(pattern: string): boolean {
  return pattern.includes("*") || pattern.includes("?");
}

/**
 * `caseInsensitive` folds ASCII letters only, as Elasticsearch's case-insensitive wildcard
 * queries and script patterns do (see case-fold.ts).
 */
export function compileWildcard(pattern: string, caseInsensitive: boolean): WildcardMatcher {
  if (!caseInsensitive) return compileCaseSensitive(pattern);
  const folded = compileCaseSensitive(foldAscii(pattern));
  return (value) => folded(foldAscii(value));
}

function compileCaseSensitive(pattern: string): WildcardMatcher {
  if (!hasWildcard(pattern)) return (value) => value === pattern;
  if (!pattern.includes("?")) return compileStarsOnly(pattern);
  return (value) => globMatch(pattern, value);
}

/** Patterns whose only wildcard is `*`: the common rule shapes get a single string method. */
function compileStarsOnly(pattern: string): WildcardMatcher {
  const segments = pattern.split("*");
  const head = segments[0];
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
 * General glob: walk pattern and value together; on a mismatch, go back to the
 * last `*` and let it swallow one more character. Only the last star matters
 * (earlier stars can never need to swallow more), so this is O(pattern × value)
 * in the worst case, never exponential.
 */
function globMatch(pattern: string, value: string): boolean {
  let p = 0;
  let v = 0;
  let starAt = -1;
  let starResume = 0;
  while (v < value.length) {
    if (p < pattern.length) {
      const pc = pattern.charCodeAt(p);
      if (pc === STAR) {
        starAt = p++;
        starResume = v;
        continue;
      }
      if (pc === QUESTION) {
        p++;
        v += codePointWidth(value, v);
        continue;
      }
      if (pc === value.charCodeAt(v)) {
        p++;
        v++;
        continue;
      }
    }
    if (starAt < 0) return false;
    p = starAt + 1;
    // Swallow a whole code point so `?` never lands on half a surrogate pair.
    starResume += codePointWidth(value, starResume);
    v = starResume;
  }
  while (p < pattern.length && pattern.charCodeAt(p) === STAR) p++;
  return p === pattern.length;
}

/** `?` matches one code point, as Lucene's wildcard automaton does, not one UTF-16 unit. */
function codePointWidth(value: string, index: number): number {
  const unit = value.charCodeAt(index);
  if (unit < 0xd800 || unit > 0xdbff || index + 1 >= value.length) return 1;
  const next = value.charCodeAt(index + 1);
  return next >= 0xdc00 && next <= 0xdfff ? 2 : 1;
}
