import assert from "node:assert/strict";
import { test } from "node:test";
import type { Event } from "../../src/eql/field-access.ts";
import { compileQueryDsl, MAX_QUERY_DEPTH, QueryDslError } from "../../src/rules/query-dsl.ts";

/** Which of the events the query matches, by index. */
function matching(query: unknown, events: Event[]): number[] {
  const test = compileQueryDsl(query, ["q"]);
  return events.flatMap((e, i) => (test(e) ? [i] : []));
}

/** The error compiling the query gives: its kind, path and message. */
function refusal(query: unknown): { kind: string; path: readonly (string | number)[]; message: string } {
  try {
    compileQueryDsl(query, ["q"]);
  } catch (error) {
    assert.ok(error instanceof QueryDslError, String(error));
    return { kind: error.kind, path: error.path, message: error.message };
  }
  assert.fail("the query compiled");
}

const line = (command_line: unknown): Event => ({ process: { command_line } });

test("match_phrase compares the whole value, exactly, as on a keyword field", () => {
  const events = [line("apt-get update -qq"), line("apt-get update -qq -y"), line("APT-GET UPDATE -QQ"), {}];
  assert.deepEqual(matching({ match_phrase: { "process.command_line": "apt-get update -qq" } }, events), [0]);
  assert.deepEqual(
    matching({ match_phrase: { "process.command_line": { query: "apt-get update -qq", slop: 0 } } }, events),
    [0],
  );
});

test("match is read as a phrase of a keyword field; options that would change that cannot be evaluated", () => {
  const events = [line("a b"), line("a")];
  assert.deepEqual(matching({ match: { "process.command_line": "a b" } }, events), [0]);
  // Kibana's filters of old: match with type phrase
  assert.deepEqual(
    matching({ match: { "process.command_line": { query: "a", type: "phrase" } } }, events),
    [1],
  );
  assert.equal(
    refusal({ match: { "process.command_line": { query: "a", fuzziness: "AUTO" } } }).kind,
    "unsupported",
  );
  assert.deepEqual(refusal({ match_phrase: { f: { query: "a", analyzer: "standard" } } }).path, [
    "q",
    "match_phrase",
    "f",
    "analyzer",
  ]);
});

test("numbers and booleans match their text, as a keyword field indexes them", () => {
  const events = [{ port: 443 }, { port: "443" }, { ok: true }, { port: 80 }];
  assert.deepEqual(matching({ match_phrase: { port: "443" } }, events), [0, 1]);
  assert.deepEqual(matching({ term: { port: 443 } }, events), [0, 1]);
  assert.deepEqual(matching({ term: { ok: "true" } }, events), [2]);
});

test("term is exact, or case-insensitive when asked; terms matches any of its values", () => {
  const events = [{ user: { name: "root" } }, { user: { name: "ROOT" } }, { user: { name: "admin" } }];
  assert.deepEqual(matching({ term: { "user.name": "root" } }, events), [0]);
  assert.deepEqual(
    matching({ term: { "user.name": { value: "root", case_insensitive: true } } }, events),
    [0, 1],
  );
  // as Elasticsearch's case-insensitive term query, it folds ASCII letters only
  const accented = [{ user: { name: "école" } }, { user: { name: "École" } }, { user: { name: "ECOLE" } }];
  assert.deepEqual(
    matching({ term: { "user.name": { value: "ÉCOLE", case_insensitive: true } } }, accented),
    [1],
  );
  assert.deepEqual(matching({ terms: { "user.name": ["admin", "ROOT"], boost: 1 } }, events), [1, 2]);
  assert.equal(
    refusal({ terms: { "user.name": { index: "users", id: "1", path: "names" } } }).kind,
    "unsupported",
  );
});

