import assert from "node:assert/strict";
import test from "node:test";
import fc from "fast-check";
import { ReorderBuffer } from "../../src/eql/correlate/reorder-buffer.ts";
import { compareOrder, type OrderKey } from "../../src/eql/ordering.ts";

/**
 * The reorder buffer appends while nothing can be released and becomes a heap when
 * something must be: either way it must release exactly what a plain sorted list would, in
 * the same order, with the same items late or forced out, flushes anywhere.
 */

type Item = { order: OrderKey & { timestamp: bigint }; id: number };

/** The definition: a list kept sorted, the oldest released while the watermark has passed it or the list is full. */
function model(latenessNs: bigint, capacity: number) {
  const held: Item[] = [];
  const out: number[] = [];
  let newest: bigint | null = null;
  let released: OrderKey | null = null;
  let late = 0;
  let forced = 0;
  const releaseFirst = () => {
    const item = held.shift()!;
    released = item.order;
    out.push(item.id);
  };
  return {
    push(item: Item) {
      if (released && compareOrder(item.order, released) < 0) {
        late++;
        return;
      }
      if (newest === null || item.order.timestamp > newest) newest = item.order.timestamp;
      held.push(item);
      held.sort((a, b) => compareOrder(a.order, b.order));
      const watermark = newest - latenessNs;
      while (held.length && (held[0].order.timestamp <= watermark || held.length > capacity)) {
        if (held[0].order.timestamp > watermark) forced++;
        releaseFirst();
      }
    },
    flush() {
      while (held.length) releaseFirst();
    },
    result: () => ({ out, late, forced }),
  };
}

const step = fc.oneof(
  { weight: 9, arbitrary: fc.tuple(fc.integer({ min: 0, max: 40 }), fc.constantFrom(null, 1, 2, "a")) },
  { weight: 1, arbitrary: fc.constant("flush" as const) },
);

test("the reorder buffer releases what a sorted list would, in its order", () => {
  fc.assert(
    fc.property(
      fc.array(step, { maxLength: 60 }),
      fc.constantFrom(0n, 3n, 10n, BigInt(Number.MAX_SAFE_INTEGER) * 1_000_000n),
      fc.constantFrom(1, 4, 1000),
      (steps, lateness, capacity) => {
        const expected = model(lateness, capacity);
        const out: number[] = [];
        const buffer = new ReorderBuffer<Item>(lateness, capacity, (item) => out.push(item.id));
        steps.forEach((s, id) => {
          if (s === "flush") {
            expected.flush();
            buffer.flush();
            return;
          }
          const item: Item = { order: { timestamp: BigInt(s[0]), tiebreaker: s[1], arrival: id }, id };
          expected.push(item);
          buffer.push(item);
        });
        expected.flush();
        buffer.flush();
        assert.deepEqual({ out, late: buffer.late, forced: buffer.forced }, expected.result());
      },
    ),
    { numRuns: 3000 },
  );
});
