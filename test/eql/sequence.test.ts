import assert from "node:assert/strict";
import { test } from "node:test";
import { DEFAULT_MAX_OPEN_PARTIALS } from "../../src/eql/correlate/sequence-matcher.ts";
import type { Event } from "../../src/eql/field-access.ts";
import { type EqlSearchRequest, eqlSearch } from "../../src/eql/search.ts";

/** Events with ids 1..n, one per millisecond unless `t` says otherwise. */
const at = (list: Array<Record<string, unknown>>): Event[] =>
  list.map((e, i) => ({ id: i + 1, "@timestamp": e.t ?? i + 1, event: { category: e.c }, ...e }));

async function ids(query: string, events: Event[], extra: Partial<EqlSearchRequest> = {}) {
  const r = await eqlSearch(events, { query, size: 100, tiebreaker_field: "id", ...extra });
  return (r.hits.sequences ?? []).map((s) => s.events.map((e) => ("missing" in e ? -1 : e._source.id)));
}
async function keys(query: string, events: Event[], extra: Partial<EqlSearchRequest> = {}) {
  const r = await eqlSearch(events, { query, size: 100, tiebreaker_field: "id", ...extra });
  return (r.hits.sequences ?? []).map((s) => s.join_keys);
}

test("one pending sequence per stage: the newest overwrites, stages advance last to first", async () => {
  const events = at([{ c: "a" }, { c: "a" }, { c: "b" }, { c: "a" }, { c: "b" }]);
  assert.deepEqual(await ids("sequence [a where true] [b where true]", events), [
    [2, 3],
    [4, 5],
  ]);
  const same = at([{ c: "a" }, { c: "a" }, { c: "a" }]);
  assert.deepEqual(await ids("sequence [a where true] [a where true]", same), [
    [1, 2],
    [2, 3],
  ]);
});

test("by keys: sequence-level and per-term keys join; a missing key excludes the event unless optional", async () => {
  const events = at([
    { c: "a", h: "x", u: 1 },
    { c: "a", h: "y", u: 2 },
    { c: "b", h: "x", v: 1 },
    { c: "b", h: "y", v: 3 },
    { c: "a" },
    { c: "b" },
  ]);
  assert.deepEqual(await ids("sequence by h [a where true] by u [b where true] by v", events), [[1, 3]]);
  assert.deepEqual(await keys("sequence by h [a where true] by u [b where true] by v", events), [["x", 1]]);
  assert.deepEqual(await ids("sequence by h [a where true] [b where true]", events), [
    [1, 3],
    [2, 4],
  ]);
  assert.deepEqual(await ids("sequence by ?h [a where true] [b where true]", events), [
    [1, 3],
    [2, 4],
    [5, 6],
  ]);
  assert.deepEqual(await keys("sequence by ?h [a where true] [b where true]", events), [
    ["x"],
    ["y"],
    [null],
  ]);
});

test("multi-valued keys: each value is a key, several give the product, duplicates collapse", async () => {
  const events = at([
    { c: "a", k: ["x", "y", "x", null] },
    { c: "b", k: "y" },
    { c: "b", k: ["x", "z"] },
  ]);
  assert.deepEqual(await ids("sequence by k [a where true] [b where true]", events), [
    [1, 2],
    [1, 3],
  ]);
  assert.deepEqual(await keys("sequence by k [a where true] [b where true]", events), [["y"], ["x"]]);
});

test("a key given both as a dotted key and as nested objects joins by each of its values", async () => {
  const events = at([
    { c: "a", "user.id": "x", user: { id: "y" } },
    { c: "b", user: { id: "x" } },
    { c: "b", user: { id: "y" } },
    { c: "b", "user.id": "x", user: { id: "z" } },
  ]);
  assert.deepEqual(await ids("sequence by user.id [a where true] [b where true]", events), [
    [1, 2],
    [1, 3],
  ]);
  assert.deepEqual(await keys("sequence by user.id [a where true] [b where true]", events), [["x"], ["y"]]);
  assert.deepEqual(await ids("sequence by user.id [b where true] [b where true]", events), [[2, 4]]);
  assert.deepEqual(await keys("sequence by user.id [b where true] [b where true]", events), [["x"]]);
});

