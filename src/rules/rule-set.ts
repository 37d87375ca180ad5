import { compileIndexPatterns, type IndexMatcher } from "../engine/index-pattern.ts";
import type { FilterRule } from "../engine/line-prefilter.ts";
import type { PreparedQuery } from "../eql/compile-query.ts";
import { eventQueriesOf } from "../eql/event-queries.ts";
import type { Event } from "../eql/field-access.ts";
import { ALWAYS, type Requirement, statementRequirement } from "../eql/requirement.ts";
import type { CompiledRuleQuery } from "./compile-rule.ts";
import type { LoadedRule } from "./loaded-rule.ts";
import { type IndexKey, keyedWays, TermIndex, waysGiven } from "./term-index.ts";

/** A rule the engine can run: an `eql` rule whose query compiled. */
export type ExecutableRule = LoadedRule & { query: CompiledRuleQuery };

/** What the rule index reads of a rule: its `index` patterns and its query as it executes. */
export interface IndexableRule {
  rule: object;
  /**
   * The caller tests the event against the rule's terms itself (a match worker reads a
   * sequence rule's hit, which tests them): `select` leaves that test out for this rule.
   */
  callerTestsTerms?: boolean;
  query: {
    eventCategoryField: string;
    execution(): PreparedQuery;
    /**
     * The category of each of the query's terms, when already known (a loaded rule's query
     * knows them): the rule is then prepared for execution only once an event may need it.
     */
    categories?: ReadonlyArray<string | null>;
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
   * the event matches (unless the rule's caller tests that) — so a rule's stream sees only
   * events it can use.
   */
  select(event: Event, categories: readonly string[], index: string | undefined): readonly R[];
  /**
   * What an event must have for each rule to match it, in load order. Worked out as they are
   * read: a rule's query is prepared for execution the first time something needs it.
   */
  readonly requirements: Iterable<Requirement>;
  /** the rules as the raw-line prefilter reads them: the index each sees, what each requires */
  readonly filterRules: readonly FilterRule[];
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
  /** rules left out because their file says `enabled = false` */
  readonly disabled: number;
}

export interface RuleSetOptions {
  /** run rules whose file says `enabled = false` too */
  includeDisabled?: boolean;
}

const DEFAULT_CATEGORY_FIELD = "event.category";
const MAX_MEMO = 4096;

/**
 * A rule its file disables (`enabled = false`, as a Kibana export writes a rule that is installed
 * but off) does not run, as in Kibana, unless asked: a SOC's export holds hundreds of those.
 */
export function buildRuleSet(loaded: readonly LoadedRule[], options: RuleSetOptions = {}): RuleSet {
  const rules: ExecutableRule[] = [];
  const notExecutable: Record<string, number> = {};
  let disabled = 0;
  for (const r of loaded) {
    if (r.rule.enabled === false && !options.includeDisabled) disabled++;
    else if (r.query) rules.push(r as ExecutableRule);
    else notExecutable[r.rule.type] = (notExecutable[r.rule.type] ?? 0) + 1;
  }
  return { rules, notExecutable, disabled, ...indexRules<ExecutableRule>(rules) };
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

  const indexed = rules.map((rule, position) => new IndexedRule(rule, position));
  const entryOf = new Map(rules.map((r, i) => [r, indexed[i]]));
  // Events repeat the same few index and category combinations: each is worked out once,
  // by index, then by categories, so that no key is built per event.
  const memo = new Map<string | undefined, Map<string, Candidates<R>>>();
  let memoSize = 0;
  const byCategories = (eventCategories: readonly string[], eventIndex?: string): Candidates<R> => {
    const categoryKey =
      eventCategories.length === 1 ? eventCategories[0] : [...eventCategories].sort().join("\u0000");
    let forIndex = memo.get(eventIndex);
    let found = forIndex?.get(categoryKey);
    if (found) return found;
    const chosen = new Set<R>(anyCategory);
    for (const c of eventCategories) for (const r of byCategory.get(c) ?? []) chosen.add(r);
    const entries = [...chosen]
      .map((r) => entryOf.get(r)!)
      .filter((e) => e.sees(eventIndex))
      .sort((a, b) => a.position - b.position);
    found = {
      rules: entries.map((e) => e.rule),
      index: new TermIndex(
        entries.map((e) => ({
          item: e,
          position: e.position,
          // every event of this group has exactly these categories: keys on them are decided
          ways: waysGiven(e.ways(), DEFAULT_CATEGORY_FIELD, eventCategories),
        })),
        rules.length,
      ),
    };
    // categories and indices come from events: the memo must not grow without bound
    if (memoSize >= MAX_MEMO) {
      memo.clear();
      memoSize = 0;
    }
    if (!forIndex) {
      forIndex = new Map();
      memo.set(eventIndex, forIndex);
    }
    forIndex.set(categoryKey, found);
    memoSize++;
    return found;
  };
  const candidates = (eventCategories: readonly string[]) => byCategories(eventCategories).rules;
  const select = (event: Event, eventCategories: readonly string[], eventIndex: string | undefined) => {
    const chosen: R[] = [];
    for (const entry of byCategories(eventCategories, eventIndex).index.select(event)) {
      if (entry.rule.callerTestsTerms || entry.matches(event)) chosen.push(entry.rule);
    }
    return chosen;
  };
  const requirements: Iterable<Requirement> = {
    *[Symbol.iterator]() {
      for (const entry of indexed) yield entry.requirement();
    },
  };

  return { byCategory, anyCategory, candidates, select, requirements, filterRules: indexed };
}

interface Candidates<R extends IndexableRule> {
  rules: readonly R[];
  index: TermIndex<IndexedRule<R>>;
}

/**
 * A rule as the index uses it. What it needs of the query as it executes — the requirement,
 * its keys, the term test — is worked out the first time an event may need the rule: with a
 * thousand rules loaded, most never see an event of their index.
 */
class IndexedRule<R extends IndexableRule> implements FilterRule {
  readonly everyIndex: boolean;
  private readonly indexPatterns: IndexMatcher;
  private compiled?: { requirement: Requirement; ways: IndexKey[][]; matches: (event: Event) => boolean };

  constructor(
    readonly rule: R,
    readonly position: number,
  ) {
    const patterns = (rule.rule as { index?: readonly string[] }).index;
    this.everyIndex = !patterns?.length;
    this.indexPatterns = compileIndexPatterns(patterns);
  }

  sees(index: string | undefined): boolean {
    return this.indexPatterns(index);
  }

  requirement(): Requirement {
    return this.compile().requirement;
  }

  /** the keys an event needs for the rule, by way it can match (see keyedWays) */
  ways(): IndexKey[][] {
    return this.compile().ways;
  }

  /**
   * Whether an event matches some term of the rule, as its stream will test it. A term that
   * fails to evaluate lets the event through: the stream then reports the failure.
   */
  matches(event: Event): boolean {
    return (this.compiled ?? this.compile()).matches(event);
  }

  private compile(): NonNullable<IndexedRule<R>["compiled"]> {
    if (this.compiled) return this.compiled;
    try {
      const execution = this.rule.query.execution();
      // one compiler for both: they share its field readers
      const compiler = execution.compiler();
      const { eventCategoryField } = this.rule.query;
      const requirement = statementRequirement(compiler, execution.statement, eventCategoryField);
      const terms = eventQueriesOf(execution.statement).map((q) => compiler.compileEventQuery(q));
      const matches = (event: Event) => {
        try {
          for (const term of terms) if (term(event)) return true;
          return false;
        } catch {
          return true;
        }
      };
      this.compiled = { requirement, ways: keyedWays(requirement), matches };
    } catch {
      // A query that cannot be prepared takes every event: its stream meets the same error
      // and the engine reports it and disables the rule.
      this.compiled = { requirement: ALWAYS, ways: [[]], matches: () => true };
    }
    return this.compiled;
  }
}

/**
 * The categories a rule's terms name, or undefined when some term takes any event: an
 * `any where` term, or a category field other than `event.category` (its values are not
 * what the index is keyed on).
 */
function categoriesOf(query: IndexableRule["query"]): Set<string> | undefined {
  if (query.eventCategoryField !== DEFAULT_CATEGORY_FIELD) return undefined;
  const categories = new Set<string>();
  for (const category of query.categories ??
    eventQueriesOf(query.execution().statement).map((q) => q.category)) {
    if (category === null) return undefined;
    categories.add(category);
  }
  return categories;
}
