/**
 * The order of keyword terms in Elasticsearch's index: Lucene compares their UTF-8 bytes, which is
 * code point order. JS compares UTF-16 code units, which differs from it only when a character
 * above U+FFFF (a surrogate pair, `😀`) meets one from U+E000 to U+FFFF (`～`, `�`): by code
 * units the pair sorts first, by code points last. Range comparisons of a field with a constant,
 * and the orders Elasticsearch gets from sorting a keyword field, use this order; scripts use
 * Java's `String.compareTo`, which is JS's.
 */
export function compareKeywords(a: string, b: string): number {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x === y) continue;
    if (x >= 0xd800 && y >= 0xd800) {
      x = codePointRank(x);
      y = codePointRank(y);
    }
    return x < y ? -1 : 1;
  }
  return a.length < b.length ? -1 : 1;
}

/** Moves the surrogates (U+D800–U+DFFF) above U+E000–U+FFFF, where the code points they make lie. */
const codePointRank = (unit: number): number => (unit >= 0xe000 ? unit - 0x800 : unit + 0x2000);
