import { compileIndexPatterns } from "../engine/index-pattern.ts";
import type { PreparedQuery } from "../eql/compile-query.ts";
import { eventQueriesOf } from "../eql/event-queries.ts";
import type { Event } from "../eql/field-access.ts";
import { type Requirement, statementRequirement } from "../eql/requirement.ts";
import type { CompiledRuleQuery } from "./compile-rule.ts";
import type { LoadedRule } from "./loaded-rule.ts";
import { indexKey, TermIndex } from "./term-index.ts";

/** A rule the engine can run: an `eql` rule whose query compiled. */
export type ExecutableRule = LoadedRule & { query: CompiledRuleQuery };

/** What the rule index reads of a rule: its `index` patterns and its query as it executes. */
export interface IndexableRule {
  rule: object;
  query: {
    eventCategoryField: string;
    execution(): PreparedQuery;
  };
}

/**
 * Rules indexed for matching: an event only needs the rules of its `event.category` values
 * plus the rules that look at every event (`any where` terms, or a category field of their
 * own), whose `index` patterns cover the event's index.
 */
export interface RuleIndex<R> {
  /** rules with a term on each `event.category` value */
  readonly byCategory: ReadonlyMap<string, readonly R[]>;
  /** rules that must see every event */
  readonly anyCategory: readonly R[];
  /** the rules an event with these `event.category` values may match, in load order */
  candidates(categories: readonly string[]): readonly R[];
  /**
   * The rules this event may match, in load order: its categories' rules whose `index`
   * patterns cover the event's index (undefined: every rule), narrowed by the term index to
   * those whose keyed field values the event has, then to those with a term (or `until`)
   * the event matches — so a rule's stream sees only events it can use.
   */
  select(event: Event, categories: readonly string[], index: string | undefined): readonly R[];
  /** what an event must have for each rule to match it (same order as the rules) */
  readonly requirements: readonly Requirement[];
}

/**
 * The loaded rules indexed for matching, shared by scan and serve. Immutable: hot reload
 * builds a new one from the newly loaded rules and swaps it in.
 */
export interface RuleSet extends RuleIndex<ExecutableRule> {
  /** executable rules, in load order */
  readonly rules: readonly ExecutableRule[];
  /** loaded rules that cannot run, by type (`eql` ones are those whose query has errors) */
  readonly notExecutable: Readonly<Record<string, number>>;
}

const DEFAULT_CATEGORY_FIELD = "event.category";
const MAX_MEMO = 4096;

export function buildRuleSet(loaded: readonly LoadedRule[]): RuleSet {
  const rules: ExecutableRule[] = [];
  const notExecutable: Record<string, number> = {};
  for (const r of loaded) {
    if (r.query) rules.push(r as ExecutableRule);
    else notExecutable[r.rule.type] = (notExecutable[r.rule.type] ?? 0) + 1;
  }
  return { rules, notExecutable, ...indexRules<ExecutableRule>(rules) };
}

export function indexRules<R extends IndexableRule>(rules: readonly R[]): RuleIndex<R> {
  const byCategory = new Map<string, R[]>();
  const anyCategory: R[] = [];
  for (const rule of rules) {
    const categories = categoriesOf(rule.query);
    if (categories === undefined) {
      anyCategory.push(rule);
      continue;
    }
    for (const category of categories) {
      const group = byCategory.get(category);
      if (group) group.push(rule);
      else byCategory.set(category, [rule]);
    }
  }

  const order = new Map(rules.map((r, i) => [r, i]));
  const requirements = rules.map(requirementOfRule);
  const keys = requirements.map(indexKey);
  const termMatchers = rules.map(termMatcherOf);
  const inIndex = rules.map((r) => compileIndexPatterns((r.rule as { index?: readonly string[] }).index));
  // events repeat the same few category and index combinations: each is worked out once
  const memo = new Map<string, { rules: readonly R[]; index: TermIndex<R> }>();
  const byCategories = (eventCategories: readonly string[], eventIndex?: string) => {
    const categoryKey =
      eventCategories.length === 1 ? eventCategories[0] : [...eventCategories].sort().join("\u0000");
    const key = eventIndex === undefined ? categoryKey : `${categoryKey}\u0001${eventIndex}`;
    let found = memo.get(key);
    if (!found) {
      const chosen = new Set<R>(anyCategory);
      for (const c of eventCategories) for (const r of byCategory.get(c) ?? []) chosen.add(r);
      const sorted = [...chosen]
        .filter((r) => inIndex[order.get(r)!](eventIndex))
        .sort((a, b) => order.get(a)! - order.get(b)!);
      const entries = sorted.map((item) => {
        const position = order.get(item)!;
        return { item, position, key: keys[position] };
      });
      found = { rules: sorted, index: new TermIndex(entries, rules.length) };
      // categories and indices come from events: the memo must not grow without bound
      if (memo.size >= MAX_MEMO) memo.clear();
      memo.set(key, found);
    }
    return found;
  };
  const candidates = (eventCategories: readonly string[]) => byCategories(eventCategories).rules;
  const select = (event: Event, eventCategories: readonly string[], eventIndex: string | undefined) => {
    const chosen: R[] = [];
    for (const rule of byCategories(eventCategories, eventIndex).index.select(event)) {
      if (termMatchers[order.get(rule)!](event)) chosen.push(rule);
    }
    return chosen;
  };

  return { byCategory, anyCategory, candidates, select, requirements };
}

/**
 * Whether an event matches some term of the rule, as its stream will test it. A term that
 * fails to evaluate lets the event through: the stream then reports the failure.
 */
function termMatcherOf(rule: IndexableRule): (event: Event) => boolean {
  const execution = rule.query.execution();
  const compiler = execution.compiler();
  const terms = eventQueriesOf(execution.statement).map((q) => compiler.compileEventQuery(q));
  return (event) => {
    try {
      for (const term of terms) if (term(event)) return true;
      return false;
    } catch {
      return true;
    }
  };
}

/** A rule's requirement, read from the query as it executes (see CompiledRuleQuery.execution). */
function requirementOfRule(rule: IndexableRule): Requirement {
  const execution = rule.query.execution();
  return statementRequirement(execution.compiler(), execution.statement, rule.query.eventCategoryField);
}

/**
 * The categories a rule's terms name, or undefined when some term takes any event: an
 * `any where` term, or a category field other than `event.category` (its values are not
 * what the index is keyed on).
 */
function categoriesOf(query: IndexableRule["query"]): Set<string> | undefined {
  if (query.eventCategoryField !== DEFAULT_CATEGORY_FIELD) return undefined;
  const categories = new Set<string>();
  for (const term of eventQueriesOf(query.execution().statement)) {
    if (term.category === null) return undefined;
    categories.add(term.category);
  }
  return categories;
}
