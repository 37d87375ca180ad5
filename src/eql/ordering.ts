import { compareKeywords } from "./keyword-order.ts";
import type { Scalar } from "./types.ts";

/**
 * Where an event stands in EQL's total order: by timestamp, then tiebreaker (events
 * without one after those with one), then arrival.
 */
export interface OrderKey {
  /** nanoseconds since the epoch; null when the event has no usable timestamp (sorts last) */
  timestamp: bigint | null;
  tiebreaker: Scalar;
  /** position in the input, across all indices */
  arrival: number;
}

export function compareOrder(a: OrderKey, b: OrderKey): number {
  if (a.timestamp !== b.timestamp) {
    if (a.timestamp === null) return 1;
    if (b.timestamp === null) return -1;
    return a.timestamp < b.timestamp ? -1 : 1;
  }
  const t = compareTiebreakers(a.tiebreaker, b.tiebreaker);
  if (t !== 0) return t;
  return a.arrival - b.arrival;
}

function compareTiebreakers(a: Scalar, b: Scalar): number {
  if (a === b) return 0;
  if (a === null) return 1;
  if (b === null) return -1;
  if (typeof a === "number" && typeof b === "number") return a - b;
  return compareKeywords(String(a), String(b));
}
