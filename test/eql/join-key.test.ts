import assert from "node:assert/strict";
import test from "node:test";
import fc from "fast-check";
import { type JoinKey, joinKeysOf, type KeyReader } from "../../src/eql/correlate/join-key.ts";
import { compileFieldGetter } from "../../src/eql/field-access.ts";
import type { EqlType, Scalar } from "../../src/eql/types.ts";

/**
 * Join keys are built directly when every key field holds one value, and as combinations
 * otherwise: both must give what the definition says — each distinct value of a field a key
 * of its own, several fields their product, a missing value excluding the event unless the
 * key is optional.
 */

const scalar = fc.oneof(
  fc.constantFrom("a", "b", "10.0.0.1", "::1", "2026-09-01T08:00:00Z", "not a date"),
  fc.constantFrom(1, 2, 1788249600000),
  fc.boolean(),
  fc.constant(null),
);
const value = fc.oneof(
  { weight: 3, arbitrary: scalar },
  { weight: 1, arbitrary: fc.array(scalar, { maxLength: 3 }) },
  { weight: 1, arbitrary: fc.constant({ nested: 1 }) },
  { weight: 1, arbitrary: fc.constant(undefined) },
);
const reader = fc.record({
  type: fc.constantFrom<EqlType>("keyword", "date", "ip", "long", "unknown"),
  optional: fc.boolean(),
});

/** The definition, as the combinations path follows it. */
function expected(event: Record<string, unknown>, readers: KeyReader[]): JoinKey[] {
  let combos: JoinKey[] = [{ id: "", values: [] }];
  readers.forEach((r, i) => {
    // the key of one field alone comes from the implementation, value by value
    const parts: Array<{ id: string; shown: Scalar }> = [];
    const raw = r.get(event);
    const list = Array.isArray(raw) ? raw.flat(Number.POSITIVE_INFINITY) : [raw];
    for (const v of list) {
      if (v === undefined || v === null || typeof v === "object") continue;
      const [one] = joinKeysOf(
        { v },
        [{ ...r, get: compileFieldGetter("v"), optional: false }],
        "epoch_millis",
      );
      if (one && !parts.some((p) => p.id === one.id)) parts.push({ id: one.id, shown: one.values[0] });
    }
    if (parts.length === 0) {
      if (!r.optional) combos = [];
      else parts.push({ id: "z", shown: null });
    }
    combos = combos.flatMap((c) =>
      parts.map((p) => ({ id: i === 0 ? p.id : `${c.id}\u0000${p.id}`, values: [...c.values, p.shown] })),
    );
  });
  return combos;
}

test("the keys of an event: one per combination of the distinct values of its key fields", () => {
  fc.assert(
    fc.property(fc.array(fc.tuple(value, reader), { minLength: 1, maxLength: 3 }), (fields) => {
      const event: Record<string, unknown> = {};
      const readers: KeyReader[] = fields.map(([v, r], i) => {
        event[`k${i}`] = v;
        return { ...r, get: compileFieldGetter(`k${i}`) };
      });
      assert.deepEqual(joinKeysOf(event, readers, "epoch_millis"), expected(event, readers));
    }),
    { numRuns: 3000 },
  );
});
