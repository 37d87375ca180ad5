import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import fc from "fast-check";
import { SpillBudget } from "../../src/eql/correlate/spill.ts";
import type { Event } from "../../src/eql/field-access.ts";
import { createQueryStream, type StreamMatch } from "../../src/eql/query-stream.ts";
import { eqlSearch } from "../../src/eql/search.ts";

/** Sequences as lists of event ids (missing events as -1), in a canonical order. */
const canonical = (sequences: number[][]) => sequences.map((s) => s.join(",")).sort();

async function batch(query: string, events: Event[]): Promise<number[][]> {
  const r = await eqlSearch(events, {
    query,
    size: 100_000,
    tiebreaker_field: "id",
    result_position: "head",
  });
  return (r.hits.sequences ?? []).map((s) =>
    s.events.map((e) => ("missing" in e ? -1 : (e._source.id as number))),
  );
}

function stream(query: string, arrivals: Event[], allowedLatenessMs: number, horizonMs?: number): number[][] {
  const found: number[][] = [];
  const options = { tiebreakerField: "id", allowedLatenessMs, horizonMs };
  const s = createQueryStream(query, options, (m: StreamMatch) => {
    if (m.kind === "sequence") found.push(m.events.map((e) => (e === null ? -1 : (e.id as number))));
  });
  for (const e of arrivals) s.push(e);
  s.flush();
  assert.equal(s.stats.late, 0, "no event arrived beyond the allowed lateness");
  return found;
}

const inTimeOrder = (events: Event[]) =>
  [...events].sort((x, y) => (x["@timestamp"] as number) - (y["@timestamp"] as number));

const QUERIES = [
  "sequence [a where true] [b where true]",
  "sequence by k [a where true] [b where true] [c where true]",
  "sequence by k with maxspan=5ms [a where v > 1] [b where true]",
  "sequence with maxspan=8ms [a where true] by k [b where true] by k until [c where true] by k",
  "sequence by k [a where true] with runs=2 [b where true]",
  "sequence by k with maxspan=6ms [a where true] ![c where true] [b where true]",
  "sequence by k with maxspan=6ms ![c where true] [a where true] [b where true]",
  "sequence by k with maxspan=6ms [a where true] [b where true] ![c where true]",
  "sequence by k with maxspan=10ms ![c where true] [a where true] ![b where true]",
];

const event = fc.record({
  cat: fc.constantFrom("a", "b", "c"),
  k: fc.constantFrom("x", "y", null),
  v: fc.integer({ min: 0, max: 3 }),
  ts: fc.integer({ min: 0, max: 40 }),
  jitter: fc.double({ min: 0, max: 0.999, noNaN: true }),
});

test("property: a stream shuffled within the allowed lateness finds exactly the batch result", async () => {
  const lateness = 4;
  await fc.assert(
    fc.asyncProperty(fc.constantFrom(...QUERIES), fc.array(event, { maxLength: 40 }), async (query, raw) => {
      const events: Event[] = raw.map((r, id) => ({
        id,
        "@timestamp": r.ts,
        event: { category: r.cat },
        ...(r.k === null ? {} : { k: r.k }),
        v: r.v,
      }));
      // Each event arrives at most `lateness` ms after events newer than it.
      const arrivals = events
        .map((e, i) => ({ e, at: (e["@timestamp"] as number) + raw[i].jitter * lateness }))
        .sort((x, y) => x.at - y.at)
        .map((x) => x.e);
      assert.deepEqual(
        canonical(stream(query, arrivals, lateness)),
        canonical(await batch(query, events)),
        query,
      );
    }),
    { numRuns: 400 },
  );
});

test("property: a horizon shorter than maxspan finds what the query with that maxspan finds, missing events included", async () => {
  const horizon = 3;
  await fc.assert(
    fc.asyncProperty(
      fc.constantFrom(...QUERIES.filter((q) => q.includes("maxspan"))),
      fc.array(event, { maxLength: 40 }),
      async (query, raw) => {
        const events: Event[] = raw.map((r, id) => ({
          id,
          "@timestamp": r.ts,
          event: { category: r.cat },
          ...(r.k === null ? {} : { k: r.k }),
          v: r.v,
        }));
        const cut = query.replace(/maxspan=\d+ms/, `maxspan=${horizon}ms`);
        assert.deepEqual(
          canonical(stream(query, inTimeOrder(events), 0, horizon)),
          canonical(await batch(cut, events)),
          query,
        );
      },
    ),
    { numRuns: 300 },
  );
});

