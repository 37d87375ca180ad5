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
 * The fallback is linear in time but not in memory (about 2 GB for a 4 MB
 * value), so long values do not reach the RegExp at all (MAX_REGEX_INPUT).
 */
import v8 from "node:v8";

/**
 * The longest value tested with a rule's RegExp; longer values go to its
 * automaton (matcher.ts), which is linear in time and bounded in memory. Up to
 * this length the backtracking engine, with the fallback below, costs little.
 */
export const MAX_REGEX_INPUT = 1024;

let linearFallbackEnabled = false;

/** Call before compiling any rule regex. Safe to call repeatedly. */
export function enableLinearRegexFallback(): void {
  if (linearFallbackEnabled) return;
  v8.setFlagsFromString("--enable-experimental-regexp-engine-on-excessive-backtracks");
  linearFallbackEnabled = true;
}
