import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import type { Event } from "../../src/eql/field-access.ts";
import { createQueryStream, type StreamMatch } from "../../src/eql/query-stream.ts";
import { eqlSearch } from "../../src/eql/search.ts";

/** A sample stream reports, at flush, the samples the batch search finds: same keys, same events. */

const ids = (events: Array<Event | null>) => events.map((e) => (e === null ? -1 : (e.id as number)));

const QUERIES = [
  "sample by k [a where true] [b where true]",
  "sample by k [a where v > 1] [a where true] [b where true]",
  "sample [a where true] by k [b where true] by j",
  "sample by k, j [any where v < 3] [b where true]",
];

const eventArb = fc.record({
  "event.category": fc.constantFrom("a", "b", "c"),
  k: fc.constantFrom("x", "y", "z", null),
  j: fc.constantFrom(1, 2),
  v: fc.integer({ min: 0, max: 4 }),
});

test("sample streams find what the batch sample search finds", async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.constantFrom(...QUERIES),
      fc.array(eventArb, { maxLength: 40 }),
      fc.integer({ min: 1, max: 3 }),
      async (query, raw, perKey) => {
        const events = raw.map((e, id) => ({ ...e, id, "@timestamp": id }));
        const response = await eqlSearch(events, { query, size: 100_000, max_samples_per_key: perKey });
        const expected = (response.hits.sequences ?? []).map((s) => ({
          keys: s.join_keys,
          ids: s.events.map((e) => ("missing" in e ? -1 : (e._source.id as number))),
        }));
        const found: Array<{ keys: unknown[]; ids: number[] }> = [];
        const stream = createQueryStream(query, { maxSamplesPerKey: perKey }, (m: StreamMatch) => {
          if (m.kind === "sequence") found.push({ keys: m.joinKeys, ids: ids(m.events) });
        });
        for (const e of events) stream.push(e);
        stream.flush();
        assert.deepEqual(found, expected);
      },
    ),
    { numRuns: 300 },
  );
});

test("a sample stream holds a bounded number of keys and counts the rest", () => {
  const stream = createQueryStream(
    "sample by k [a where true] [b where true]",
    { maxOpenPartials: 2 },
    () => {},
  );
  for (const k of ["p", "q", "r", "s"]) stream.push({ "event.category": "a", k });
  assert.deepEqual(
    { keys: stream.stats.samples?.keys, dropped: stream.stats.samples?.droppedKeys },
    { keys: 2, dropped: 2 },
  );
});
