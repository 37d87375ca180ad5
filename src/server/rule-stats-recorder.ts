import type { RuleStats } from "../engine/detection-engine.ts";

/** Where counter increments go: AlertStore.addRuleCounters. */
export interface RuleCounterSink {
  addRuleCounters(deltas: readonly RuleStats[]): void;
}

/** The counters of RuleStats (the rest names the rule or is a state). */
export const RULE_COUNTERS = [
  "matches",
  "alerts",
  "overLimit",
  "alertErrors",
  "excepted",
  "filtered",
  "duplicates",
  "suppressed",
  "errors",
] as const;

/**
 * The engine's rule statistics are running totals of one process; the store
 * keeps totals across restarts by adding increments. This remembers what was
 * last recorded and passes on only the difference. A counter lower than last
 * time means the engine started again, and counts from zero.
 */
export class RuleStatsRecorder {
  private readonly previous = new Map<string, RuleStats>();

  constructor(private readonly sink: RuleCounterSink) {}

  /** Records the engine's current statistics (DetectionEngine.ruleStats); call it as often as you like. */
  record(current: readonly RuleStats[]): void {
    const deltas = current.map((stats) => ruleStatsDelta(this.previous.get(stats.rule_id), stats));
    this.sink.addRuleCounters(deltas);
    for (const stats of current) this.previous.set(stats.rule_id, { ...stats });
  }
}

/** What changed between two snapshots of one rule's statistics. */
export function ruleStatsDelta(previous: RuleStats | undefined, current: RuleStats): RuleStats {
  const delta = { ...current };
  if (!previous) return delta;
  const restarted = RULE_COUNTERS.some((key) => current[key] < previous[key]);
  if (restarted) return delta;
  for (const key of RULE_COUNTERS) delta[key] = current[key] - previous[key];
  return delta;
}
