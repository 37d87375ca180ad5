import assert from "node:assert/strict";
import { test } from "node:test";
import type { Event } from "../../src/eql/field-access.ts";
import { eqlSearch } from "../../src/eql/search.ts";

// the first event is 0.9 ms later than the second, which a `date` field does not hold
const events: Event[] = [
  { "@timestamp": "2020-01-01T00:00:00.0009Z", event: { category: "a" }, k: "x" },
  { "@timestamp": "2020-01-01T00:00:00.000Z", event: { category: "b" }, k: "x" },
];
const dateMapping = { properties: { "@timestamp": { type: "date" } } };
const nanosMapping = { properties: { "@timestamp": { type: "date_nanos" } } };

async function sequenceIds(mapping: Record<string, unknown> | undefined, query: string) {
  const response = await eqlSearch([{ name: "i", events, ...(mapping ? { mapping } : {}) }], { query });
  return (response.hits.sequences ?? []).map((s) => s.events.map((e) => e._id));
}

async function eventIds(mapping: Record<string, unknown> | undefined, query: string) {
  const response = await eqlSearch([{ name: "i", events, ...(mapping ? { mapping } : {}) }], { query });
  return (response.hits.events ?? []).map((e) => e._id);
}

test("a date-mapped timestamp holds milliseconds: events in the same millisecond keep file order", async () => {
  const query = "sequence [a where true] [b where true]";
  assert.deepEqual(await sequenceIds(dateMapping, query), [["0", "1"]]);
  assert.deepEqual(await sequenceIds(nanosMapping, query), []);
  // without a mapping eqlite keeps the nanoseconds its text has (README: Conformance)
  assert.deepEqual(await sequenceIds(undefined, query), []);
});

test("a date-mapped timestamp compares at millisecond precision, the constant too", async () => {
  const exact = 'any where @timestamp == "2020-01-01T00:00:00.000Z"';
  // one millisecond for both: file order
  assert.deepEqual(await eventIds(dateMapping, exact), ["0", "1"]);
  assert.deepEqual(await eventIds(nanosMapping, exact), ["1"]);
  const fine = 'any where @timestamp == "2020-01-01T00:00:00.0005Z"';
  assert.deepEqual(await eventIds(dateMapping, fine), ["0", "1"]);
  const later = 'any where @timestamp > "2020-01-01T00:00:00.000Z"';
  assert.deepEqual(await eventIds(dateMapping, later), []);
  assert.deepEqual(await eventIds(nanosMapping, later), ["0"]);
});

test("a date join key holds milliseconds: values in the same millisecond are one key", async () => {
  const keyed = [
    { "@timestamp": "2020-01-01T00:00:00.000Z", event: { category: "a" }, t: "2020-01-01T00:00:01.0004Z" },
    { "@timestamp": "2020-01-01T00:00:00.001Z", event: { category: "b" }, t: "2020-01-01T00:00:01.000Z" },
  ];
  const run = async (type: string) => {
    const mapping = { properties: { "@timestamp": { type: "date" }, t: { type } } };
    const response = await eqlSearch([{ name: "i", events: keyed, mapping }], {
      query: "sequence by t [a where true] [b where true]",
    });
    return (response.hits.sequences ?? []).map((s) => s.join_keys);
  };
  assert.deepEqual(await run("date"), [["2020-01-01T00:00:01.000Z"]]);
  assert.deepEqual(await run("date_nanos"), []);
});
