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
import { compileWildcard, type WildcardMatcher } from "./wildcard.ts";

const STAR = -1;
const ONE = -2;

/**
 * `caseInsensitive`: the query's `case_insensitive`, folding pattern and value as `compileWildcard`
 * does (folding never makes or removes a `\`, `*` or `?`, so it may come before the unescaping).
 */
export function compileWildcardQuery(pattern: string, caseInsensitive = false): WildcardMatcher {
  if (!pattern.includes("\\")) return compileWildcard(pattern, caseInsensitive);
  const tokens = tokenize(caseInsensitive ? pattern.toLowerCase() : pattern);
  // Without a literal `*` or `?`, the unescaped text is an EQL pattern with the same meaning.
  if (!tokens.some((t) => t === 0x2a || t === 0x3f))
    return compileWildcard(untokenize(tokens), caseInsensitive);
  if (caseInsensitive) return (value) => tokensMatch(tokens, value.toLowerCase());
  return (value) => tokensMatch(tokens, value);
}

/** UTF-16 units of literal text, or STAR / ONE. */
function tokenize(pattern: string): number[] {
  const tokens: number[] = [];
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern.charCodeAt(i);
    if (c === 0x5c && i + 1 < pattern.length) tokens.push(pattern.charCodeAt(++i));
    else if (c === 0x2a) tokens.push(STAR);
    else if (c === 0x3f) tokens.push(ONE);
    else tokens.push(c);
  }
  return tokens;
}

function untokenize(tokens: number[]): string {
  return tokens.map((t) => (t === STAR ? "*" : t === ONE ? "?" : String.fromCharCode(t))).join("");
}

/**
 * Walks pattern and value together and, on a mismatch, lets the last star
 * swallow one more code point: only the last star ever needs to, so this stays
 * O(pattern × value), never exponential on hostile values.
 */
function tokensMatch(tokens: number[], value: string): boolean {
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
      if (t === value.charCodeAt(v)) {
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
