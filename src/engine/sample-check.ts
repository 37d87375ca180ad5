import type { Event } from "../eql/field-access.ts";
import { type RuleNeeds, ruleNeeds } from "../rules/needed-fields.ts";
import type { ExecutableRule, RuleSet } from "../rules/rule-set.ts";
import { DetectionEngine, type EventOrigin } from "./detection-engine.ts";
import { FieldPresence } from "./field-presence.ts";
import { compileIndexPatterns, eventIndex, type IndexMatcher } from "./index-pattern.ts";

/** What a sample of events says about one rule. */
export interface RuleSampleResult {
  rule: ExecutableRule;
  needs: RuleNeeds;
  /** needed fields that no event of the sample has */
  missingFields: string[];
  /** categories the query names that no event has in its category field */
  missingCategories: string[];
  /** whether some event is in the rule's `index` patterns (events that name no data stream are in all) */
  inIndex: boolean;
  /** matches the engine found in the sample (events, or sequences), before max_signals */
  matches: number;
  /** the rule failed on an event of the sample and was disabled */
  error?: string;
}

export interface SampleReport {
  events: number;
  rules: RuleSampleResult[];
}

/**
 * Runs a rule set over a sample of real events to find the rules that cannot fire on such
 * data, and why: the fields and categories they need that the sample lacks (see
 * `ruleNeeds`), the index patterns no event is in, or simply no match. The matches are the
 * engine's own, in batch mode as `eqlite scan` runs a file: one window over the whole
 * sample, index patterns applied; exceptions are not, as the question is about the queries.
 * Events are pushed one at a time, so the sample is never held whole.
 */
export class SampleCheck {
  private readonly engine: DetectionEngine;
  private readonly needs: Map<ExecutableRule, RuleNeeds>;
  private readonly presence: FieldPresence;
  private readonly indexes: Map<ExecutableRule, IndexMatcher>;
  /** rules no event has been in the index patterns of yet */
  private readonly outside: Set<ExecutableRule>;
  private readonly indexesSeen = new Set<string>();
  private readonly errors = new Map<ExecutableRule, string>();

  constructor(private readonly ruleSet: RuleSet) {
    this.needs = new Map(ruleSet.rules.map((r) => [r, ruleNeeds(r)]));
    const fields = new Set<string>();
    const categories = new Map<string, Set<string>>();
    for (const { fields: names, categories: c } of this.needs.values()) {
      for (const name of names) fields.add(name);
      const wanted = categories.get(c.field) ?? new Set<string>();
      for (const value of c.values) wanted.add(value);
      categories.set(c.field, wanted);
    }
    this.presence = new FieldPresence(fields, categories);
    this.indexes = new Map(
      ruleSet.rules.map((r) => [r, compileIndexPatterns(r.rule.index as readonly string[] | undefined)]),
    );
    this.outside = new Set(ruleSet.rules);
    this.engine = new DetectionEngine(ruleSet, {
      mode: "batch",
      now: new Date(),
      onAlert: () => {},
      onRuleError: (rule, error, origin) => {
        const where = origin ? `${origin.source}:${origin.line}: ` : "";
        this.errors.set(rule, `${where}${(error as Error).message ?? String(error)}`);
      },
    });
  }

  push(event: Event, origin: EventOrigin): void {
    this.presence.observe(event);
    this.noteIndex(event);
    this.engine.push(event, origin);
  }

  /** The end of the sample: sequences still waiting complete, and the findings are final. */
  finish(): SampleReport {
    this.engine.finish();
    // the engine keeps one RuleStats per rule of the set, in the set's order
    const stats = this.engine.ruleStats;
    const rules = this.ruleSet.rules.map((rule, i): RuleSampleResult => {
      const needs = this.needs.get(rule)!;
      const error = this.errors.get(rule);
      return {
        rule,
        needs,
        missingFields: needs.fields.filter((f) => !this.presence.has(f)),
        missingCategories: needs.categories.values.filter(
          (v) => !this.presence.hasValue(needs.categories.field, v),
        ),
        inIndex: !this.outside.has(rule),
        matches: stats[i].matches,
        ...(error !== undefined && { error }),
      };
    });
    return { events: this.engine.events, rules };
  }

  /** A sample comes from a few data streams: each is tested against the rules once. */
  private noteIndex(event: Event): void {
    if (this.outside.size === 0) return;
    const index = eventIndex(event);
    if (index !== undefined && this.indexesSeen.has(index)) return;
    if (index !== undefined) this.indexesSeen.add(index);
    for (const rule of this.outside) if (this.indexes.get(rule)!(index)) this.outside.delete(rule);
  }
}
