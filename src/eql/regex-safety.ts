/**
 * Guarding rule regexes against catastrophic backtracking (ReDoS).
 *
 * Real detection rules contain patterns such as `([^ ]+[ ]{3,}[^ ]*){3,}.*`
 * whose backtracking cost grows polynomially or exponentially with the input.
 * V8 can switch such a regex to its linear-time engine after a fixed number of
 * backtracks; the switch is a V8 flag that cannot be set through NODE_OPTIONS,
 * so it is set from code, as early as possible (V8 does not document when it
 * reads the flag; on Node 20 it also applied to regexes created earlier).
 *
 * On Node 20 the linear engine refuses regexes with the `u` or `i` flag or
 * with look-arounds: those keep backtracking. The Lucene translation therefore
 * emits neither flag, and look-arounds only for the rare `~`/`&` operators.
 */
import v8 from "node:v8";

/**
 * Inputs longer than this are still tested in full (truncating would change
 * the result); the constant exists so callers can count and time them.
 */
export const MAX_REGEX_INPUT = 64 * 1024;

let linearFallbackEnabled = false;

/** Call before compiling any rule regex. Safe to call repeatedly. */
export function enableLinearRegexFallback(): void {
  if (linearFallbackEnabled) return;
  v8.setFlagsFromString("--enable-experimental-regexp-engine-on-excessive-backtracks");
  linearFallbackEnabled = true;
}

/** Full-value test; rule regexes carry no `g`/`y` flag, so `test` keeps no state between values. */
export function regexTest(re: RegExp, value: string): boolean {
  return re.test(value);
}