test("events later than the allowed lateness are counted, not silently merged", () => {
  const s = createQueryStream("sequence [a where true] [b where true]", { allowedLatenessMs: 1 }, () => {});
  s.push({ "@timestamp": 10, event: { category: "a" } });
  s.push({ "@timestamp": 20, event: { category: "b" } });
  s.push({ "@timestamp": 5, event: { category: "a" } });
  assert.equal(s.stats.late, 1);
});

test("maxspan bounds memory: partial sequences expire as time passes", () => {
  const s = createQueryStream("sequence by k with maxspan=10ms [a where true] [b where true]", {}, () => {});
  for (let i = 0; i < 10_000; i++) s.push({ "@timestamp": i, k: `key-${i}`, event: { category: "a" } });
  const open = s.stats.sequences!.open;
  assert.ok(open <= 300, `open partials should stay near maxspan's worth of keys, got ${open}`);
  assert.ok(s.stats.sequences!.expired >= 9_000);
});

test("the cap on open partial sequences evicts the stalest keys and counts them", () => {
  const s = createQueryStream(
    "sequence by k [a where true] [b where true]",
    { maxOpenPartials: 100 },
    () => {},
  );
  for (let i = 0; i < 1000; i++) s.push({ "@timestamp": i, k: `key-${i}`, event: { category: "a" } });
  assert.ok(s.stats.sequences!.open <= 100);
  assert.equal(s.stats.sequences!.evicted, 900);
});

test("a horizon expires partial sequences of queries without maxspan", () => {
  const s = createQueryStream("sequence by k [a where true] [b where true]", { horizonMs: 50 }, () => {});
  for (let i = 0; i < 5000; i++) s.push({ "@timestamp": i, k: `key-${i}`, event: { category: "a" } });
  assert.ok(s.stats.sequences!.open < 400, `open: ${s.stats.sequences!.open}`);
});

test("event queries stream immediately; evaluation errors are reported per event", () => {
  const matches: StreamMatch[] = [];
  const errors: unknown[] = [];
  const s = createQueryStream(
    "any where n + 1 > 2",
    {},
    (m) => matches.push(m),
    (e) => errors.push(e),
  );
  s.push({ n: 5 });
  s.push({ n: 2 ** 31 - 1 });
  s.push({ n: 1 });
  assert.equal(matches.length, 2, "the long addition does not overflow a 64-bit long");
  assert.equal(errors.length, 0);
});

test("tags pushed with events come back with their matches", () => {
  const seen: Array<string | null> = [];
  const s = createQueryStream<string>(
    "sequence by k with maxspan=1s [a where true] ![c where true] [b where true]",
    {},
    (m) => {
      if (m.kind === "sequence") seen.push(...m.tags);
    },
  );
  s.push({ "@timestamp": 1, k: 1, event: { category: "a" } }, "file.ndjson:1");
  s.push({ "@timestamp": 2, k: 1, event: { category: "b" } }, "file.ndjson:2");
  s.flush();
  assert.deepEqual(seen, ["file.ndjson:1", null, "file.ndjson:2"]);
});

