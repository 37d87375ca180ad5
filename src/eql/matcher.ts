import type { Match } from "./ast.ts";
import { foldAscii, foldIgnoreCase } from "./case-fold.ts";
import { LazyDfa } from "./lazy-dfa.ts";
import { parseLuceneRegex, translateLuceneRegex } from "./lucene-regex.ts";
import { compileRegexAutomaton } from "./regex-automaton.ts";
import { enableLinearRegexFallback, MAX_REGEX_INPUT } from "./regex-safety.ts";
import { compileWildcards, hasWildcard } from "./wildcard.ts";

/**
 * How Elasticsearch runs a condition: as a query on a field, or as a script over computed
 * values. The `~` forms ignore case differently in each (see case-fold.ts), and a script's
 * `*` and `?` stop at line terminators (see wildcard-pattern.ts).
 */
export type RunsAs = "query" | "script";

/**
 * The string test of `:`, `like` and `regex` (and their `~` forms) against a list of
 * constant patterns. Regex lists are joined with `|` into one pattern, as Elasticsearch does;
 * wildcard lists are one matcher for all their patterns (see wildcard-pattern.ts), and their
 * patterns without wildcards one set: lists run to hundreds, and a rule's to any length.
 */
export function compileMatcher(m: Match, runsAs: RunsAs): (value: string) => boolean {
  const patterns = m.patterns.map((p) => String(p.value));
  if (m.op === "regex")
    return compileRegexMatcher(patterns.join("|"), { caseInsensitive: m.caseInsensitive });
  const lines = { withinLines: runsAs === "script" };
  const wildcards = patterns.filter(hasWildcard);
  if (!m.caseInsensitive) {
    const exact = new Set(patterns.filter((p) => !hasWildcard(p)));
    if (wildcards.length === 0) return (v) => exact.has(v);
    const glob = compileWildcards(wildcards, false, lines);
    if (exact.size === 0) return glob;
    return (v) => exact.has(v) || glob(v);
  }
  // A script compares a pattern without wildcards as Java's compareToIgnoreCase does; every
  // other case-insensitive pattern folds ASCII letters only.
  const foldExact = runsAs === "script" ? foldIgnoreCase : foldAscii;
  // Fold the value once for the whole list, not once per pattern.
  const exact = new Set(patterns.filter((p) => !hasWildcard(p)).map(foldExact));
  if (wildcards.length === 0) return (v) => exact.has(foldExact(v));
  const glob = compileWildcards(wildcards.map(foldAscii), false, lines);
  if (exact.size === 0) return (v) => glob(foldAscii(v));
  if (foldExact === foldAscii) {
    return (v) => {
      const folded = foldAscii(v);
      return exact.has(folded) || glob(folded);
    };
  }
  return (v) => exact.has(foldExact(v)) || glob(foldAscii(v));
}

/**
 * Short values, nearly all of them, go to the translated RegExp, which V8 runs
 * fastest (and bounds with its linear fallback). A long value goes to the
 * automaton, whose cost grows with the length only linearly and whose memory
 * does not grow at all: a backtracking RegExp, or V8's fallback, can take
 * minutes and gigabytes on one crafted value of a few MB. Both are compiled up
 * front, so a pattern either of them refuses fails when the rule is compiled.
 */
function compileRegexMatcher(
  pattern: string,
  options: { caseInsensitive: boolean },
): (value: string) => boolean {
  enableLinearRegexFallback();
  const tree = parseLuceneRegex(pattern);
  const re = translateLuceneRegex(pattern, options, tree);
  const automaton = new LazyDfa(compileRegexAutomaton(pattern, options, tree));
  return (v) => (v.length <= MAX_REGEX_INPUT ? re.test(v) : automaton.matches(v));
}

/** A pattern that matches every value: Elasticsearch turns these into an exists query. */
export function matchesEverything(m: Match): boolean {
  return m.patterns.some((p) => (m.op === "regex" ? p.value === ".*" : p.value === "*"));
}
