import assert from "node:assert/strict";
import { test } from "node:test";
import { type EsMapping, schemaFromMappings } from "../../src/eql/mapping.ts";
import { MappingShapeError, mappingOfDocument } from "../../src/eql/mapping-document.ts";
import { eqlSearch } from "../../src/eql/search.ts";

const keywordA = { properties: { a: { type: "keyword" } } };
const typeOfA = (document: unknown) => schemaFromMappings([mappingOfDocument(document)]).field("a")?.type;

test("a mapping, a wrapped one and an answer of GET <index>/_mapping give the same fields", () => {
  assert.equal(typeOfA(keywordA), "keyword");
  assert.equal(typeOfA({ mappings: keywordA }), "keyword");
  assert.equal(typeOfA({ "logs-1": { mappings: keywordA } }), "keyword");
  // the backing indices of one data stream, mapped alike
  assert.equal(typeOfA({ ".ds-1": { mappings: keywordA }, ".ds-2": { mappings: keywordA } }), "keyword");
  assert.equal(typeOfA({ dynamic: "strict" }), undefined);
});

test("a document of another shape is refused with where it goes wrong", () => {
  for (const [document, message] of [
    [null, /a mapping is a JSON object, found null/],
    [[keywordA], /found an array/],
    [{}, /neither a mapping/],
    [{ index: keywordA }, /neither a mapping/],
    [
      { "logs-1": { mappings: keywordA }, "logs-2": { mappings: { properties: {} } } },
      /logs-1 and logs-2 differ/,
    ],
    [{ properties: { a: "keyword" } }, /^properties\.a: a field's mapping is an object, found "keyword"$/],
    [
      { properties: { a: { properties: { b: { type: 5 } } } } },
      /^properties\.a\.properties\.b\.type: a type is a string/,
    ],
    [{ properties: { a: { type: "text", fields: { raw: [] } } } }, /^properties\.a\.fields\.raw: /],
    [{ mappings: { properties: 1 } }, /^mappings\.properties: an object, found 1$/],
    [
      { "logs-1": { mappings: { properties: { a: null } } } },
      /^logs-1\.mappings\.properties\.a: .*found null$/,
    ],
    [{ runtime: { r: { script: "emit(1)" } } }, /^runtime\.r: a runtime field needs a type$/],
    [
      { runtime: { r: { type: "composite", fields: { x: {} } } } },
      /^runtime\.r\.fields\.x: a runtime field needs a type$/,
    ],
    [{ mappings: "none" }, /^mappings: an object, found "none"$/],
  ] as const) {
    assert.throws(
      () => mappingOfDocument(document),
      (error: Error) => {
        assert.ok(error instanceof MappingShapeError);
        assert.match(error.message, message);
        return true;
      },
    );
  }
});

test("eqlSearch reads an index's mapping the same way, and refuses one of the wrong shape unread", async () => {
  let read = 0;
  async function* events() {
    read++;
    yield { "@timestamp": 1, event: { category: "network" }, src: "2001:db8::1" };
  }
  // typed as an ip, the field matches the address however it is written
  const query = { query: 'network where src == "2001:0db8:0000::1"' };
  const answer = { "logs-1": { mappings: { properties: { src: { type: "ip" } } } } } as EsMapping;
  const typed = await eqlSearch([{ name: "logs-1", mapping: answer, events: events() }], query);
  assert.equal(typed.hits.total.value, 1);
  const untyped = await eqlSearch([{ name: "logs-1", events: events() }], query);
  assert.equal(untyped.hits.total.value, 0);
  const wrong = { properties: { src: "ip" } } as EsMapping;
  await assert.rejects(
    eqlSearch([{ name: "logs-1", mapping: wrong, events: events() }], query),
    MappingShapeError,
  );
  assert.equal(read, 2);
});
