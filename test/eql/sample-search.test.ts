import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { EVENT_TEXT, type EventWithText, eqlSearch } from "../../src/eql/search.ts";

const QUERIES = [
  "sample by k [a where true] [b where true]",
  "sample by k [a where v > 1] [a where true] [b where true]",
  "sample [a where true] by k [b where true] by j",
];

const eventArb = fc.record({
  "event.category": fc.constantFrom("a", "b", "c"),
  k: fc.constantFrom("x", "y", "é\u0000", null),
  j: fc.constantFrom(1, 2),
  v: fc.integer({ min: 0, max: 4 }),
});

test("property: a sample search over events carrying their text answers as over the parsed events, and holds the text", async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.constantFrom(...QUERIES),
      fc.array(eventArb, { maxLength: 30 }),
      fc.integer({ min: 1, max: 3 }),
      async (query, raw, perKey) => {
        const parsed = raw.map((e, id) => ({ ...e, id }));
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
      },
    ),
    { numRuns: 200 },
  );
});
