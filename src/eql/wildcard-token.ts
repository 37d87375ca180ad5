/**
 * A wildcard pattern as a list of tokens, whatever syntax it was read from: a UTF-16 unit of
 * literal text, or STAR, or ONE. When the pattern ignores case, its literal ASCII letters are
 * already folded, and a letter that must match as it is carries EXACT.
 */
export type WildcardToken = number;
export const STAR = -1;
export const ONE = -2;
export const EXACT = 0x10000;
