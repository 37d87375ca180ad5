/**
 * How far back in the events stream a new owner must start so that its rules hold, at the
 * checkpoint, what the former owner's held. A replay by time starts from the stream's *store*
 * time, while rules reach back in *event* time, so the look-back of a rule is its reach (the
 * write-ahead log's: maxspan, twice that with missing events, the rule window for sequences
 * without maxspan and for samples) plus the allowed lateness plus how late an event may be
 * stored after it happened (the ingest lag).
 *
 * A look-back longer than the replay limit is not rebuilt by replaying: such rules are "long",
 * and their held events are snapshotted at checkpoints instead.
 */
import { type SuppressionConfig, suppressionWindowNs } from "../engine/suppression.ts";
import { type WindowSettings, windowLength } from "../engine/window.ts";
import type { ExecutableRule } from "../rules/rule-set.ts";
import { ruleReach } from "../server/rule-reach.ts";

export interface LookbackSettings {
  allowedLatenessMs: number;
  /** the longest delay between an event's time and its storage in the events stream */
  ingestLagMs: number;
  /** look-backs beyond this are restored from snapshots, not replayed */
  replayLimitMs: number;
}

export interface RuleLookback {
  rule_id: string;
  name: string;
  /** event time a rule may still use, ms; 0 for rules that hold nothing between events */
  reachMs: number;
  /** store time to replay, ms: reach + lateness + ingest lag, or 0 */
  lookbackMs: number;
  long: boolean;
}

const NS_PER_MS = 1_000_000n;

export function ruleLookback(rule: ExecutableRule, settings: LookbackSettings): RuleLookback {
  const reachMs = Number(reachNs(rule) / NS_PER_MS);
  const lookbackMs = reachMs > 0 ? reachMs + settings.allowedLatenessMs + settings.ingestLagMs : 0;
  return {
    rule_id: rule.rule.rule_id,
    name: rule.rule.name,
    reachMs,
    lookbackMs,
    long: lookbackMs > settings.replayLimitMs,
  };
}

/**
 * A single-event rule holds nothing, unless it suppresses alerts: then it remembers each group
 * for the suppression duration (for the rest of the run without one, bounded here like a
 * sequence without maxspan, by the rule window).
 */
function reachNs(rule: ExecutableRule): bigint {
  const reach = ruleReach(rule).reachNs;
  const suppression = rule.rule.alert_suppression as SuppressionConfig | undefined;
  if (!suppression || rule.query.statement.query.kind !== "EventQuery") return reach;
  return suppressionWindowNs(suppression) ?? windowLength(rule.rule as WindowSettings);
}

/**
 * The replay a takeover needs: the longest look-back among the rules it rebuilds by replay.
 * Long rules rebuild from a snapshot when there is a usable one; without, they get what the
 * replay limit allows (older state is lost, and reported).
 */
export function replayLookbackMs(
  lookbacks: readonly RuleLookback[],
  settings: LookbackSettings,
  snapshotUsable: boolean,
): number {
  let longest = 0;
  for (const l of lookbacks) {
    const need = l.long ? (snapshotUsable ? 0 : settings.replayLimitMs) : l.lookbackMs;
    longest = Math.max(longest, need);
  }
  return longest;
}
