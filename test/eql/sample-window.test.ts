import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import type { Event } from "../../src/eql/field-access.ts";
import { createQueryStream, type StreamMatch } from "../../src/eql/query-stream.ts";
import { eqlSearch } from "../../src/eql/search.ts";

/**
 * A sample stream over a moving window (as `serve` and workers run sample rules) reports a
 * sample as soon as it exists, again only when its events leave the window, and forgets keys
 * with nothing left in it.
 */

const SECOND = 1_000_000_000n;
type Reported = { keys: unknown[]; ids: number[] };

function windowStream(query: string, windowNs: bigint, perKey = 1) {
  const found: Reported[] = [];
  const stream = createQueryStream(
    query,
    { sampleWindowNs: windowNs, maxSamplesPerKey: perKey },
    (m: StreamMatch) => {
      if (m.kind === "sequence") found.push({ keys: m.joinKeys, ids: m.events.map((e) => e!.id as number) });
    },
  );
  let id = 0;
  const push = (category: string, k: string, seconds: number) =>
    stream.push({ id: id++, "event.category": category, k, "@timestamp": seconds * 1000 });
  return { stream, found, push };
}

test("a windowed sample is reported once when it completes, and again only as its events leave the window", () => {
  const { stream, found, push } = windowStream("sample by k [a where true] [b where true]", 10n * SECOND);
  push("a", "x", 0); // 0
  assert.deepEqual(found, []);
  push("b", "x", 1); // 1
  assert.deepEqual(found, [{ keys: ["x"], ids: [0, 1] }]);
  push("a", "x", 2); // 2: the first sample is still the same one
  push("b", "y", 3); // 3
  assert.equal(found.length, 1);
  push("c", "z", 11); // 4: event 0 left the window; 2 and 1 make the run's first sample now
  assert.deepEqual(found.slice(1), [{ keys: ["x"], ids: [2, 1] }]);
  push("c", "z", 13); // 5: events 1 and 2 left too: x is forgotten, y keeps event 3
  assert.equal(found.length, 2);
  assert.equal(stream.stats.samples?.keys, 1);
  push("c", "z", 30); // 6: nothing of x or y is left
  assert.equal(stream.stats.samples?.keys, 0);
  push("a", "x", 5); // 7: older than the window
  assert.equal(stream.stats.late, 1);
  push("b", "x", 31); // 8
  assert.equal(found.length, 2, "the late event is not taken");
  stream.flush();
  assert.equal(found.length, 2, "a flush reports nothing already reported");
});

test("an event that fits two terms: the sample reported stays the key's one while its events are in the window", () => {
  const { found, push } = windowStream(
    'sample by k [any where event.category in ("ab", "a")] [any where event.category in ("ab", "b")]',
    10n * SECOND,
  );
  push("ab", "x", 0); // 0: both terms, but a sample is of distinct events
  push("a", "x", 1); // 1: the first sample is 1 and 0
  assert.deepEqual(found, [{ keys: ["x"], ids: [1, 0] }]);
  // 2: the first sample of the events so far is 0 and 2 now, but 1 and 0 are still in the
  // window: max_samples_per_key (1) are reported for the key already
  push("b", "x", 2);
  assert.deepEqual(found, [{ keys: ["x"], ids: [1, 0] }]);
  push("c", "x", 10.5); // 3: event 0 left the window; 1 and 2 make the key's sample now
  assert.deepEqual(found.slice(1), [{ keys: ["x"], ids: [1, 2] }]);
});

test("events that come while a key's slots are held take their place when the held ones leave", () => {
  const { found, push } = windowStream("sample by k [a where true] [b where true]", 10n * SECOND);
  for (let s = 0; s < 10; s++) push("a", "x", s); // 0..9: 0 and 1 held, 8 and 9 kept aside
  push("b", "x", 12); // 10: 0 and 1 left the window; 8 and 9 took their place
  assert.deepEqual(found, [{ keys: ["x"], ids: [8, 10] }]);
});

const QUERIES = [
  "sample by k [a where true] [b where true]",
  "sample by k [a where v > 1] [b where true] [c where true]",
  "sample [a where true] by k [b where true] by j",
];

const eventArb = fc.record({
  "event.category": fc.constantFrom("a", "b", "c"),
  k: fc.constantFrom("x", "y", "z"),
  j: fc.constantFrom("x", "y"),
  v: fc.integer({ min: 0, max: 4 }),
  gap: fc.constantFrom(0, 1, 1, 2, 5),
});

test("every windowed sample is one the batch search finds in a window, and each window's samples are reported", async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.constantFrom(...QUERIES),
      fc.array(eventArb, { maxLength: 60 }),
      fc.integer({ min: 4, max: 20 }),
      fc.integer({ min: 1, max: 2 }),
      async (query, raw, windowSeconds, perKey) => {
        let t = 0;
        const events: Event[] = raw.map(({ gap, ...e }, id) => {
          t += gap;
          return { ...e, id, "@timestamp": t * 1000 };
        });
        const windowNs = BigInt(windowSeconds) * SECOND;
        const found: Array<Reported & { at: number }> = [];
        let at = 0;
        const stream = createQueryStream(
          query,
          { sampleWindowNs: windowNs, maxSamplesPerKey: perKey },
          (m: StreamMatch) => {
            if (m.kind === "sequence")
              found.push({ keys: m.joinKeys, ids: m.events.map((e) => e!.id as number), at });
          },
        );
        const seconds = (id: number) => (events[id]["@timestamp"] as number) / 1000;
        // keys are swept every eighth of a window: a sample may use events that left it that long ago
        const slack = windowSeconds / 8;
        for (at = 0; at < events.length; at++) {
          stream.push(events[at]);
          const now = seconds(at);
          const inWindow = events
            .slice(0, at + 1)
            .filter((e) => (e["@timestamp"] as number) / 1000 >= now - windowSeconds);
          const response = await eqlSearch(inWindow, { query, size: 100_000, max_samples_per_key: perKey });
          for (const sample of response.hits.sequences ?? []) {
            const covered = found.some(
              (f) =>
                JSON.stringify(f.keys) === JSON.stringify(sample.join_keys) &&
                f.ids.every((id) => seconds(id) >= now - windowSeconds - slack),
            );
            assert.ok(covered, `window ending at ${now}s: key ${JSON.stringify(sample.join_keys)} reported`);
          }
        }
        const seen = new Set<string>();
        for (const f of found) {
          const signature = JSON.stringify([f.keys, f.ids]);
          assert.ok(!seen.has(signature), `reported once: ${signature}`);
          seen.add(signature);
          assert.equal(new Set(f.ids).size, f.ids.length, "distinct events");
          const times = f.ids.map(seconds);
          assert.ok(Math.max(...times) - Math.min(...times) <= windowSeconds + slack, "within one window");
          // the sample is one the batch search finds among the events it is made of
          const alone = await eqlSearch(
            f.ids.map((id) => events[id]),
            { query, size: 100_000, max_samples_per_key: 100 },
          );
          assert.ok(
            (alone.hits.sequences ?? []).some(
              (s) =>
                JSON.stringify(s.join_keys) === JSON.stringify(f.keys) &&
                JSON.stringify(s.events.map((e) => ("missing" in e ? -1 : e._source.id))) ===
                  JSON.stringify(f.ids),
            ),
            `a valid sample: ${JSON.stringify(f)}`,
          );
        }
      },
    ),
    { numRuns: 150 },
  );
});
