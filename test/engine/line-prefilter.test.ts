import assert from "node:assert/strict";
import { Readable } from "node:stream";
import test from "node:test";
import fc from "fast-check";
import { compileIndexPatterns, eventIndex } from "../../src/engine/index-pattern.ts";
import { indexedLineFilter } from "../../src/engine/indexed-filter.ts";
import { buildLineFilter, type FilterRule, lineFilterOf } from "../../src/engine/line-prefilter.ts";
import { prepareQuery } from "../../src/eql/compile-query.ts";
import { eventQueriesOf } from "../../src/eql/event-queries.ts";
import type { Event } from "../../src/eql/field-access.ts";
import { meetsRequirement, type Requirement, statementRequirement } from "../../src/eql/requirement.ts";
import { readEventsFromStream } from "../../src/io/event-source.ts";
import { event, query } from "./prefilter-arbitrary.ts";
import { style, write } from "./written-json.ts";

/**
 * The prefilter must never lose a match. Random queries and random events, written out the
 * many ways JSON allows (spacing, dotted keys, `\u` and `\/` escapes, arrays), check that
 * every line whose event a query matches is accepted — on one line, and through the reader
 * with chunk boundaries anywhere.
 */

/** Where the event's data stream goes, if it has one: whole, dotted, below the top, twice. */
const DATA_STREAMS: Array<Record<string, unknown>> = [
  {},
  { data_stream: { type: "logs", dataset: "cloud_defend.process", namespace: "default" } },
  { data_stream: { type: "logs", dataset: "endpoint.events.process" } },
  {
    data_stream: { type: "logs", dataset: "cloud_defend.file" },
    "data_stream.dataset": "endpoint.events.file",
  },
  { "data_stream.type": "logs", "data_stream.dataset": "cloud_defend.process" },
  { data_stream: { type: "logs", dataset: ["cloud_defend.process"] } },
  { data_stream: [{ type: "logs", dataset: "cloud_defend.process" }] },
  { x: { data_stream: { type: "logs", dataset: "cloud_defend.process" } } },
  { data_stream: { type: "metrics", dataset: "system.cpu", extra: { a: 1 } } },
];
const withDataStream = fc
  .tuple(event, fc.constantFrom(...DATA_STREAMS))
  .map(([e, stream]) => ({ ...stream, ...e }) as Record<string, unknown>);
const indexPatterns = fc.constantFrom<readonly string[] | undefined>(
  undefined,
  ["logs-cloud_defend*"],
  ["logs-endpoint.events.*"],
  ["logs-*", "-logs-endpoint*"],
  ["metrics-*", "logs-cloud_defend.file*"],
);

function compile(text: string) {
  const prepared = prepareQuery(text);
  const compiler = prepared.compiler();
  const terms = eventQueriesOf(prepared.statement).map((q) => compiler.compileEventQuery(q));
  return {
    matches: (e: Event) => terms.some((t) => t(e)),
    requirement: statementRequirement(compiler, prepared.statement, "event.category"),
  };
}

test("a line whose event some query matches is always accepted", () => {
  fc.assert(
    fc.property(fc.array(query, { minLength: 1, maxLength: 3 }), event, style, (texts, e, s) => {
      const line = write(e, s);
      const parsed = JSON.parse(line) as Event;
      const queries = texts.map(compile);
      const filter = buildLineFilter(queries.map((q) => q.requirement));
      for (const q of queries) {
        if (!q.matches(parsed)) continue;
        assert.ok(meetsRequirement(q.requirement, parsed), "the requirement holds for a matching event");
        if (filter) assert.ok(filter.accepts(Buffer.from(line), 0, Buffer.byteLength(line)), line);
      }
    }),
    { numRuns: 3000 },
  );
});

/** Rules with `index` patterns, as the prefilter reads them. */
function filterRules(rules: Array<{ requirement: Requirement; index?: readonly string[] }>): FilterRule[] {
  return rules.map(({ requirement, index }) => ({
    everyIndex: !index?.length,
    sees: compileIndexPatterns(index),
    requirement: () => requirement,
  }));
}

