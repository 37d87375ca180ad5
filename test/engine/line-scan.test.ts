import assert from "node:assert/strict";
import test from "node:test";
import fc from "fast-check";
import { eventIndex } from "../../src/engine/index-pattern.ts";
import { LineScanner } from "../../src/engine/line-scan.ts";
import { compileFieldGetter, type Event, scalarValues } from "../../src/eql/field-access.ts";
import { ANY_VALUE } from "../../src/rules/term-index.ts";
import { simulate } from "../../src/sim/index.ts";
import { setField, setTwin } from "./prefilter-arbitrary.ts";
import { style, write } from "./written-json.ts";

/**
 * The line scanner reads the text of a line without parsing it, for the prefilter: what it
 * says must agree with what the evaluator reads from the parsed event. Random events — data
 * streams written whole, dotted, twice, nested, with odd values; fields nested, dotted, in
 * arrays of objects — written the many ways JSON allows: an index it names is the event's,
 * and the values it finds for a field include every value the evaluator reads.
 */

const FIELDS = [
  "process.name",
  "process.args",
  "process.parent.name",
  "event.category",
  "a.b.c",
  "x",
  "data_stream.type",
  "data_stream.dataset",
];
const WORDS = ["bash", "logs", "cloud_defend.process", "data_stream", 'a"b', "c:\\x", "/bin/sh", "é", "K"];

const word = fc.constantFrom(...WORDS);
const scalar = fc.oneof(word, fc.constantFrom(5, 0, -1, 1.5, 1e21, true, false, null));
const value: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: scalar },
  { weight: 1, arbitrary: fc.array(scalar, { maxLength: 3 }) },
  { weight: 1, arbitrary: fc.array(fc.array(scalar, { maxLength: 2 }), { maxLength: 2 }) },
  { weight: 1, arbitrary: fc.dictionary(fc.constantFrom("type", "name", "q"), scalar, { maxKeys: 2 }) },
);

const dataStream = fc.oneof(
  fc.record(
    {
      type: fc.oneof({ weight: 4, arbitrary: fc.constantFrom("logs", "metrics") }, value),
      dataset: fc.oneof(
        { weight: 4, arbitrary: fc.constantFrom("cloud_defend.process", "endpoint.events.file") },
        value,
      ),
      namespace: fc.oneof({ weight: 4, arbitrary: fc.constantFrom("default", "prod") }, value),
    },
    { requiredKeys: [] },
  ),
  value,
);

const twin = fc.tuple(fc.constantFrom(...FIELDS.filter((f) => f.includes("."))), fc.nat(), value);

/**
 * A random event: some fields, some also as dotted keys beside them, a data stream written one
 * way or another, some under arrays of objects.
 */
const event = fc
  .tuple(
    fc.subarray(FIELDS),
    fc.array(value, { minLength: FIELDS.length, maxLength: FIELDS.length }),
    fc.array(twin, { maxLength: 2 }),
    fc.option(dataStream, { nil: undefined }),
    fc.constantFrom("none", "whole", "whole", "whole", "nested", "array"),
    fc.boolean(),
  )
  .map(([fields, values, twins, stream, where, inArray]) => {
    const e: Record<string, unknown> = {};
    fields.forEach((f, i) => {
      setField(e, f, values[i]);
    });
    for (const [f, cut, v] of twins) setTwin(e, f, cut, v);
    if (stream !== undefined) {
      if (where === "whole") e.data_stream = stream;
      else if (where === "nested") e.x = { data_stream: stream };
      else if (where === "array") e.data_stream = [stream];
    }
    if (inArray && e.process) e.process = [e.process];
    return e;
  });

const plainStyle = style.map((s) => ({ ...s, unicode: false }));
const anyStyle = fc.oneof(style, plainStyle, plainStyle);

test("an index the scanner reads is the index of the parsed event", () => {
  let named = 0;
  fc.assert(
    fc.property(event, anyStyle, (e, s) => {
      const line = write(e, s);
      const scanner = new LineScanner();
      const buf = Buffer.from(line);
      if (!scanner.scan(buf, 0, buf.length) || scanner.index === undefined) return;
      named++;
      assert.equal(scanner.index, eventIndex(JSON.parse(line) as Event), line);
    }),
    // twins of data_stream's fields leave a line without an index, so about 1 run in 36 names one
    { numRuns: 8000 },
  );
  assert.ok(named > 100, `the index was read from ${named} lines only`);
});

test("simulated telemetry: the index of every line is read, and is the event's", () => {
  const scanner = new LineScanner();
  for (const line of simulate({ events: 2000, seed: 7, attackRate: 0.05 })) {
    const buf = Buffer.from(line);
    assert.ok(scanner.scan(buf, 0, buf.length), line);
    assert.equal(scanner.index, eventIndex(JSON.parse(line) as Event));
    assert.notEqual(scanner.index, undefined);
  }
});

test("the values the scanner finds for a field include every value the evaluator reads", () => {
  fc.assert(
    fc.property(event, anyStyle, fc.subarray(FIELDS, { minLength: 1 }), (e, s, wanted) => {
      const line = write(e, s);
      const parsed = JSON.parse(line) as Event;
      const scanner = new LineScanner();
      const slots = wanted.map((f) => scanner.want(f));
      const buf = Buffer.from(line);
      if (!scanner.scan(buf, 0, buf.length)) return;
      wanted.forEach((field, i) => {
        const found = scanner.valuesOf(slots[i]);
        if (found === ANY_VALUE) return;
        for (const v of scalarValues(compileFieldGetter(field)(parsed)))
          assert.ok(
            found.includes(v),
            `${field}: ${JSON.stringify(v)} missing from ${JSON.stringify(found)} in ${line}`,
          );
      });
    }),
    { numRuns: 4000 },
  );
});

test("a line read inside a buffer of lines: only its own bytes count", () => {
  const lines = [
    '{"data_stream":{"type":"logs","dataset":"a","namespace":"x"},"process":{"name":"sh"}}',
    '{"process.name":["bash","zsh"],"data_stream":{"type":"logs","dataset":"b"}}',
    '{"data_stream":{"type":"logs","dataset":"c"},"data_stream.type":"metrics"}',
    '{"x":{"data_stream":{"type":"logs","dataset":"d"}},"process":[{"name":"ash"},{"name":{"no":1}}]}',
    '{"data_stream":{"type":"logs","dataset":"\\u0065"},"process":{"name":"sh"}}',
  ];
  const buf = Buffer.from(lines.join("\n"));
  const scanner = new LineScanner();
  const name = scanner.want("process.name");
  const seen: unknown[] = [];
  let start = 0;
  for (const line of lines) {
    const end = start + Buffer.byteLength(line);
    const ok = scanner.scan(buf, start, end);
    const values = scanner.valuesOf(name);
    seen.push(ok ? [scanner.index, values === ANY_VALUE ? values : [...values]] : "not judged");
    start = end + 1;
  }
  assert.deepEqual(seen, [
    ["logs-a-x", ["sh"]],
    ["logs-b-default", ["bash", "zsh"]],
    // a dotted key gives the field a second value: the index is not read
    [undefined, []],
    // a data stream below the top level is no index; an object where a value goes cannot be read
    [undefined, ANY_VALUE],
    "not judged",
  ]);
});
