import type { EventQuery } from "../eql/ast.ts";
import type { QueryCompiler } from "../eql/compiler.ts";
import { compileFieldGetter, type Event } from "../eql/field-access.ts";
import { firstScalar } from "../eql/search.ts";
import { parseDateValue } from "../eql/value-compare.ts";

/**
 * All a batch needs of an event a single-event rule matches until the input ends: its time,
 * by the rule's timestamp field. A batch alerts only a rule's newest `max_signals` matches,
 * chosen by time at the end; a match worker reads the hit where it parsed the event, so the
 * main thread holds the match as its text and parses it only if it alerts (a noisy rule
 * matches thousands of events that never do). Plain data, sent between threads.
 */
export interface EventHit {
  time: bigint;
}

/** An event's hit, or null when it does not match the query. It throws what evaluation throws. */
export type EventHitReader = (event: Event) => EventHit | null;

export function eventHitReader(
  compiler: QueryCompiler,
  query: EventQuery,
  timestampField: string,
): EventHitReader {
  const matches = compiler.compileEventQuery(query);
  const time = matchTime(timestampField);
  return (event) => (matches(event) ? { time: time(event) } : null);
}

/** The time a batch orders a rule's matches by: an event without one sorts first. */
export function matchTime(field: string): (event: Event) => bigint {
  const get = compileFieldGetter(field);
  return (event) => parseDateValue(firstScalar(get(event))) ?? UNTIMED;
}

const UNTIMED = -(2n ** 62n);

/** Whether a hit read by a match worker is an event's (or a sequence's). */
export function isEventHit(hit: object): hit is EventHit {
  return "time" in hit;
}