test("property: a batch stream that spills past a budget of a few events finds what one without a budget finds, in the same order", () => {
  const parent = mkdtempSync(join(tmpdir(), "eqlite-spill-stream-"));
  const run = (query: string, events: Event[], budget?: SpillBudget) => {
    const found: string[] = [];
    const s = createQueryStream<string>(
      query,
      {
        tiebreakerField: "id",
        allowedLatenessMs: Number.MAX_SAFE_INTEGER,
        spill: budget && { budget, tag: { encode: (tag) => tag, decode: (value) => value as string } },
      },
      (m) => {
        if (m.kind === "sequence") found.push(JSON.stringify([m.joinKeys, m.events, m.tags]));
      },
    );
    for (const [i, e] of events.entries()) s.push(e, `line ${i}`);
    s.flush();
    return found;
  };
  try {
    fc.assert(
      fc.property(
        fc.constantFrom(...QUERIES),
        // any order at all: a batch puts everything in order at its end
        fc.array(event, { maxLength: 40 }),
        fc.integer({ min: 1, max: 6 }),
        (query, raw, limit) => {
          const events: Event[] = raw.map((r, id) => ({
            id,
            "@timestamp": r.ts,
            event: { category: r.cat },
            ...(r.k === null ? {} : { k: r.k === "y" ? "__proto__" : r.k }),
            v: r.v,
          }));
          const budget = new SpillBudget(limit, parent);
          try {
            assert.deepEqual(run(query, events, budget), run(query, events), query);
          } finally {
            budget.close();
          }
        },
      ),
      { numRuns: 300 },
    );
  } finally {
    rmSync(parent, { recursive: true, force: true });
  }
});

test("an event that went to disk still ends sequences as an until event", () => {
  const found = (budget?: SpillBudget) => {
    let sequences = 0;
    const s = createQueryStream<string>(
      "sequence with maxspan=8ms [a where true] by k [b where true] by k until [c where true] by k",
      {
        allowedLatenessMs: Number.MAX_SAFE_INTEGER,
        spill: budget && { budget, tag: { encode: (tag) => tag, decode: (value) => value as string } },
      },
      () => sequences++,
    );
    s.push({ "@timestamp": 1, k: "x", event: { category: "a" } }, "1");
    s.push({ "@timestamp": 2, k: "x", event: { category: "c" } }, "2");
    s.push({ "@timestamp": 3, k: "x", event: { category: "b" } }, "3");
    s.flush();
    return sequences;
  };
  const budget = new SpillBudget(1);
  try {
    assert.equal(found(budget), 0);
    assert.ok(budget.stats.items >= 2, "the a and c events went to disk");
  } finally {
    budget.close();
  }
  assert.equal(found(), 0);
});

test("a window span on another time expires partial sequences as that time moves on, whatever their order time", () => {
  const s = createQueryStream(
    "sequence by k [a where true] [b where true]",
    {
      windowTime: (e) => BigInt(e.ingested as number) * 1_000_000n,
      windowSpanNs: 50_000_000n,
    },
    () => {},
  );
  // dated all at once (a backlog), ingested one a millisecond
  for (let i = 0; i < 5000; i++)
    s.push({ "@timestamp": 1000 + (i >> 10), ingested: i, k: `key-${i}`, event: { category: "a" } });
  assert.ok(s.stats.sequences!.open < 400, `open: ${s.stats.sequences!.open}`);
});

test("a window span on another time does not expire a partial that an event still waiting to be put in order can join", () => {
  const found: string[] = [];
  const s = createQueryStream(
    "sequence by k [a where true] [b where true]",
    {
      allowedLatenessMs: 1000,
      windowTime: (e) => BigInt(e.ingested as number) * 1_000_000n,
      windowSpanNs: 50_000_000n,
    },
    (m: StreamMatch) => {
      if (m.kind === "sequence") found.push(m.joinKeys.join(","));
    },
  );
  s.push({ "@timestamp": 0, ingested: 0, k: "x", event: { category: "a" } });
  s.push({ "@timestamp": 1000, ingested: 1, k: "y", event: { category: "a" } });
  // ingested 10 ms after the first, so one window holds both; dated ahead (its host's clock), it
  // waits in the reorder buffer until the stream's times pass its own by the allowed lateness
  s.push({ "@timestamp": 1500, ingested: 10, k: "x", event: { category: "b" } });
  // ingestion moves on meanwhile, with events dated no later
  for (let i = 0; i < 2000; i++)
    s.push({ "@timestamp": 1000, ingested: 20 + i, k: `z${i}`, event: { category: "a" } });
  s.flush();
  assert.deepEqual(found, ["x"]);
});
