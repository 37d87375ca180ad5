import type { Requirement } from "../eql/requirement.ts";
import type { LineFilter } from "../io/line-filter.ts";
import { indexedLineFilter } from "./indexed-filter.ts";
import { keySearchFilter } from "./key-search.ts";

/**
 * The raw-line prefilter: decides from the bytes of an NDJSON line, without parsing it,
 * that no loaded rule can match its event, so the line is never parsed. Each rule's
 * requirement (what a matching event must have, from its positive field conditions) is
 * checked on the text; whatever cannot be read exactly passes, so that no match is ever
 * lost. Lines that are not one `{...}` object are never given to it.
 *
 * Two ways, by what the rules need:
 * - a few rules, all of them for every line: their keys are searched for in the text
 *   (key-search.ts), at the speed of a byte search;
 * - many rules, of which a line is asked only about those that see its event's index
 *   (indexed-filter.ts): the line is read once, structure and all. Large rule sets need
 *   this: some rule takes every event of its indices, so every line would pass otherwise.
 */

/** A rule as the prefilter reads it: which events it sees, and what they must have to match it. */
export interface FilterRule {
  /** the rule has no `index` patterns: it sees every event */
  readonly everyIndex: boolean;
  /** whether it sees an event of this index (undefined: an event that names none) */
  sees(index: string | undefined): boolean;
  /** asked only when needed: it may cost preparing the rule's query */
  requirement(): Requirement;
}

/**
 * The prefilter of a rule set, or undefined when it could not skip anything: a rule that
 * sees every index takes every event.
 */
export function lineFilterOf(rules: readonly FilterRule[]): LineFilter | undefined {
  if (rules.length === 0) return undefined;
  const indexed = rules.some((r) => !r.everyIndex);
  // More rules than key names a search may look for: the search would give up, after
  // preparing many a query to find out.
  if (!indexed || rules.length <= MAX_SEARCHED_RULES) {
    const everyRule = keySearchFilter(requirements(rules));
    if (everyRule) return everyRule;
  }
  if (!indexed || rules.some((r) => r.everyIndex && r.requirement().kind === "always")) return undefined;
  return indexedLineFilter(rules);
}

/** Beyond this many rules the key search is not tried when the indexed filter can be. */
const MAX_SEARCHED_RULES = 48;

/**
 * The prefilter of rules that see every index, given by what each requires, or undefined
 * when it could not skip anything. The requirements are read in turn and no further than
 * that answer.
 */
export function buildLineFilter(requirements: Iterable<Requirement>): LineFilter | undefined {
  return keySearchFilter(requirements);
}

/** The requirements in turn: the key search stops at the first that takes every event. */
function* requirements(rules: readonly FilterRule[]): Generator<Requirement> {
  for (const rule of rules) yield rule.requirement();
}
