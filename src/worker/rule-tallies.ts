import { freshRuleStats, type RuleActivity, type RuleStats } from "../engine/detection-engine.ts";
import type { ExecutableRule } from "../rules/rule-set.ts";
import { RULE_COUNTERS } from "../server/rule-stats-recorder.ts";

/** What engines say about their rules: statistics and activity, one entry per rule and engine. */
export interface RuleTally {
  stats: readonly RuleStats[];
  activity: readonly RuleActivity[];
}

const ACTIVITY_COUNTERS = ["evaluated", "late", "future", "evicted"] as const;
const ACTIVITY = [...ACTIVITY_COUNTERS, "openSequences", "buffered", "deferred", "sampleKeys"] as const;

/**
 * A worker's per-rule metrics: its partitions' engines summed. Partitions come and go (a
 * handover, a fence, a failure), and a counter must not go down when one leaves, so the
 * counters of a runner that ended are kept here; gauges (open sequences, buffered events, a
 * disabled rule) are the live engines' only.
 */
export class RuleTallies {
  private readonly ended = new Map<string, Tally>();

  /** Keeps the counters of engines that stop running. */
  retire(tally: RuleTally): void {
    for (const stats of tally.stats) addCounters(this.entry(stats).stats, stats, RULE_COUNTERS);
    for (const activity of tally.activity) {
      // an engine lists the same rules in both
      const entry = this.ended.get(activity.rule_id);
      if (entry) addCounters(entry.activity, activity, ACTIVITY_COUNTERS);
    }
  }

  /** The rules of the running set, each summed over the ended runners and the live engines. */
  tally(rules: readonly ExecutableRule[], live: readonly RuleTally[]): RuleTally {
    const sums = new Map<string, Tally>();
    for (const { rule } of rules) {
      const ended = this.ended.get(rule.rule_id);
      const sum = emptyTally(rule);
      if (ended) {
        addCounters(sum.stats, ended.stats, RULE_COUNTERS);
        addCounters(sum.activity, ended.activity, ACTIVITY_COUNTERS);
      }
      sums.set(rule.rule_id, sum);
    }
    for (const engine of live) {
      for (const stats of engine.stats) {
        const sum = sums.get(stats.rule_id);
        if (!sum) continue;
        addCounters(sum.stats, stats, RULE_COUNTERS);
        sum.stats.disabled ||= stats.disabled;
      }
      for (const activity of engine.activity) {
        const sum = sums.get(activity.rule_id);
        if (!sum) continue;
        addCounters(sum.activity, activity, ACTIVITY);
      }
    }
    const all = [...sums.values()];
    return { stats: all.map((s) => s.stats), activity: all.map((s) => s.activity) };
  }

  private entry(rule: RuleStats): Tally {
    let entry = this.ended.get(rule.rule_id);
    if (!entry) {
      entry = emptyTally(rule);
      this.ended.set(rule.rule_id, entry);
    }
    return entry;
  }
}

type Tally = { stats: RuleStats; activity: RuleActivity };

function emptyTally(rule: Pick<RuleStats, "rule_id" | "name" | "severity">): Tally {
  return {
    stats: freshRuleStats(rule),
    activity: {
      rule_id: rule.rule_id,
      evaluated: 0,
      openSequences: 0,
      buffered: 0,
      late: 0,
      future: 0,
      evicted: 0,
      deferred: 0,
      sampleKeys: 0,
    },
  };
}

function addCounters<K extends string>(
  into: Record<K, number>,
  from: Record<K, number>,
  keys: readonly K[],
): void {
  for (const key of keys) into[key] += from[key];
}