test("maxspan is inclusive and measured from the first event", async () => {
  const events = at([
    { c: "a", t: 0 },
    { c: "b", t: 500 },
    { c: "c", t: 1000 },
  ]);
  assert.deepEqual(
    await ids("sequence with maxspan=1s [a where true] [b where true] [c where true]", events),
    [[1, 2, 3]],
  );
  assert.deepEqual(
    await ids("sequence with maxspan=999ms [a where true] [b where true] [c where true]", events),
    [],
  );
});

test("until kills the pending sequences of its key; completed ones stay", async () => {
  const events = at([
    { c: "a", k: 1 },
    { c: "stop", k: 1 },
    { c: "b", k: 1 },
    { c: "a", k: 2 },
    { c: "b", k: 2 },
    { c: "stop", k: 2 },
  ]);
  assert.deepEqual(await ids("sequence by k [a where true] [b where true] until [stop where true]", events), [
    [4, 5],
  ]);
});

test("with runs=N repeats a term", async () => {
  const events = at([{ c: "a" }, { c: "a" }, { c: "a" }, { c: "b" }]);
  assert.deepEqual(await ids("sequence [a where true] with runs=3 [b where true]", events), [[1, 2, 3, 4]]);
  assert.deepEqual(await ids("sequence [a where true] with runs=3 [b where true]", events.slice(1)), []);
});

test("missing events: in the middle, at the start and at the end", async () => {
  const events = at([
    { c: "a", t: 0 },
    { c: "b", t: 10 },
    { c: "a", t: 20 },
    { c: "m", t: 25 },
    { c: "b", t: 30 },
  ]);
  const middle = "sequence with maxspan=1s [a where true] ![m where true] [b where true]";
  assert.deepEqual(await ids(middle, events), [[1, -1, 2]]);
  const leading = at([
    { c: "m", t: 0 },
    { c: "a", t: 100 },
    { c: "a", t: 5000 },
  ]);
  assert.deepEqual(await ids("sequence with maxspan=1s ![m where true] [a where true]", leading), [[-1, 3]]);
  const trailing = at([
    { c: "a", t: 0 },
    { c: "m", t: 500 },
    { c: "a", t: 3000 },
  ]);
  assert.deepEqual(await ids("sequence with maxspan=1s [a where true] ![m where true]", trailing), [[3, -1]]);
});

test("completion order, then head/tail pipes, size and result_position", async () => {
  const events = at([{ c: "a" }, { c: "b" }, { c: "a" }, { c: "b" }, { c: "a" }, { c: "b" }]);
  const q = "sequence [a where true] [b where true]";
  assert.deepEqual(await ids(q, events), [
    [1, 2],
    [3, 4],
    [5, 6],
  ]);
  assert.deepEqual(await ids(`${q} | head 2 | tail 1`, events), [[3, 4]]);
  assert.deepEqual(await ids(q, events, { size: 1, result_position: "head" }), [[1, 2]]);
  assert.deepEqual(await ids(q, events, { size: 1, result_position: "tail" }), [[5, 6]]);
  const r = await eqlSearch(events, { query: q, size: 1 });
  assert.equal(r.hits.total.value, 3);
});

test("events without a timestamp cannot take part in a sequence", async () => {
  const events: Event[] = [
    { id: 1, event: { category: "a" } },
    { id: 2, "@timestamp": 5, event: { category: "a" } },
    { id: 3, "@timestamp": 6, event: { category: "b" } },
  ];
  assert.deepEqual(await ids("sequence [a where true] [b where true]", events), [[2, 3]]);
});

test("samples: one distinct event per term, samples per key, ordered by key", async () => {
  const events: Event[] = [
    { id: 1, event: { category: "a" }, h: "web" },
    { id: 2, event: { category: "b" }, h: "web" },
    { id: 3, event: { category: "a" }, h: "db" },
    { id: 4, event: { category: "b" }, h: "db" },
    { id: 5, event: { category: "a" }, h: "web" },
    { id: 6, event: { category: "a" } },
    { id: 7, event: { category: "b" } },
  ];
  const sample = async (query: string, extra: Partial<EqlSearchRequest> = {}) => {
    const r = await eqlSearch(events, { query, size: 100, ...extra });
    return (r.hits.sequences ?? []).map((s) => [
      s.join_keys,
      s.events.map((e) => ("missing" in e ? -1 : e._source.id)),
    ]);
  };
  assert.deepEqual(await sample("sample by h [a where true] [b where true]"), [
    [["db"], [3, 4]],
    [["web"], [1, 2]],
  ]);
  assert.deepEqual(await sample("sample by h [a where true] [b where true]", { max_samples_per_key: 2 }), [
    [["db"], [3, 4]],
    [["web"], [1, 2]],
    [["web"], [5, 2]],
  ]);
  assert.deepEqual(await sample("sample by ?h [a where true] [b where true]"), [
    [[null], [6, 7]],
    [["db"], [3, 4]],
    [["web"], [1, 2]],
  ]);
  assert.deepEqual(await sample("sample by h [a where true] [a where true]"), [[["web"], [1, 5]]]);
  assert.deepEqual(await sample("sample by h [a where true] [b where true]", { size: 1 }), [
    [["db"], [3, 4]],
  ]);
});

