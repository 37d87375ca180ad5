/**
 * A pattern read as Elasticsearch's `wildcard` query reads it: the value of a
 * `wildcard` exception entry (Kibana passes it through verbatim), and the text
 * that `stringContains` and `endsWith` wrap in stars when their first argument
 * is a field (Elasticsearch runs those as wildcard queries). `*` and `?` are wildcards and `\` escapes the next character, so `\*` is a
 * literal star and `C:\\Windows\\*` means `C:\Windows\` followed by anything.
 * A single `\` before an ordinary character just stands for that character (a
 * common mistake in hand-written Windows paths, which Kibana's UI warns about),
 * and a trailing `\` is literal, as Lucene reads them.
 *
 * EQL patterns have no escape character, which is why this is not simply
 * `compileWildcard`; but almost every pattern ends up there after unescaping.
 */
import { foldAsciiCode } from "./case-fold.ts";
import { compileWildcard, type WildcardMatcher } from "./wildcard.ts";

const STAR = -1;
const ONE = -2;
/** Marks a UTF-16 unit that must match as it is, whatever the case folding. */
const EXACT = 0x10000;

/**
 * `caseInsensitive`: the query's `case_insensitive`, which folds ASCII letters as
 * `compileWildcard` does, except a letter after `\`: Elasticsearch's case-insensitive
 * automaton takes an escaped character as it is (`\W` matches `W`, not `w`).
 */
export function compileWildcardQuery(pattern: string, caseInsensitive = false): WildcardMatcher {
  if (!pattern.includes("\\")) return compileWildcard(pattern, caseInsensitive);
  const tokens = tokenize(pattern, caseInsensitive);
  // Without a literal `*` or `?` or a letter kept as it is, the unescaped text is an EQL
  // pattern with the same meaning.
  if (!tokens.some((t) => t === 0x2a || t === 0x3f || t >= EXACT))
    return compileWildcard(untokenize(tokens), caseInsensitive);
  return (value) => tokensMatch(tokens, value, caseInsensitive);
}

/**
 * UTF-16 units of literal text, or STAR / ONE; if `caseInsensitive`, ASCII letters are folded
 * and escaped ones marked EXACT.
 */
function tokenize(pattern: string, caseInsensitive: boolean): number[] {
  const tokens: number[] = [];
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

function untokenize(tokens: number[]): string {
  return tokens.map((t) => (t === STAR ? "*" : t === ONE ? "?" : String.fromCharCode(t))).join("");
}

/**
 * Walks pattern and value together and, on a mismatch, lets the last star
 * swallow one more code point: only the last star ever needs to, so this stays
 * O(pattern × value), never exponential on hostile values.
 */
function tokensMatch(tokens: number[], value: string, caseInsensitive: boolean): boolean {
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
    resume += codePointWidth(value, resume);
    v = resume;
  }
  while (p < tokens.length && tokens[p] === STAR) p++;
  return p === tokens.length;
}

/** `?` stands for one code point, not one UTF-16 unit, as in Lucene. */
function codePointWidth(value: string, index: number): number {
  const unit = value.charCodeAt(index);
  if (unit < 0xd800 || unit > 0xdbff || index + 1 >= value.length) return 1;
  const next = value.charCodeAt(index + 1);
  return next >= 0xdc00 && next <= 0xdfff ? 2 : 1;
}