test("a line whose event some rule that sees its index matches is always accepted", () => {
  fc.assert(
    fc.property(
      fc.array(fc.tuple(query, indexPatterns), { minLength: 1, maxLength: 4 }),
      fc.array(fc.tuple(withDataStream, style), { minLength: 1, maxLength: 6 }),
      (texts, events) => {
        const rules = texts.map(([text, index]) => ({ ...compile(text), index }));
        const filter = lineFilterOf(filterRules(rules));
        if (!filter) return;
        // several lines in one buffer: what is found on one line must not leak into the next
        const lines = events.map(([e, s]) => write(e, s));
        const buf = Buffer.from(lines.join("\n"));
        let start = 0;
        for (const line of lines) {
          const end = start + Buffer.byteLength(line);
          const parsed = JSON.parse(line) as Event;
          const index = eventIndex(parsed);
          const accepted = filter.accepts(buf, start, end);
          for (const rule of rules) {
            if (compileIndexPatterns(rule.index)(index) && rule.matches(parsed)) assert.ok(accepted, line);
          }
          start = end + 1;
        }
      },
    ),
    { numRuns: 3000 },
  );
});

test("lines of an index no rule sees are skipped, whatever they hold", () => {
  const rules = filterRules([
    { ...compile('process where process.name == "sh"'), index: ["logs-cloud_defend*"] },
    { ...compile("any where true"), index: ["logs-endpoint.events.*"] },
  ]);
  const filter = lineFilterOf(rules)!;
  const accepts = (line: string) => filter.accepts(Buffer.from(line), 0, Buffer.byteLength(line));
  const stream = (dataset: string) => `"data_stream":{"type":"logs","dataset":"${dataset}"}`;
  assert.equal(
    accepts(`{${stream("cloud_defend.process")},"event":{"category":"process"},"process":{"name":"sh"}}`),
    true,
  );
  assert.equal(
    accepts(`{${stream("cloud_defend.process")},"event":{"category":"process"},"process":{"name":"bash"}}`),
    false,
  );
  assert.equal(
    accepts(
      `{${stream("cloud_defend.process")},"event":{"category":"process"},"process":{"name":"bash"},"process.name":"sh"}`,
    ),
    true,
  );
  assert.equal(accepts(`{${stream("endpoint.events.file")},"x":1}`), true);
  assert.equal(
    accepts(`{${stream("system.syslog")},"event":{"category":"process"},"process":{"name":"sh"}}`),
    false,
  );
  // no data stream, or one that cannot be read exactly: every rule may see the event
  assert.equal(accepts('{"x":1}'), true);
  assert.equal(accepts(`{${stream("system.syslog")},"data_stream.dataset":"endpoint.events.file"}`), true);
});

test("through the reader, with chunks cut anywhere, the prefilter keeps every matching event", async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(query, { minLength: 1, maxLength: 2 }),
      fc.array(fc.tuple(event, style), { minLength: 1, maxLength: 40 }),
      fc.array(fc.integer({ min: 1, max: 400 }), { minLength: 1, maxLength: 8 }),
      async (texts, events, cuts) => {
        const queries = texts.map(compile);
        const text = events.map(([e, s]) => write(e, s)).join("\n");
        const bytes = Buffer.from(text);
        const chunks: Buffer[] = [];
        for (let at = 0, c = 0; at < bytes.length; c++) {
          const size = cuts[c % cuts.length];
          chunks.push(bytes.subarray(at, at + size));
          at += size;
        }
        const matching = async (filtered: boolean) => {
          const lineFilter = filtered ? buildLineFilter(queries.map((q) => q.requirement)) : undefined;
          const lines: number[] = [];
          for await (const { event: e, line } of readEventsFromStream(Readable.from(chunks), "t", {
            lineFilter,
          }))
            if (queries.some((q) => q.matches(e))) lines.push(line);
          return lines;
        };
        assert.deepEqual(await matching(true), await matching(false));
      },
    ),
    { numRuns: 300 },
  );
});

