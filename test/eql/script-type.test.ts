import assert from "node:assert/strict";
import { test } from "node:test";
import { compileEventQuery } from "../../src/eql/compile-query.ts";
import { EqlError } from "../../src/eql/error.ts";
import type { Event } from "../../src/eql/field-access.ts";
import { schemaFromMappings } from "../../src/eql/mapping.ts";

const mapping = {
  properties: {
    i: { type: "integer" },
    s: { type: "short" },
    b: { type: "byte" },
    f: { type: "float" },
    d: { type: "double" },
    k: { type: "keyword" },
  },
};

function matches(query: string, event: Event): boolean {
  const schema = schemaFromMappings([mapping]);
  return compileEventQuery(query, { schema })(event);
}

test("an integer, short or byte field is a long in scripts: no int overflow", () => {
  const max = { i: 2147483647 };
  assert.equal(matches("any where i + 1 > 0", max), true);
  assert.equal(matches("any where add(i, 1) == 2147483648", max), true);
  assert.equal(matches("any where -(-i - 1) == 2147483648", max), true);
  assert.equal(matches("any where i * i == 10000000000", { i: 100000 }), true);
  assert.equal(matches("any where s * s * s == 32768000000000", { s: 32000 }), true);
  assert.equal(matches("any where b * 100000 * 100000 == 1270000000000", { b: 127 }), true);
});

test("integer division of an integer field stays integral", () => {
  assert.equal(matches("any where i / 2 == 3", { i: 7 }), true);
});

test("int literals and integer functions keep int arithmetic: it overflows as in Elasticsearch", () => {
  assert.throws(() => compileEventQuery("any where 2147483647 + 1 > 0"), EqlError);
  assert.throws(() => matches("any where length(k) + 2147483647 > 0", { k: "a" }), /integer overflow/);
});

test("a float field reads as the float widened to double in scripts, a double field as itself", () => {
  assert.equal(matches("any where f + 0 == 0.1", { f: 0.1 }), false);
  assert.equal(matches("any where f + 0 == 0.10000000149011612", { f: 0.1 }), true);
  assert.equal(matches('any where string(f) == "0.10000000149011612"', { f: 0.1 }), true);
  assert.equal(matches("any where d + 0 == 0.1", { d: 0.1 }), true);
  // a comparison with a constant is a query: the constant is read as a float too
  assert.equal(matches("any where f == 0.1", { f: 0.1 }), true);
});

test("a field mapped dynamically from a JSON fraction is a float: the same in scripts", () => {
  const events: Event[] = [{ x: 0.1 }];
  const schema = schemaFromMappings([{}], { dynamicFrom: events });
  assert.equal(compileEventQuery("any where x + 0 == 0.1", { schema })(events[0]), false);
});