test("a multi-valued field matches if any of its values does, arrays of objects looked through", () => {
  const events = [
    { process: { args: ["-qq", "update"] } },
    { process: { args: ["install"] } },
    { hosts: [{ name: "a" }, { name: "b" }] },
  ];
  assert.deepEqual(matching({ match_phrase: { "process.args": "update" } }, events), [0]);
  assert.deepEqual(matching({ term: { "hosts.name": "b" } }, events), [2]);
  assert.deepEqual(matching({ bool: { must_not: { term: { "process.args": "update" } } } }, events), [1, 2]);
});

test("dotted field names are read as nested objects, dotted keys or a mix", () => {
  const events = [
    { process: { parent: { name: "sh" } } },
    { "process.parent.name": "sh" },
    { process: { "parent.name": "sh" } },
    { process: { parent: { name: "bash" } } },
  ];
  assert.deepEqual(matching({ match_phrase: { "process.parent.name": "sh" } }, events), [0, 1, 2]);
});

test("exists wants some non-null value", () => {
  const events = [
    { a: "x" },
    { a: null },
    { a: [] },
    { a: [null] },
    { a: { b: 1 } },
    { a: {} },
    { a: 0 },
    {},
  ];
  assert.deepEqual(matching({ exists: { field: "a" } }, events), [0, 4, 6]);
  assert.equal(refusal({ exists: { field: "process.*" } }).kind, "unsupported");
});

test("range compares numbers, and numeric bounds as epoch milliseconds against dates", () => {
  const events = [
    { n: 5 },
    { n: 10 },
    { n: "7" },
    { n: "x" },
    { n: [1, 12] },
    { n: "1970-01-01T00:00:00.008Z" },
  ];
  assert.deepEqual(matching({ range: { n: { gte: 5, lt: 10 } } }, events), [0, 2, 5]);
  assert.deepEqual(matching({ range: { n: { gt: 10 } } }, events), [4]);
  assert.deepEqual(matching({ range: { n: { from: 5, to: 10, include_upper: false } } }, events), [0, 2, 5]);
});

test("range compares dates as instants; a date without a time as lte or gt bound is its whole day", () => {
  const at = (t: unknown): Event => ({ "@timestamp": t });
  const events = [
    at("2024-01-01T00:00:00Z"),
    at("2024-01-01T23:59:59.999Z"),
    at("2024-01-02T00:00:00Z"),
    at(Date.parse("2024-01-01T12:00:00Z")),
    at("not a date"),
  ];
  assert.deepEqual(
    matching({ range: { "@timestamp": { gte: "2024-01-01", lte: "2024-01-01" } } }, events),
    [0, 1, 3],
  );
  assert.deepEqual(matching({ range: { "@timestamp": { gt: "2024-01-01" } } }, events), [2]);
  assert.deepEqual(matching({ range: { "@timestamp": { lt: "2024-01-01T12:00:00+00:00" } } }, events), [0]);
  assert.deepEqual(
    matching(
      { range: { "@timestamp": { gte: "2024-01-01T12:00:00Z", format: "strict_date_optional_time" } } },
      events,
    ),
    [1, 2, 3],
  );
});

test("date math, string ranges and other time zones cannot be evaluated", () => {
  assert.equal(refusal({ range: { "@timestamp": { gte: "now-1d" } } }).kind, "unsupported");
  assert.equal(refusal({ range: { "@timestamp": { gte: "2024-01-01||+1d" } } }).kind, "unsupported");
  assert.equal(refusal({ range: { name: { gte: "a", lt: "m" } } }).kind, "unsupported");
  assert.equal(
    refusal({ range: { "@timestamp": { gte: "2024-01-01", time_zone: "Europe/Paris" } } }).kind,
    "unsupported",
  );
  assert.equal(refusal({ range: { n: { gte: true } } }).kind, "malformed");
});

