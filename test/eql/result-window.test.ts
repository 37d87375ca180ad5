import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import fc from "fast-check";
import type { Pipe } from "../../src/eql/ast.ts";
import { SpillBudget } from "../../src/eql/correlate/spill.ts";
import type { EsMapping } from "../../src/eql/mapping.ts";
import { applyLimits, mergeSelections, resultWindow, WindowSelection } from "../../src/eql/result-window.ts";
import { type EqlIndex, EVENT_TEXT, type EventWithText, eqlSearch } from "../../src/eql/search.ts";

const byNumber = (a: number, b: number) => a - b;
const windowArb = fc.record({
  count: fc.nat({ max: 12 }),
  from: fc.constantFrom("head" as const, "tail" as const),
});

test("property: a selection keeps the first or last N of what it was offered, in order, and counts all", () => {
  fc.assert(
    fc.property(fc.array(fc.integer({ min: 0, max: 20 }), { maxLength: 60 }), windowArb, (items, window) => {
      const selection = new WindowSelection(window, byNumber);
      for (const item of items) selection.offer(item);
      const sorted = [...items].sort(byNumber);
      const expected =
        window.from === "head"
          ? sorted.slice(0, window.count)
          : sorted.slice(Math.max(0, sorted.length - window.count));
      assert.deepEqual(selection.sorted(), expected);
      assert.equal(selection.seen, items.length);
    }),
  );
});

test("property: merged selections keep what one selection over everything would", () => {
  fc.assert(
    fc.property(
      fc.array(fc.array(fc.integer({ min: 0, max: 20 }), { maxLength: 20 }), { maxLength: 4 }),
      windowArb,
      (parts, window) => {
        const selections = parts.map((part) => {
          const s = new WindowSelection(window, byNumber);
          for (const item of part) s.offer(item);
          return s;
        });
        const whole = new WindowSelection(window, byNumber);
        for (const item of parts.flat()) whole.offer(item);
        assert.deepEqual(mergeSelections(selections, window, byNumber), whole.sorted());
      },
    ),
  );
});

const pipeArb = fc.record({
  name: fc.constantFrom("head" as const, "tail" as const),
  count: fc.nat({ max: 8 }),
});

test("the window is the first limit's: a pipe's, else size in the result position", () => {
  const pipe = (name: "head" | "tail", count: number): Pipe => ({ name, count, loc: { start: 0, end: 0 } });
  assert.deepEqual(resultWindow([], 10, "tail"), { count: 10, from: "tail" });
  assert.deepEqual(resultWindow([pipe("head", 3), pipe("tail", 1)], 10, "tail"), { count: 3, from: "head" });
});

/** Reading `boom` fails: a runtime field computed by a script eqlite cannot run. */
const FAILING: EsMapping = {
  properties: { x: { type: "long" }, h: { type: "keyword" }, "@timestamp": { type: "date" } },
  runtime: { boom: { type: "keyword", script: { source: "emit('a')" } } },
} as EsMapping;
const PLAIN: EsMapping = {
  properties: { x: { type: "long" }, h: { type: "keyword" }, "@timestamp": { type: "date" } },
} as EsMapping;

test("property: an event search returns what sorting every match and applying the limits returns, and counts every match", async () => {
  const event = fc.record({ t: fc.integer({ min: 0, max: 9 }), x: fc.integer({ min: 0, max: 9 }) });
  const index = fc.record({ events: fc.array(event, { maxLength: 25 }), failing: fc.boolean() });
  await fc.assert(
    fc.asyncProperty(
      fc.array(index, { minLength: 1, maxLength: 3 }),
      fc.array(pipeArb, { maxLength: 2 }),
      fc.nat({ max: 8 }),
      fc.constantFrom("head" as const, "tail" as const),
      async (spec, pipes, size, position) => {
        const indices = (): EqlIndex[] =>
          spec.map(({ events, failing }, k) => ({
            name: `i${k}`,
            mapping: failing ? FAILING : PLAIN,
            events: events.map(({ t, x }, n) => ({ "@timestamp": t * 1000, x, n })),
          }));
        // x >= 5 reads `boom`, which fails the index (after it may have matched events before)
        const condition = 'any where x < 3 or (x >= 5 and ?boom == "a")';
        const piped = `${condition}${pipes.map((p) => ` | ${p.name} ${p.count}`).join("")}`;
        const all = await eqlSearch(indices(), { query: condition, size: 10_000 });
        const expected = applyLimits(all.hits.events ?? [], pipes as Pipe[], size, position);
        const got = await eqlSearch(indices(), { query: piped, size, result_position: position });
        assert.deepEqual(got.hits.events, expected);
        assert.equal(got.hits.total.value, all.hits.total.value);
        assert.deepEqual(got.shard_failures, all.shard_failures);
      },
    ),
    { numRuns: 200 },
  );
});

test("a failed index takes back its matches, and the window is that of the indices that did not fail", async () => {
  const indices = (): EqlIndex[] => [
    { name: "kept", mapping: PLAIN, events: [{ "@timestamp": 1000, x: 1 }] },
    // later matches than `kept`'s, then an event whose evaluation fails
    {
      name: "failed",
      mapping: FAILING,
      events: [
        { "@timestamp": 5000, x: 1 },
        { "@timestamp": 6000, x: 2 },
        { "@timestamp": 7000, x: 6 },
      ],
    },
  ];
  const r = await eqlSearch(indices(), {
    query: 'any where x < 3 or (x >= 5 and ?boom == "a") | tail 1',
    size: 1,
  });
  assert.deepEqual(
    r.hits.events?.map((h) => [h._index, h._source["@timestamp"]]),
    [["kept", 1000]],
  );
  assert.equal(r.hits.total.value, 1);
  assert.deepEqual(
    r.shard_failures?.map((f) => f.index),
    ["failed"],
  );
});

