import type { SequenceQuery, Statement } from "../eql/ast.ts";
import { timeUnitToNanos } from "../eql/timestamp.ts";
import { type WindowSettings, windowLength, windowsOnEventTime } from "./window.ts";

/** What the span of a rule's sequences depends on: its window settings and its query. */
export interface SpannedRule {
  rule: WindowSettings;
  query: { timestampField: string; statement: Statement };
}

/**
 * The longest a rule's sequences may span (ns) in a stream (`scan --follow`, serve, the
 * worker), as the runs of a Kibana rule find them: every event of a run's match lies within
 * its window (`from` to `to`, the look-back included), so where the window is read on the time
 * sequences are ordered by, no sequence spans more than the window, whatever its `maxspan`.
 * With `timestamp_override` the window bounds ingestion, not event time: `maxspan` alone
 * bounds the span, and without one nothing does (undefined). Not a sequence: undefined.
 */
export function streamSpanNs(rule: SpannedRule): bigint | undefined {
  const query = rule.query.statement.query;
  if (query.kind !== "SequenceQuery") return undefined;
  const maxspan = maxspanNs(query);
  if (!windowsOnEventTime(rule.rule, rule.query.timestampField)) return maxspan;
  const window = windowLength(rule.rule);
  return maxspan !== undefined && maxspan < window ? maxspan : window;
}

/**
 * A `maxspan` longer than the rule's window, which cuts it in a stream (streamSpanNs): what
 * the rule's load warning says. Undefined when the window does not bound the span.
 */
export function maxspanBeyondWindow(rule: SpannedRule): { maxspanNs: bigint; windowNs: bigint } | undefined {
  const query = rule.query.statement.query;
  if (query.kind !== "SequenceQuery") return undefined;
  const maxspan = maxspanNs(query);
  if (maxspan === undefined || !windowsOnEventTime(rule.rule, rule.query.timestampField)) return undefined;
  const window = windowLength(rule.rule);
  return maxspan > window ? { maxspanNs: maxspan, windowNs: window } : undefined;
}

function maxspanNs(query: SequenceQuery): bigint | undefined {
  return query.maxspan ? timeUnitToNanos(query.maxspan.value, query.maxspan.unit) : undefined;
}