test("keys join on the value the field's mapping holds: 1 and \"1\" are one key, shown in the field's type", async () => {
  const events = at([
    { c: "a", k: "1", on: true },
    { c: "b", k: 1, on: "true" },
  ]);
  const mapped = (type: string) => [
    { name: "i", events, mapping: { properties: { k: { type }, on: { type: "boolean" } } } },
  ];
  const joined = async (query: string, input: Parameters<typeof eqlSearch>[0]) => {
    const r = await eqlSearch(input, { query, size: 100, tiebreaker_field: "id" });
    return (r.hits.sequences ?? []).map((s) => [
      s.join_keys,
      s.events.map((e) => ("missing" in e ? -1 : e._source.id)),
    ]);
  };
  const sequence = "sequence by k [a where true] [b where true]";
  assert.deepEqual(await joined(sequence, mapped("keyword")), [[["1"], [1, 2]]]);
  assert.deepEqual(await joined(sequence, mapped("long")), [[[1], [1, 2]]]);
  assert.deepEqual(await joined("sequence by on [a where true] [b where true]", mapped("keyword")), [
    [[true], [1, 2]],
  ]);
  // without a mapping the field is keyword or long as Elasticsearch maps it; they join under either
  assert.deepEqual(await joined(sequence, events), [[["1"], [1, 2]]]);
  assert.deepEqual(await joined("sample by k [a where true] [b where true]", mapped("keyword")), [
    [["1"], [1, 2]],
  ]);
  // text that is no number was never indexed in a numeric field: no key
  const word = at([
    { c: "a", k: "x" },
    { c: "b", k: "x" },
  ]);
  const long = [{ name: "i", events: word, mapping: { properties: { k: { type: "long" } } } }];
  assert.deepEqual(await joined(sequence, long), []);
});

test("partial sequences dropped at the cap on open ones are told to the caller, not lost unsaid", async () => {
  const over = 3;
  const at = Date.UTC(2026, 11, 1);
  const events: Event[] = [];
  // a fresh key per event: each opens a partial that never completes
  for (let i = 0; i < DEFAULT_MAX_OPEN_PARTIALS + over; i++)
    events.push({ "@timestamp": at + i, event: { category: "process" }, step: "start", key: `k${i}` });
  events.push({ "@timestamp": at + events.length, event: { category: "process" }, step: "end", key: "k0" });
  const told: number[] = [];
  const r = await eqlSearch(
    events,
    {
      query: 'sequence by key [process where step == "start"] [process where step == "end"]',
      size: 10,
    },
    { onDropped: (n) => told.push(n) },
  );
  assert.equal(r.hits.sequences?.length, 0, "k0's partial was the stalest, and went");
  assert.deepEqual(told, [over]);
});

test("keyword join keys and tiebreakers order as the index does: by code point, not UTF-16 code unit", async () => {
  // 😀 (U+1F600) is a surrogate pair: below ～ (U+FF5E) by code units, above it by code points and UTF-8
  const events: Event[] = [
    { id: 1, event: { category: "a" }, h: "😀", "@timestamp": 1, tb: "😀" },
    { id: 2, event: { category: "b" }, h: "😀", "@timestamp": 2, tb: "x" },
    { id: 3, event: { category: "a" }, h: "～", "@timestamp": 1, tb: "～" },
    { id: 4, event: { category: "b" }, h: "～", "@timestamp": 2, tb: "x" },
  ];
  const r = await eqlSearch(events, { query: "sample by h [a where true] [b where true]", size: 100 });
  assert.deepEqual(
    (r.hits.sequences ?? []).map((s) => s.join_keys),
    [["～"], ["😀"]],
  );
  const tied = await eqlSearch(events, { query: "a where true", size: 10, tiebreaker_field: "tb" });
  assert.deepEqual(
    (tied.hits.events ?? []).map((e) => e._source.id),
    [3, 1],
  );
});
