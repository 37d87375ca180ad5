/**
 * How far ahead of the wall clock an event's time may be and still be taken as now, in
 * follow mode. A stream orders sequences and samples by event time, behind a watermark that
 * the newest event moves: one event dated years ahead (a host with a broken clock, a typo'd
 * year, a hostile sender) would move it there for good, expiring every partial sequence and
 * making every later event late. Kibana sees such an event only once its own clock reaches
 * the event's time, so a stream leaves it out of sequences and samples (counted), and the
 * watermark stays within this much of the clock.
 *
 * One minute: hosts kept by NTP agree to well under a second, and a host left to drift gains
 * seconds a day; an event further ahead comes from a clock that is wrong, not skewed. It is
 * also as long as the rules can be blinded by a sender that runs ahead within it, which moves
 * the watermark as far.
 */
export const FUTURE_TOLERANCE_MS = 60_000;

const MS = 1_000_000n;

/** The latest event time (ns) taken as now when the wall clock reads `clockMs`. */
export function latestEventTime(clockMs: number): bigint {
  return BigInt(Math.floor(clockMs) + FUTURE_TOLERANCE_MS) * MS;
}

/** An event time (ns) for a message: a date so far ahead that a Date cannot hold it is said in ns. */
export function eventTimeText(ns: bigint): string {
  const date = new Date(Number(ns / MS));
  return Number.isNaN(date.getTime()) ? `${ns} ns since the epoch` : date.toISOString();
}

/** Whether an event of time `ns` lies beyond the tolerance ahead of the wall clock `clockMs`. */
export function isFutureDated(ns: bigint, clockMs: number): boolean {
  return ns > latestEventTime(clockMs);
}
