/**
 * Elasticsearch's simplest patterns, where `*` is the only wildcard and every other
 * character, `?` and `\` included, stands for itself (its `Regex.simpleMatch` and
 * `Glob.globMatch`): index patterns such as `logs-endpoint.events.*`, and the segments of
 * a `filter_path`. Case-sensitive.
 */
import { compileWildcardPattern, type WildcardMatcher } from "./wildcard-pattern.ts";
import { STAR } from "./wildcard-token.ts";

export function compileSimpleMatch(pattern: string): WildcardMatcher {
  const tokens = Array.from({ length: pattern.length }, (_, i) => {
    const c = pattern.charCodeAt(i);
    return c === 0x2a ? STAR : c;
  });
  return compileWildcardPattern(tokens, { caseInsensitive: false });
}
