import assert from "node:assert/strict";
import { Readable } from "node:stream";
import test from "node:test";
import fc from "fast-check";
import { buildLineFilter } from "../../src/engine/line-prefilter.ts";
import { prepareQuery } from "../../src/eql/compile-query.ts";
import { eventQueriesOf } from "../../src/eql/event-queries.ts";
import type { Event } from "../../src/eql/field-access.ts";
import { meetsRequirement, statementRequirement } from "../../src/eql/requirement.ts";
import { readEventsFromStream } from "../../src/io/event-source.ts";

/**
 * The prefilter must never lose a match. Random queries and random events, written out the
 * many ways JSON allows (spacing, dotted keys, `\u` and `\/` escapes, arrays), check that
 * every line whose event a query matches is accepted — on one line, and through the reader
 * with chunk boundaries anywhere.
 */

const FIELDS = ["process.name", "process.args", "process.interactive", "event.type", "user.id", "a.b.c", "x"];
const WORDS = [
  "bash",
  "BASH",
  "sh",
  "start",
  "5",
  "true",
  'a"b',
  "é",
  "K",
  "kubectl exec",
  "/bin/sh",
  "c:\\x",
];

const eqlString = (v: string) => `"${v.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;
const word = fc.constantFrom(...WORDS);
const field = fc.constantFrom(...FIELDS);
const pattern = fc.oneof(
  word,
  word.map((w) => `*${w.slice(1)}`),
  word.map((w) => `${w.slice(0, 2)}*`),
  word.map((w) => `*${w.slice(1, 3)}*`),
  word.map((w) => `${w.slice(0, 1)}?${w.slice(2)}`),
);

const leaf: fc.Arbitrary<string> = fc.oneof(
  fc
    .tuple(field, fc.constantFrom("==", "!=", ":", "like~", "like"), pattern)
    .map(([f, op, v]) => `${f} ${op} ${eqlString(v)}`),
  fc
    .tuple(field, fc.constantFrom("in", "in~", "not in", ":"), fc.array(word, { minLength: 1, maxLength: 3 }))
    .map(([f, op, vs]) => `${f} ${op} (${vs.map(eqlString).join(", ")})`),
  fc
    .tuple(
      field,
      fc.constantFrom("==", "!=", "<", ">="),
      fc.constantFrom("5", "0", "-1", "1.5", "true", "false", "null"),
    )
    .map(([f, op, v]) => `${f} ${op} ${v}`),
  fc
    .tuple(field, fc.constantFrom("startsWith", "startsWith~", "endsWith", "stringContains~"), word)
    .map(([f, fn, v]) => `${fn}(${f}, ${eqlString(v)})`),
  fc.tuple(field, fc.constantFrom('"b.*"', '"[a-z]+"', '".*sh"')).map(([f, re]) => `${f} regex~ ${re}`),
  field.map((f) => `${f} : "*"`),
  field.map((f) => `length(${f}) > 2`),
  field,
);

const condition: fc.Arbitrary<string> = fc.letrec<{ c: string }>((tie) => ({
  c: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    leaf,
    fc.tuple(tie("c"), fc.constantFrom("and", "or"), tie("c")).map(([a, op, b]) => `(${a}) ${op} (${b})`),
    tie("c").map((c) => `not (${c})`),
  ),
})).c;

const query = fc.oneof(
  fc.tuple(fc.constantFrom("process", "any", "file"), condition).map(([cat, c]) => `${cat} where ${c}`),
  fc
    .tuple(condition, condition)
    .map(
      ([a, b]) => `sequence by user.id [process where ${a}] [any where ${b}] until [file where x == "sh"]`,
    ),
);

// -- events, and the ways to write them -----------------------------------------------------

const scalar = fc.oneof(word, fc.constantFrom(5, 0, -1, 1.5, 1e21, true, false, null));
const value: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: scalar },
  { weight: 1, arbitrary: fc.array(scalar, { maxLength: 3 }) },
  { weight: 1, arbitrary: fc.array(fc.array(scalar, { maxLength: 2 }), { maxLength: 2 }) },
);

/** A random event: some of the vocabulary's fields, some under arrays of objects. */
const event = fc
  .tuple(
    fc.subarray(FIELDS),
    fc.array(value, { minLength: FIELDS.length, maxLength: FIELDS.length }),
    fc.constantFrom("process", "file", "network", ["process", "file"]),
    fc.boolean(),
  )
  .map(([fields, values, category, inArray]) => {
    const e: Record<string, unknown> = { event: { category } };
    fields.forEach((f, i) => {
      const parts = f.split(".");
      let o = e;
      for (const p of parts.slice(0, -1)) {
        if (typeof o[p] !== "object" || o[p] === null || Array.isArray(o[p])) o[p] = {};
        o = o[p] as Record<string, unknown>;
      }
      o[parts[parts.length - 1]] = values[i];
    });
    if (inArray && e.process) e.process = [e.process];
    return e;
  });

interface Style {
  spaces: string[];
  /** per string: escape some characters as \u, `/` as `\/` */
  escapes: boolean[];
  /** per object: write its object members as dotted keys */
  dotted: boolean[];
}

const style = fc.record({
  spaces: fc.array(fc.constantFrom("", "", "", " ", "  ", "\t"), { minLength: 8, maxLength: 8 }),
  escapes: fc.array(fc.boolean(), { minLength: 8, maxLength: 8 }),
  dotted: fc.array(fc.boolean(), { minLength: 4, maxLength: 4 }),
});

/** JSON text for `value`, written the way the style says; JSON.parse reads it back. */
function write(value: unknown, s: Style): string {
  let k = 0;
  const ws = () => s.spaces[k++ % s.spaces.length];
  const str = (text: string) => {
    const escaping = s.escapes[k++ % s.escapes.length];
    let out = '"';
    for (const ch of text) {
      if (ch === '"') out += '\\"';
      else if (ch === "\\") out += "\\\\";
      else if (escaping && ch === "/") out += "\\/";
      else if (escaping && /[a-zé]/.test(ch)) out += `\\u${ch.charCodeAt(0).toString(16).padStart(4, "0")}`;
      else out += ch;
    }
    return `${out}"`;
  };
  let o = 0;
  const members = (obj: Record<string, unknown>, prefix: string): string[] => {
    const dotted = s.dotted[o++ % s.dotted.length];
    const out: string[] = [];
    for (const [key, v] of Object.entries(obj)) {
      const name = prefix ? `${prefix}.${key}` : key;
      if (dotted && v !== null && typeof v === "object" && !Array.isArray(v))
        out.push(...members(v as Record<string, unknown>, name));
      else out.push(`${ws()}${str(name)}${ws()}:${ws()}${json(v)}`);
    }
    return out;
  };
  const json = (v: unknown): string => {
    if (v === null || typeof v !== "object") return typeof v === "string" ? str(v) : JSON.stringify(v);
    if (Array.isArray(v)) return `[${ws()}${v.map(json).join(`,${ws()}`)}${ws()}]`;
    return `{${members(v as Record<string, unknown>, "").join(",")}${ws()}}`;
  };
  return json(value);
}

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
  // dotted keys and spacing are read; escapes and arrays are not judged
  assert.equal(
    accepts('{"event.category" : "process", "process.name":  "Bash", "process.interactive" :true}'),
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