test("lines that cannot match are skipped: values are read from the text with the query's own test", () => {
  const { requirement } = compile('process where process.name : "BASH" and process.interactive == true');
  const filter = buildLineFilter([requirement])!;
  const accepts = (line: string) => filter.accepts(Buffer.from(line), 0, Buffer.byteLength(line));
  assert.equal(
    accepts('{"event":{"category":"process"},"process":{"name":"bash","interactive":true}}'),
    true,
  );
  assert.equal(
    accepts('{"event":{"category":"process"},"process":{"name":"zsh","interactive":true}}'),
    false,
  );
  assert.equal(
    accepts('{"event":{"category":"process"},"process":{"name":"bash","interactive":false}}'),
    false,
  );
  assert.equal(accepts('{"event":{"category":"file"},"process":{"name":"bash","interactive":true}}'), false);
  // dotted keys, spacing and arrays of scalars are read; escapes and objects in arrays are not judged
  assert.equal(
    accepts('{"event.category" : "process", "process.name":  "Bash", "process.interactive" :true}'),
    true,
  );
  // a dotted key is another value of the field its nested twin holds
  assert.equal(
    accepts(
      '{"event":{"category":"process"},"process":{"name":"zsh","interactive":true},"process.name":"bash"}',
    ),
    true,
  );
  assert.equal(
    accepts('{"event":{"category":"process"},"process":{"name":"zsh\\n","interactive":true}}'),
    true,
  );
  assert.equal(
    accepts('{"event":{"category":"process"},"process":{"n\\u0061me":"zsh","interactive":true}}'),
    true,
  );
  assert.equal(
    accepts('{"event":{"category":["process"]},"process":{"name":["zsh"],"interactive":[false]}}'),
    false,
  );
  assert.equal(
    accepts(
      '{"event":{"category":[ "file", "process" ]},"process":{"name":["zsh", "bash"],"interactive":[null, true]}}',
    ),
    true,
  );
  assert.equal(
    accepts(
      '{"event":{"category":["process"]},"process":[{"name":"zsh"},{"name":"bash"}],"process.interactive":[[true]]}',
    ),
    true,
  );
  // a key that only ends like the field's last name is another field
  assert.equal(
    accepts('{"event":{"category":"process"},"process":{"surname":"bash","interactive":true}}'),
    false,
  );
});

test("no prefilter when a rule takes every event", () => {
  assert.equal(buildLineFilter([compile("any where true").requirement]), undefined);
  assert.equal(buildLineFilter([compile('any where not process.name == "x"').requirement]), undefined);
  const onlyCategories = buildLineFilter([
    compile('process where not process.name == "x"').requirement,
    compile("file where true").requirement,
  ])!;
  const accepts = (line: string) => onlyCategories.accepts(Buffer.from(line), 0, Buffer.byteLength(line));
  assert.equal(accepts('{"event":{"category":"file"}}'), true);
  assert.equal(accepts('{"event":{"category":"network"}}'), false);
});

test("the indexed filter stops reading lines when its first lines show it does not pay", () => {
  const rules = filterRules([
    { ...compile('process where process.name == "sh"'), index: ["logs-cloud_defend*"] },
    { ...compile("any where true"), index: ["logs-endpoint.events.*"] },
  ]);
  const stream = '"data_stream":{"type":"logs","dataset":"cloud_defend.process"}';
  const skippable = Buffer.from(`{${stream},"event":{"category":"process"},"process":{"name":"bash"}}`);
  const needed = Buffer.from(`{${stream},"event":{"category":"process"},"process":{"name":"sh"}}`);
  const run = (minSkipped: number, needs: number) => {
    const filter = indexedLineFilter(rules, { minSkipped });
    const answers: boolean[] = [];
    for (let i = 0; i < 2048; i++) {
      const line = i < needs ? needed : skippable;
      answers.push(filter.accepts(line, 0, line.length));
    }
    return { answers, after: filter.accepts(skippable, 0, skippable.length) };
  };
  // while it is on trial, every line is judged
  const paying = run(0.75, 512);
  assert.equal(paying.answers.filter(Boolean).length, 512);
  assert.equal(paying.after, false);
  // too few skipped: from then on every line goes through unread
  const notPaying = run(0.75, 513);
  assert.equal(notPaying.answers.filter(Boolean).length, 513);
  assert.equal(notPaying.after, true);
});
