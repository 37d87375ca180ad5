import assert from "node:assert/strict";
import test from "node:test";
import fc from "fast-check";
import { type JoinKey, joinKeysOf, type KeyReader } from "../../src/eql/correlate/join-key.ts";
import { packSequenceHit, type SequenceHit, unpackKeys } from "../../src/eql/correlate/sequence-hit.ts";
import { compileFieldGetter } from "../../src/eql/field-access.ts";
import type { EqlType } from "../../src/eql/types.ts";

/**
 * A match worker sends a sequence hit's keys as text and the main thread reads them back when
 * it releases the event: they must come back exactly as they were, whatever the key holds —
 * strings with NULs or an `s` of their own, numbers, dates, addresses, nulls of optional
 * fields — and a key of plain strings goes as its id alone.
 */

const text = fc.oneof(
  fc.constantFrom("", "s", "a", "\u0000", "a\u0000sb", "s\u0000", "10.0.0.1", "2026-09-01T08:00:00Z"),
  fc.string({ maxLength: 6 }),
);
const value = fc.oneof(text, fc.constantFrom(0, 7, -1.5, 1788249600000), fc.boolean(), fc.constant(null));
const field = fc.record({
  type: fc.constantFrom<EqlType>("keyword", "keyword", "date", "ip", "long"),
  optional: fc.boolean(),
  value: fc.oneof(
    { weight: 4, arbitrary: value },
    { weight: 1, arbitrary: fc.array(value, { maxLength: 3 }) },
  ),
});

/** The keys of one term: the real ones of an event, or none when the event does not match it. */
const termKeys = fc.option(
  fc.array(field, { minLength: 0, maxLength: 3 }).map((fields): JoinKey[] => {
    const event: Record<string, unknown> = {};
    const readers: KeyReader[] = fields.map((f, i) => {
      event[`f${i}`] = f.value;
      return { get: compileFieldGetter(`f${i}`), optional: f.optional, type: f.type };
    });
    return joinKeysOf(event, readers);
  }),
  { nil: undefined },
);

/** Strings only, each behind an `s` in the id (a date's or an address's shown value is a string too). */
const isPlainStrings = (key: JoinKey) =>
  key.values.length > 0 &&
  key.values.every((v) => typeof v === "string" && !v.includes("\u0000")) &&
  key.id === key.values.map((v) => `s${v}`).join("\u0000");

test("a hit's keys come back from their text as they were", () => {
  fc.assert(
    fc.property(fc.array(termKeys, { minLength: 1, maxLength: 4 }), termKeys, (terms, until) => {
      const hit: SequenceHit = { terms, until, timestamp: 1n, tiebreaker: null };
      const packed = packSequenceHit(hit);
      assert.deepEqual(unpackKeys(packed.keys), { terms, until });
      // a key of strings is written as its id, without its values beside it
      const written = JSON.parse(packed.keys) as [Array<unknown[] | null>, unknown[] | null];
      [...terms, until].forEach((keys, t) => {
        const out = t < terms.length ? written[0][t] : written[1];
        keys?.forEach((key, k) => {
          if (isPlainStrings(key)) assert.equal(out?.[k], key.id);
          else assert.deepEqual(out?.[k], key);
        });
      });
    }),
  );
});
