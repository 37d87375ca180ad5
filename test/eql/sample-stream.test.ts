import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import type { Event } from "../../src/eql/field-access.ts";
import { createQueryStream, type StreamMatch } from "../../src/eql/query-stream.ts";
import { EVENT_TEXT, type EventWithText, eqlSearch } from "../../src/eql/search.ts";

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

/** Checks `property` on a query of QUERIES over up to 40 events numbered by `id`, with 1–3 samples per key. */
const forSampleSearches = (
  runs: number,
  property: (query: string, events: Event[], perKey: number) => Promise<void>,
) =>
  fc.assert(
    fc.asyncProperty(
      fc.constantFrom(...QUERIES),
      fc.array(eventArb, { maxLength: 40 }),
      fc.integer({ min: 1, max: 3 }),
      (query, raw, perKey) =>
        property(
          query,
          raw.map((e, id) => ({ ...e, id, "@timestamp": id })),
          perKey,
        ),
    ),
    { numRuns: runs },
  );

test("sample streams find what the batch sample search finds", async () => {
  await forSampleSearches(300, async (query, events, perKey) => {
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
  });
});

test("property: a sample search over events carrying their text answers as over the parsed events, and holds the text", async () => {
  await forSampleSearches(200, async (query, parsed, perKey) => {
    const withText = parsed.map((e) => {
      const event: EventWithText = { ...e };
      // the text as a reader would give it: spacing and a line end around the JSON
      event[EVENT_TEXT] = ` ${JSON.stringify(e)}\r`;
      return event;
    });
    const request = { query, size: 100_000, max_samples_per_key: perKey };
    const expected = await eqlSearch(parsed, request);
    const found = await eqlSearch(withText, request);
    assert.deepEqual({ ...found, took: 0 }, { ...expected, took: 0 });
    // each event returned was parsed again from its text, not the object that carried it
    for (const sample of found.hits.sequences ?? []) {
      for (const hit of sample.events) {
        if ("missing" in hit) continue;
        assert.ok(!withText.includes(hit._source as EventWithText), "an event parsed from its text");
      }
    }
  });
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
