import assert from "node:assert/strict";
import { test } from "node:test";
import { prepareQuery } from "../../src/eql/compile-query.ts";
import { EqlError } from "../../src/eql/error.ts";
import { schemaFromMappings } from "../../src/eql/mapping.ts";

const schema = schemaFromMappings([
  {
    properties: {
      event: { properties: { category: { type: "keyword" } } },
      pid: { type: "long" },
      ppid: { type: "long" },
      md5: { type: "keyword" },
      name: { type: "keyword" },
      addr: { type: "ip" },
      ok: { type: "boolean" },
      body: { type: "text" },
      title: { type: "text", fields: { keyword: { type: "keyword" } } },
      procs: { type: "nested", properties: { pid: { type: "long" } } },
      where_: { type: "geo_point" },
    },
  },
]);

function problems(query: string, withSchema = true): string[] {
  try {
    prepareQuery(query, withSchema ? { schema } : {});
  } catch (e) {
    assert.ok(e instanceof EqlError, String(e));
    return e.problems.map((p) => `${p.line}:${p.column}: ${p.message}`);
  }
  return [];
}

test("unknown fields: an error with suggestions; ?field is allowed", () => {
  assert.deepEqual(problems('any where md4 == "x"'), ["1:11: Unknown column [md4], did you mean [md5]?"]);
  assert.deepEqual(problems("any where pib == 1"), [
    "1:11: Unknown column [pib], did you mean any of [pid, ppid]?",
  ]);
  assert.deepEqual(problems("any where ?nothing == 1"), []);
  assert.deepEqual(problems("any where nothing == 1", false), [], "without a schema fields are not checked");
});

test("the category field must exist when a category is used", () => {
  const noCategory = schemaFromMappings([{ properties: { pid: { type: "long" } } }]);
  assert.throws(
    () => prepareQuery("process where pid == 1", { schema: noCategory }),
    /Unknown column \[event\.category\]/,
  );
  assert.ok(prepareQuery("any where pid == 1", { schema: noCategory }));
});

test("unsupported field types name the reason", () => {
  assert.match(
    problems('any where body == "x"')[0],
    /No keyword\/multi-field defined exact matches for \[body\]/,
  );
  assert.deepEqual(problems('any where title == "x"'), []);
  assert.match(problems("any where procs.pid == 1")[0], /nested/);
  assert.match(
    problems('any where where_ == "x"')[0],
    /Cannot use field \[where_\] with unsupported type \[geo_point\]/,
  );
});

test("functions: unknown names get the nearest one, arity and ~ are checked", () => {
  assert.deepEqual(problems('any where arrayContains(name, "a")'), [
    "1:11: Unknown function [arrayContains], did you mean [stringcontains]?",
  ]);
  assert.deepEqual(problems("any where startswith(name)"), [
    "1:11: error building [startswith]: expects exactly two arguments",
  ]);
  assert.deepEqual(problems("any where between(name)"), [
    "1:11: error building [between]: expects three or four arguments",
  ]);
  assert.deepEqual(problems("any where cidrMatch(addr)"), [
    "1:11: error building [cidrMatch]: expects at least two arguments",
  ]);
  assert.match(
    problems("any where add~(pid, 1) == 2")[0],
    /Function \[add~\] does not support case-insensitivity/,
  );
  assert.deepEqual(problems('any where STARTSWITH~(name, "a")'), []);
});

test("argument and operand types", () => {
  assert.deepEqual(problems('any where startsWith(pid, "a")'), [
    '1:22: first argument of [startsWith(pid, "a")] must be [string], found value [pid] type [long]',
  ]);
  assert.deepEqual(problems('any where pid : "1*"'), [
    "1:11: first argument of [:] must be [string], found value [pid] type [long]; consider using [==] instead",
  ]);
  assert.match(
    problems('any where pid like "1*"')[0],
    /first argument of \[pid like "1\*"\] must be \[string\]/,
  );
  assert.deepEqual(problems('any where pid in (1, "string")'), [
    '1:22: 2nd argument of [pid in (1, "string")] must be [long], found value ["string"] type [keyword]',
  ]);
  assert.match(problems("any where name + 1 == 2")[0], /first argument of \[name \+ 1\] must be \[numeric\]/);
  assert.match(problems('any where cidrMatch(ok, "10.0.0.0/8")')[0], /must be \[ip\]/);
  assert.deepEqual(
    problems('any where pid == "5"'),
    [],
    "a literal compared with a field is coerced, not rejected",
  );
});

