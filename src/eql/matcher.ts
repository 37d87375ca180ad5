import type { Match } from "./ast.ts";
import { translateLuceneRegex } from "./lucene-regex.ts";
import { enableLinearRegexFallback } from "./regex-safety.ts";
import { compileWildcard, hasWildcard, type WildcardMatcher } from "./wildcard.ts";

/**
 * The string test of `:`, `like` and `regex` (and their `~` forms) against a list of
 * constant patterns. Regex lists are joined with `|` into one pattern, as Elasticsearch does.
 */
export function compileMatcher(m: Match): (value: string) => boolean {
  const patterns = m.patterns.map((p) => String(p.value));
  if (m.op === "regex") {
    enableLinearRegexFallback();
    const re = translateLuceneRegex(patterns.join("|"), { caseInsensitive: m.caseInsensitive });
    return (v) => re.test(v);
  }
  if (!m.caseInsensitive) return anyOf(patterns.map((p) => compileWildcard(p, false)));
  // Fold the value once for the whole list, not once per pattern: lists run to hundreds.
  const lowered = patterns.map((p) => p.toLowerCase());
  const exact = new Set(lowered.filter((p) => !hasWildcard(p)));
  const globs = lowered.filter(hasWildcard).map((p) => compileWildcard(p, false));
  if (globs.length === 0) return (v) => exact.has(v.toLowerCase());
  const glob = anyOf(globs);
  if (exact.size === 0) return (v) => glob(v.toLowerCase());
  return (v) => {
    const folded = v.toLowerCase();
    return exact.has(folded) || glob(folded);
  };
}

function anyOf(tests: WildcardMatcher[]): WildcardMatcher {
  if (tests.length === 1) return tests[0];
  return (v) => {
    for (const t of tests) if (t(v)) return true;
    return false;
  };
}

/** A pattern that matches every value: Elasticsearch turns these into an exists query. */
export function matchesEverything(m: Match): boolean {
  return m.patterns.some((p) => (m.op === "regex" ? p.value === ".*" : p.value === "*"));
}
