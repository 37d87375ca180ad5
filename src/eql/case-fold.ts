/**
 * How Elasticsearch ignores case depends on where a comparison runs, and eqlite must ignore
 * exactly as much, no more: folding more alerts where Elasticsearch would not.
 *
 * - A condition on a field runs as a query with `case_insensitive` (term, prefix, wildcard,
 *   regexp). Elasticsearch 8.x to 9.4 build its automaton folding ASCII letters only: `É`
 *   does not match `é`, nor the Kelvin sign `K` a `k` → `foldAscii`. (Later versions fold
 *   by Unicode case folding, elastic/elasticsearch#153513; eqlite follows 8.x.)
 * - In a script (a computed value), `:`, `in~` and `like~` without wildcards compare with
 *   Java's `compareToIgnoreCase` → `foldIgnoreCase`; `:` and `like~` with wildcards become a
 *   `java.util.regex` pattern with `CASE_INSENSITIVE` alone, which folds ASCII only →
 *   `foldAscii`; the `~` functions lower-case both sides with `toLowerCase(Locale.ROOT)`,
 *   as JavaScript's `toLowerCase` does (functions.ts).
 */

const UPPER_A = 0x41;
const UPPER_Z = 0x5a;

/** Lower-cases `A`–`Z` and nothing else; every other code unit stays, so lengths do too. */
export function foldAscii(text: string): string {
  // an ASCII text's lower case is its ASCII fold, and the engine's is far faster than a loop
  if (!NON_ASCII.test(text)) return text.toLowerCase();
  return text.replace(ASCII_UPPER_RUNS, lowerCase);
}

const NON_ASCII = /[^\x00-\x7f]/;
const ASCII_UPPER_RUNS = /[A-Z]+/g;
const lowerCase = (run: string) => run.toLowerCase();

/** `foldAscii` of one UTF-16 unit. */
export const foldAsciiCode = (c: number): number => (isAsciiUpper(c) ? c + 0x20 : c);

const isAsciiUpper = (c: number) => c >= UPPER_A && c <= UPPER_Z;

/**
 * Two texts are equal ignoring case, as Java's `String.compareToIgnoreCase` has it, exactly
 * when their folds are equal: code point by code point, `Character.toLowerCase` of
 * `Character.toUpperCase`. These are one-to-one mappings, unlike `toLowerCase` of a text: `ß`
 * stays one letter (equal to `ẞ`, never to `SS`), `İ` and `ı` fold to `i`, `ς` and `σ` to
 * one sigma, the Kelvin sign to `k`.
 */
export function foldIgnoreCase(text: string): string {
  if (!NON_ASCII.test(text)) return text.toLowerCase();
  let out = "";
  for (const char of text) out += char.charCodeAt(0) < 0x80 ? foldAscii(char) : lowerOne(upperOne(char));
  return out;
}

/**
 * Java's one-code-point mappings, read from JavaScript's whole-text ones: where those give
 * several code points (`ß` → `SS`, `ﬁ` → `FI`) the character has no single upper case of its
 * own, and where Java's differs from the character (`ᾳ` → `ᾼ`) its lower case is the
 * character again, so keeping the character folds alike.
 */
function upperOne(char: string): string {
  const upper = char.toUpperCase();
  return isOneCodePoint(upper) ? upper : char;
}

/** `İ` is the one letter whose lower case is two code points (`i` and a dot); Java's is `i`. */
function lowerOne(char: string): string {
  const lower = char.toLowerCase();
  if (isOneCodePoint(lower)) return lower;
  return char === "\u0130" ? "i" : char;
}

const isOneCodePoint = (s: string) => s.length === 1 || (s.length === 2 && s.codePointAt(0)! > 0xffff);