test("number() is declared a double, as Elasticsearch's verifier sees it, though its value may be a long", () => {
  assert.deepEqual(problems('any where substring(name, number("1")) == "x"'), [
    '1:27: second argument of [substring(name, number("1"))] must be [integer], found value [number("1")] type [double]',
  ]);
  assert.deepEqual(problems('any where startsWith(number(name), "1")'), [
    '1:22: first argument of [startsWith(number(name), "1")] must be [string], found value [number(name)] type [double]',
  ]);
  assert.deepEqual(problems('any where number(name) in (1, "x")'), [
    '1:31: 2nd argument of [number(name) in (1, "x")] must be [double], found value ["x"] type [keyword]',
  ]);
  assert.deepEqual(problems("any where number(name) in (1, 2.5) and number(name) / 2 == 1"), []);
});

test("field-to-field comparisons are rejected, naming the offender", () => {
  assert.deepEqual(problems("any where pid == ppid"), [
    "1:18: Comparisons against fields are not (currently) supported; offender [ppid] in [==]",
  ]);
  assert.deepEqual(problems("any where pid != ppid + 1"), [
    "1:18: Comparisons against fields are not (currently) supported; offender [ppid + 1] in [==]",
  ]);
  assert.deepEqual(problems('any where name in ("a", md5)'), [
    "1:25: Comparisons against fields are not (currently) supported; offender [md5] in [==]",
  ]);
  assert.deepEqual(problems("any where length(name) > 0"), []);
});

test("the condition must be boolean; a bare boolean field is fine", () => {
  assert.deepEqual(problems("any where pid"), [
    "1:11: Condition expression needs to be boolean, found [LONG]",
  ]);
  assert.deepEqual(problems("any where ok"), []);
  assert.deepEqual(problems("any where not ok and true"), []);
});

test("sequence keys at one position must have compatible types", () => {
  assert.deepEqual(problems("sequence [any where true] by md5 [any where true] by pid"), [
    "1:54: Sequence key [pid] type [long] is incompatible with key [md5] type [keyword]",
  ]);
  assert.deepEqual(problems("sequence [any where true] by name [any where true] by title"), []);
});

test("all problems are reported together", () => {
  const e = (() => {
    try {
      prepareQuery('any where md4 == 1 and foo(1) and pid : "x"', { schema });
    } catch (error) {
      return error as EqlError;
    }
  })();
  assert.ok(e);
  assert.equal(e.problems.length, 3);
  assert.match(e.message, /^Found 3 problems\nline 1:11: Unknown column \[md4\]/);
});

test("cidrMatch takes an ip and constant blocks, as Elasticsearch's verifier requires", () => {
  assert.deepEqual(problems('any where cidrMatch(name, "10.0.0.0/8")'), [
    '1:21: first argument of [cidrMatch(name, "10.0.0.0/8")] must be [ip], found value [name] type [keyword]',
  ]);
  assert.deepEqual(problems('any where cidrMatch("10.1.2.3", "10.0.0.0/8")'), [
    '1:21: first argument of [cidrMatch("10.1.2.3", "10.0.0.0/8")] must be [ip], found value ["10.1.2.3"] type [keyword]',
  ]);
  assert.deepEqual(problems('any where cidrMatch(addr, "10.0.0.0/8", name)'), [
    '1:41: third argument of [cidrMatch(addr, "10.0.0.0/8", name)] must be a constant, received [name]',
  ]);
  assert.deepEqual(problems("any where cidrMatch(addr, md5)", false), [
    "1:27: second argument of [cidrMatch(addr, md5)] must be a constant, received [md5]",
  ]);
  assert.deepEqual(problems('any where cidrMatch(addr, concat("10.0.0.0/", "8"), ?nope)'), []);
});
