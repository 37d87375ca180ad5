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
  /**
   * An event without the field has no time for the rule, not its `@timestamp`: the field orders
   * the rule's events (a `timestamp_field` of its own), or the rule's window on it does not fall
   * back. Absent: a window on `timestamp_override`, read on `@timestamp` where the field is missing.
   */
  strictTime?: boolean;
}

export function ruleReach(rule: ExecutableRule): RuleReach {
  const settings = rule.rule as WindowSettings;
  const base = {
    rule_id: rule.rule.rule_id,
    timestampField: rule.query.timestampField,
    hiddenState: false,
    waitsForTime: false,
  };
  // the field the rule orders by takes no event without it
  const ordered = base.timestampField !== "@timestamp" ? { strictTime: true } : {};
  const query = rule.query.statement.query;
  if (query.kind === "EventQuery") return { ...base, reachNs: 0n };
  // The window, read where Kibana reads it: an agent's backlog ingested together is one run's
  // whatever its events' dates, and a restart must replay as much of it.
  const onEventTime = windowsOnEventTime(settings, base.timestampField);
  const window = {
    ...base,
    ...(onEventTime ? ordered : settings.timestamp_override_fallback_disabled ? { strictTime: true } : {}),
    timestampField: onEventTime ? base.timestampField : settings.timestamp_override!,
    reachNs: windowLength(settings),
  };
  if (query.kind === "SampleQuery") return window;
  const span = streamSpanNs(rule);
  // unbounded in event time: only the window, on ingestion, bounds what one run finds
  if (span === undefined) return window;
  const missing = query.terms.some((t) => t.missing);
  const trailing = query.terms.length > 0 && query.terms[query.terms.length - 1].missing;
  // Missing-event checks look up to maxspan beyond a chain that is itself up to maxspan long.
  return {
    ...base,
    ...ordered,
    reachNs: missing ? 2n * span : span,
    hiddenState: missing,
    waitsForTime: trailing,
  };
}

/** Marks a reach key whose field has no fallback (RuleReach.strictTime): field names hold no NUL. */
const STRICT = "\u0000";

/**
 * The key a reach's times are noted and compared under (the checkpoint planner's and the held
 * events' fields): its field, marked when an event without it has no time for the rule, so
 * that a field one rule orders by and another is windowed on are read apart.
 */
export function reachKey(reach: Pick<RuleReach, "timestampField" | "strictTime">): string {
  return reach.strictTime ? `${reach.timestampField}${STRICT}` : reach.timestampField;
}

/**
 * An event's time under a reach key (ns), as the rules read it: an event without the field (an
 * `event.ingested` serve was told not to stamp) is windowed on `@timestamp`, as Kibana falls
 * back; under a strict key (a field the rule orders by, or a window without the fallback) it has
 * none. Reading another source's `@timestamp` there would move the field's newest time, and
 * the checkpoint past the events of open sequences.
 */
export function reachTime(key: string): (event: Event) => bigint | null {
  if (key.endsWith(STRICT))
    return compileWindowTime({
      timestamp_override: key.slice(0, -1),
      timestamp_override_fallback_disabled: true,
    });
  return compileWindowTime({ timestamp_override: key });
}
