/**
 * A pattern read as Elasticsearch's `wildcard` query reads it: the value of a
 * `wildcard` exception entry (Kibana passes it through verbatim), and the text
 * that `stringContains` and `endsWith` wrap in stars when their first argument
 * is a field (Elasticsearch runs those as wildcard queries). `*` and `?` are
 * wildcards and `\` escapes the next character, so `\*` is a literal star and
 * `C:\\Windows\\*` means `C:\Windows\` followed by anything.
 * A single `\` before an ordinary character just stands for that character (a
 * common mistake in hand-written Windows paths, which Kibana's UI warns about),
 * and a trailing `\` is literal, as Lucene reads them.
 *
 * EQL patterns have no escape character, which is why this is not simply
 * `compileWildcard`; both read their text into the one form wildcard-pattern.ts matches.
 */
import { foldAsciiCode } from "./case-fold.ts";
import { compileWildcardPattern, type WildcardMatcher } from "./wildcard-pattern.ts";
import { EXACT, ONE, STAR, type WildcardToken } from "./wildcard-token.ts";

/**
 * `caseInsensitive`: the query's `case_insensitive`, which folds ASCII letters as
 * `compileWildcard` does, except a letter after `\`: Elasticsearch's case-insensitive
 * automaton takes an escaped character as it is (`\W` matches `W`, not `w`).
 */
export function compileWildcardQuery(pattern: string, caseInsensitive = false): WildcardMatcher {
  return compileWildcardPattern(tokenize(pattern, caseInsensitive), { caseInsensitive });
}

/**
 * UTF-16 units of literal text, or STAR / ONE; if `caseInsensitive`, ASCII letters are folded
 * and escaped ones marked EXACT.
 */
function tokenize(pattern: string, caseInsensitive: boolean): WildcardToken[] {
  const tokens: WildcardToken[] = [];
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern.charCodeAt(i);
    if (c === 0x5c && i + 1 < pattern.length) {
      const escaped = pattern.charCodeAt(++i);
      tokens.push(caseInsensitive && isAsciiLetter(escaped) ? escaped + EXACT : escaped);
    } else if (c === 0x2a) tokens.push(STAR);
    else if (c === 0x3f) tokens.push(ONE);
    else tokens.push(caseInsensitive ? foldAsciiCode(c) : c);
  }
  return tokens;
}

const isAsciiLetter = (c: number) => (c | 0x20) >= 0x61 && (c | 0x20) <= 0x7a;
