import { streamSpanNs } from "../engine/stream-span.ts";
import {
  compileWindowTime,
  type WindowSettings,
  windowLength,
  windowsOnEventTime,
} from "../engine/window.ts";
import type { Event } from "../eql/field-access.ts";
import type { ExecutableRule } from "../rules/rule-set.ts";

/**
 * How far back in event time a rule can still use an event, for the write-ahead log's
 * checkpoint: an event older than the newest event seen by more than the rule's reach
 * (plus the allowed lateness) can no longer take part in one of its alerts.
 */
export interface RuleReach {
  rule_id: string;
  /**
   * the field the reach is measured on: the one the rule's sequences are ordered by, or for
   * a rule windowed on its `timestamp_override` with nothing else to bound it (a sample, a
   * sequence without maxspan), that field
   */
  timestampField: string;
  /** nanoseconds; 0 for single-event rules, which hold nothing */
  reachNs: bigint;
  /**
   * The rule keeps state its counters do not show: a sequence with a missing event
   * `![...]` remembers when the missing events happened. "Holds nothing" is never
   * certain for it; only its reach is.
   */
  hiddenState: boolean;
  /** a trailing missing event: the rule's streams wait for time to pass and are never flushed early */
  waitsForTime: boolean;
}

export function ruleReach(rule: ExecutableRule): RuleReach {
  const settings = rule.rule as WindowSettings;
  const base = {
    rule_id: rule.rule.rule_id,
    timestampField: rule.query.timestampField,
    hiddenState: false,
    waitsForTime: false,
  };
  const query = rule.query.statement.query;
  if (query.kind === "EventQuery") return { ...base, reachNs: 0n };
  // The window, read where Kibana reads it: an agent's backlog ingested together is one run's
  // whatever its events' dates, and a restart must replay as much of it.
  const window = {
    ...base,
    timestampField: windowsOnEventTime(settings, base.timestampField)
      ? base.timestampField
      : settings.timestamp_override!,
    reachNs: windowLength(settings),
  };
  if (query.kind === "SampleQuery") return window;
  const span = streamSpanNs(rule);
  // unbounded in event time: only the window, on ingestion, bounds what one run finds
  if (span === undefined) return window;
  const missing = query.terms.some((t) => t.missing);
  const trailing = query.terms.length > 0 && query.terms[query.terms.length - 1].missing;
  // Missing-event checks look up to maxspan beyond a chain that is itself up to maxspan long.
  return { ...base, reachNs: missing ? 2n * span : span, hiddenState: missing, waitsForTime: trailing };
}

/**
 * An event's time in a reach's field (ns), as the rules' windows read it: an event without the
 * field (an `event.ingested` serve was told not to stamp) is windowed on `@timestamp`, as Kibana
 * falls back. For the field sequences are ordered by, such an event takes part in none: reading
 * its `@timestamp` only keeps its batch a little longer.
 */
export function reachTime(field: string): (event: Event) => bigint | null {
  return compileWindowTime({ timestamp_override: field });
}