test("property: a sequence search returns what sorting every completed sequence and applying the limits returns", async () => {
  const event = fc.record({
    t: fc.integer({ min: 0, max: 6 }),
    x: fc.integer({ min: 0, max: 5 }),
    h: fc.constantFrom("a", "b"),
  });
  await fc.assert(
    fc.asyncProperty(
      fc.array(event, { maxLength: 30 }),
      fc.array(pipeArb, { maxLength: 2 }),
      fc.nat({ max: 6 }),
      fc.constantFrom("head" as const, "tail" as const),
      async (raw, pipes, size, position) => {
        // equal timestamps and keys: the order among ties is part of what is compared
        const events = raw.map(({ t, x, h }, n) => ({ "@timestamp": t * 1000, x, h, n }));
        const query = "sequence by h [any where x < 3] [any where x >= 2]";
        const piped = `${query}${pipes.map((p) => ` | ${p.name} ${p.count}`).join("")}`;
        const all = await eqlSearch(events, { query, size: 10_000 });
        const expected = applyLimits(all.hits.sequences ?? [], pipes as Pipe[], size, position);
        const got = await eqlSearch(events, { query: piped, size, result_position: position });
        assert.deepEqual(got.hits.sequences, expected);
        assert.equal(got.hits.total.value, all.hits.total.value);
      },
    ),
    { numRuns: 200 },
  );
});

test("property: a sequence search that spills to disk answers exactly as one that holds everything, and leaves nothing there", async () => {
  const parent = mkdtempSync(join(tmpdir(), "eqlite-search-spill-"));
  let spilledRuns = 0;
  const event = fc.record({
    t: fc.integer({ min: 0, max: 6 }),
    x: fc.integer({ min: 0, max: 9 }),
    h: fc.constantFrom("a", "b", "é\u0000"),
  });
  const index = fc.record({ events: fc.array(event, { maxLength: 20 }), failing: fc.boolean() });
  try {
    await fc.assert(
      fc.asyncProperty(
        fc.array(index, { minLength: 1, maxLength: 3 }),
        fc.integer({ min: 1, max: 5 }),
        fc.constantFrom(
          "sequence by h [any where x < 3] [any where x >= 2 and x < 5]",
          'sequence by h [any where x < 3] [any where x >= 5 and ?boom == "a"]',
          "sequence with maxspan=2s [any where x < 4] [any where x > 2] until [any where x == 9]",
        ),
        fc.boolean(),
        fc.boolean(),
        async (spec, budget, query, partial, withText) => {
          // events carrying the text they were read from are held (and spilled) as that text
          const indices = (text = false): EqlIndex[] =>
            spec.map(({ events, failing }, k) => ({
              name: `i${k}`,
              mapping: failing ? FAILING : PLAIN,
              events: events.map(({ t, x, h }, n) => {
                const event: EventWithText = { "@timestamp": t * 1000, x, h, n };
                if (text) event[EVENT_TEXT] = ` ${JSON.stringify(event)}\r`;
                return event;
              }),
            }));
          const request = { query, size: 100, allow_partial_sequence_results: partial };
          const held = await eqlSearch(indices(), request);
          const spill = new SpillBudget(budget, parent);
          try {
            const spilled = await eqlSearch(indices(withText), request, { spill });
            assert.deepEqual({ ...spilled, took: 0 }, { ...held, took: 0 });
            if (spill.stats.items > 0) spilledRuns++;
            // a failed index is dropped whole, whether its events were held or written out
            const failed = new Set(held.shard_failures?.map((f) => f.index));
            const used = held.hits.sequences?.flatMap((q) => q.events.map((e) => e._index)) ?? [];
            assert.ok(!used.some((name) => failed.has(name)), "no event of a failed index");
          } finally {
            spill.close();
          }
          assert.deepEqual(readdirSync(parent), []);
        },
      ),
      { numRuns: 150 },
    );
    assert.ok(spilledRuns > 50, `${spilledRuns} of 150 searches spilled`);
  } finally {
    rmSync(parent, { recursive: true, force: true });
  }
});

test("events written to disk keep what a sequence needs of them: until, and the index they came from", async () => {
  const parent = mkdtempSync(join(tmpdir(), "eqlite-search-spill-"));
  const search = async (indices: EqlIndex[], query: string) => {
    const spill = new SpillBudget(1, parent);
    try {
      const spilled = await eqlSearch(indices, { query, allow_partial_sequence_results: true }, { spill });
      assert.ok(spill.stats.items > 0, "the search spilled");
      return spilled;
    } finally {
      spill.close();
    }
  };
  try {
    // an until event between the stages ends the sequence
    const cut = await search(
      [{ name: "e", events: [1, 2, 3].map((t, n) => ({ "@timestamp": t * 1000, x: [0, 9, 3][n] })) }],
      "sequence [any where x < 3] [any where x == 3] until [any where x == 9]",
    );
    assert.equal(cut.hits.total.value, 0);
    // the second index fails after its events were written out: none of them may complete a sequence
    const events = (xs: number[], from: number) => xs.map((x, n) => ({ "@timestamp": (from + n) * 1000, x }));
    const partial = await search(
      [
        { name: "kept", mapping: PLAIN, events: events([0], 1) },
        { name: "failed", mapping: FAILING, events: events([1, 4, 4, 6], 2) },
      ],
      'sequence [any where x < 3] [any where x == 4 or (x >= 5 and ?boom == "a")]',
    );
    assert.deepEqual(
      partial.shard_failures?.map((f) => f.index),
      ["failed"],
    );
    assert.equal(partial.hits.total.value, 0);
  } finally {
    rmSync(parent, { recursive: true, force: true });
  }
});