test("bool: must and filter all match, must_not none, should as many as minimum_should_match", () => {
  const events = [{ a: 1, b: 1 }, { a: 1 }, { b: 1 }, {}];
  const a = { term: { a: 1 } };
  const b = { term: { b: 1 } };
  assert.deepEqual(matching({ bool: { must: a, filter: [b] } }, events), [0]);
  assert.deepEqual(matching({ bool: { must_not: [a, b] } }, events), [3]);
  // without must or filter, one should clause must match
  assert.deepEqual(matching({ bool: { should: [a, b] } }, events), [0, 1, 2]);
  // with them, should clauses are optional
  assert.deepEqual(matching({ bool: { filter: a, should: [b] } }, events), [0, 1]);
  assert.deepEqual(matching({ bool: { should: [a, b], minimum_should_match: 2 } }, events), [0]);
  assert.deepEqual(matching({ bool: { should: [a, b], minimum_should_match: "50%" } }, events), [0, 1, 2]);
  assert.deepEqual(matching({ bool: { should: [a, b], minimum_should_match: "-1" } }, events), [0, 1, 2]);
  assert.deepEqual(matching({ bool: { should: [a, b], minimum_should_match: 3 } }, events), []);
  assert.deepEqual(matching({ bool: {} }, events), [0, 1, 2, 3]);
  assert.equal(refusal({ bool: { should: [a], minimum_should_match: "2<75%" } }).kind, "unsupported");
});

test("match_all and match_none", () => {
  assert.deepEqual(matching({ match_all: {} }, [{}, { a: 1 }]), [0, 1]);
  assert.deepEqual(matching({ match_none: {} }, [{}, { a: 1 }]), []);
});

test("queries that need Elasticsearch are refused at their place, even deep in a bool", () => {
  for (const kind of ["query_string", "wildcard", "regexp", "script", "nested", "prefix", "made_up"]) {
    assert.deepEqual(refusal({ bool: { filter: [{ term: { a: 1 } }, { [kind]: {} }] } }), {
      kind: "unsupported",
      path: ["q", "bool", "filter", 1, kind],
      message: `a ${kind} query cannot be evaluated outside Elasticsearch`,
    });
  }
});

test("malformed queries are refused as such", () => {
  assert.equal(refusal("x").kind, "malformed");
  assert.equal(refusal({}).kind, "malformed");
  assert.equal(refusal({ term: { a: 1 }, exists: { field: "a" } }).kind, "malformed");
  assert.equal(refusal({ term: { a: 1, b: 2 } }).kind, "malformed");
  assert.equal(refusal({ match_phrase: { a: { query: { nested: 1 } } } }).kind, "malformed");
  assert.equal(refusal({ bool: { must: [{ term: { a: 1 } }], should_not: [] } }).kind, "malformed");
  assert.equal(refusal({ exists: { field: 1 } }).kind, "malformed");
});

test("hostile input: __proto__ keys are fields like any other, deep nesting and huge queries are refused", () => {
  const hostile = JSON.parse('{"match_phrase": {"__proto__": "x"}}');
  assert.deepEqual(matching(hostile, [JSON.parse('{"__proto__": "x"}'), {}, { a: 1 }]), [0]);
  assert.equal(({} as Record<string, unknown>).x, undefined);
  const byConstructor = { term: { constructor: "Object" } };
  assert.deepEqual(matching(byConstructor, [{}, { constructor: "Object" }]), [1]);
  assert.equal(refusal(JSON.parse('{"__proto__": {"term": {"a": 1}}}')).kind, "unsupported");

  let deep: unknown = { match_all: {} };
  for (let i = 0; i < 100_000; i++) deep = { bool: { must: [deep] } };
  const refused = refusal(deep);
  assert.equal(refused.kind, "malformed");
  assert.equal(refused.message, `bool queries nest deeper than ${MAX_QUERY_DEPTH}`);

  const wide = { bool: { should: Array.from({ length: 5000 }, (_, i) => ({ term: { a: i } })) } };
  assert.match(refusal(wide).message, /more than 4096 clauses/);
});
