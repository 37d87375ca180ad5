/**
 * EQL wildcard patterns, as used by `:`, `like` and `like~`.
 *
 * `*` is any run of characters (`/` and `\` included), `?` is exactly one character, and
 * the whole value must match. EQL has no escape character: a `\` in the pattern is a
 * literal backslash, which is why generic glob libraries (path separators, `{a,b}`, `[ab]`,
 * `\` escapes) get rule patterns such as `*\temp\*.exe` wrong.
 */

import { foldAscii } from "./case-fold.ts";
import { compileWildcardPatterns, type WildcardMatcher } from "./wildcard-pattern.ts";
import { ONE, STAR, type WildcardToken } from "./wildcard-token.ts";

export function hasWildcard(pattern: string): boolean {
  return pattern.includes("*") || pattern.includes("?");
}

/**
 * `caseInsensitive` folds ASCII letters only, as Elasticsearch's case-insensitive wildcard
 * queries and script patterns do (see case-fold.ts). `withinLines`: the pattern runs in a
 * script, where `*` and `?` do not cross line terminators (see wildcard-pattern.ts).
 */
export function compileWildcard(
  pattern: string,
  caseInsensitive: boolean,
  { withinLines = false } = {},
): WildcardMatcher {
  return compileWildcards([pattern], caseInsensitive, { withinLines });
}

/** Whether a value matches any of the patterns: one matcher for them all (see wildcard-pattern.ts). */
export function compileWildcards(
  patterns: readonly string[],
  caseInsensitive: boolean,
  { withinLines = false } = {},
): WildcardMatcher {
  const texts = caseInsensitive ? patterns.map(foldAscii) : patterns;
  return compileWildcardPatterns(texts.map(readWildcard), { caseInsensitive, withinLines });
}

function readWildcard(pattern: string): WildcardToken[] {
  const tokens: WildcardToken[] = [];
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern.charCodeAt(i);
    tokens.push(c === 0x2a ? STAR : c === 0x3f ? ONE : c);
  }
  return tokens;
}
