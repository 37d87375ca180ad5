import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  detectDateFormat,
  type EsMapping,
  parseMappingFile,
  schemaFromMappings,
} from "../../src/eql/mapping.ts";

const shop: EsMapping = {
  properties: {
    order_id: { type: "long" },
    status: { type: "keyword", null_value: "UNKNOWN" },
    title: { type: "text", fields: { exact: { type: "keyword" } } },
    body: { type: "text" },
    notes: { type: "text", fields: { stemmed: { type: "text" } } },
    placed: { type: "date", format: "dd/MM/yyyy||epoch_millis" },
    placed_ns: { type: "date_nanos" },
    qty: { type: "short" },
    price: { type: "scaled_float", scaling_factor: 100 },
    weight: { type: "double" },
    gift: { type: "boolean" },
    client: { type: "ip" },
    app: { type: "version" },
    tag: { type: "wildcard" },
    where: { type: "geo_point" },
    span: { type: "date_range" },
    customer: {
      properties: {
        name: { type: "constant_keyword" },
        address: { properties: { city: { type: "keyword" } } },
      },
    },
    lines: {
      type: "nested",
      properties: { sku: { type: "keyword" }, count: { type: "integer" } },
    },
    kind: { type: "alias", path: "status" },
    heading: { type: "alias", path: "title" },
    city: { type: "alias", path: "customer.address.city" },
  },
};

describe("schemaFromMappings: explicit mappings", () => {
  const schema = schemaFromMappings([shop]);

  test("maps Elasticsearch types to EQL types", () => {
    const types = Object.fromEntries(
      ["order_id", "status", "qty", "price", "weight", "gift", "client", "app", "tag", "placed_ns"].map(
        (n) => [n, schema.field(n)?.type],
      ),
    );
    assert.deepEqual(types, {
      order_id: "long",
      status: "keyword",
      qty: "integer",
      price: "float",
      weight: "double",
      gift: "boolean",
      client: "ip",
      app: "version",
      tag: "keyword",
      placed_ns: "date_nanos",
    });
  });

  test("flattens object properties into dotted names and notes the objects", () => {
    assert.deepEqual(schema.field("customer.address.city"), {
      name: "customer.address.city",
      type: "keyword",
      sourcePath: "customer.address.city",
    });
    assert.equal(schema.field("customer.name")?.type, "keyword");
    assert.equal(schema.field("customer")?.type, "object");
    assert.equal(schema.field("customer.address")?.type, "object");
    assert.ok(!schema.fieldNames().includes("customer"));
  });

  test("an alias has its own name, the target's type and reads the target", () => {
    assert.deepEqual(schema.field("kind"), {
      name: "kind",
      type: "keyword",
      sourcePath: "status",
      nullValue: "UNKNOWN",
    });
    assert.deepEqual(schema.field("city"), {
      name: "city",
      type: "keyword",
      sourcePath: "customer.address.city",
    });
    assert.ok(schema.fieldNames().includes("kind"));
  });

  test("an alias of a text field keeps its exact sub-field", () => {
    assert.equal(schema.field("heading")?.keywordSubfield, "title.exact");
    assert.equal(schema.field("heading")?.sourcePath, "title");
  });

  test("a text field with a keyword multi-field is queryable through it", () => {
    assert.deepEqual(schema.field("title"), {
      name: "title",
      type: "text",
      sourcePath: "title",
      keywordSubfield: "title.exact",
    });
    assert.deepEqual(schema.field("title.exact"), {
      name: "title.exact",
      type: "keyword",
      sourcePath: "title",
    });
    assert.ok(schema.fieldNames().includes("title"));
  });

  test("a text field without an exact sub-field is unsupported", () => {
    assert.equal(
      schema.field("body")?.unsupported,
      "No keyword/multi-field defined exact matches for [body]; define one or use MATCH/QUERY instead",
    );
    assert.match(schema.field("notes")?.unsupported ?? "", /exact matches for \[notes\]/);
    assert.ok(!schema.fieldNames().includes("body"));
  });

  test("the exact-match message names only the last path segment", () => {
    const s = schemaFromMappings([{ properties: { doc: { properties: { english: { type: "text" } } } } }]);
    assert.match(s.field("doc.english")?.unsupported ?? "", /exact matches for \[english\];/);
  });

  test("nested fields and everything under them are unsupported", () => {
    assert.equal(schema.field("lines")?.type, "nested");
    assert.equal(
      schema.field("lines")?.unsupported,
      "Cannot use field [lines] type [nested] due to nested fields not being supported yet",
    );
    assert.equal(
      schema.field("lines.count")?.unsupported,
      "Cannot use field [lines.count] type [integer] with unsupported nested type in hierarchy (field [lines])",
    );
    assert.ok(!schema.fieldNames().some((n) => n.startsWith("lines")));
  });

  test("types EQL cannot query are unsupported", () => {
    assert.equal(
      schema.field("where")?.unsupported,
      "Cannot use field [where] with unsupported type [geo_point]",
    );
    assert.equal(
      schema.field("span")?.unsupported,
      "Cannot use field [span] with unsupported type [date_range]",
    );
  });

  test("keeps null_value and date format", () => {
    assert.equal(schema.field("status")?.nullValue, "UNKNOWN");
    assert.equal(schema.field("placed")?.format, "dd/MM/yyyy||epoch_millis");
    assert.equal(schema.field("placed")?.type, "date");
  });

  test("unknown names are undefined", () => {
    assert.equal(schema.field("nope"), undefined);
  });

  test("runtime fields are fields of their type", () => {
    const s = schemaFromMappings([
      {
        runtime: { day: { type: "keyword", script: { source: "emit('x')" } } },
        properties: { n: { type: "long" } },
      },
    ]);
    assert.deepEqual(s.field("day"), { name: "day", type: "keyword", sourcePath: "day" });
    assert.deepEqual(s.fieldNames(), ["day", "n"]);
  });

  test("accepts the { mappings: … } wrapper", () => {
    const s = schemaFromMappings([{ mappings: { properties: { a: { type: "ip" } } } }]);
    assert.equal(s.field("a")?.type, "ip");
  });
});

describe("schemaFromMappings: several indices", () => {
  test("the first definition of a name wins and the rest are added", () => {
    const s = schemaFromMappings([
      { properties: { id: { type: "long" }, a: { type: "keyword" } } },
      { properties: { id: { type: "keyword" }, b: { type: "ip" }, c: { type: "alias", path: "b" } } },
    ]);
    assert.equal(s.field("id")?.type, "long");
    assert.equal(s.field("b")?.type, "ip");
    assert.equal(s.field("c")?.sourcePath, "b");
    assert.deepEqual(s.fieldNames(), ["a", "b", "c", "id"]);
  });
});

describe("schemaFromMappings: dynamic mapping from events", () => {
  const events = [
    { host: "web-1", pid: 42, load: 0.5, up: true, gone: null },
    { "proc.name": "sh", proc: { args: ["-c", "ls"] }, seen: "2024-05-06T07:08:09.123Z" },
    { odd: "2024/05/06", later: ["x"], gone: 3 },
    { multi: [null, 7, "eight"] },
  ];
  const schema = schemaFromMappings([{ properties: { pid: { type: "keyword" } } }], { dynamicFrom: events });

  test("strings become text with a keyword sub-field", () => {
    assert.deepEqual(schema.field("host"), {
      name: "host",
      type: "text",
      sourcePath: "host",
      keywordSubfield: "host.keyword",
    });
    assert.deepEqual(schema.field("host.keyword"), {
      name: "host.keyword",
      type: "keyword",
      sourcePath: "host",
    });
  });

  test("numbers and booleans", () => {
    assert.equal(schema.field("load")?.type, "float");
    assert.equal(schema.field("up")?.type, "boolean");
  });

  test("a mapped field keeps its mapping", () => {
    assert.equal(schema.field("pid")?.type, "keyword");
  });

  test("the first non-null value decides the type", () => {
    assert.equal(schema.field("gone")?.type, "long");
    assert.equal(schema.field("multi")?.type, "long");
  });

  test("dotted keys and nested objects are the same field", () => {
    assert.equal(schema.field("proc")?.type, "object");
    assert.equal(schema.field("proc.name")?.type, "text");
    assert.equal(schema.field("proc.args")?.keywordSubfield, "proc.args.keyword");
  });

  test("date detection", () => {
    assert.equal(schema.field("seen")?.type, "date");
    assert.equal(schema.field("seen")?.format, "strict_date_optional_time");
    assert.equal(schema.field("odd")?.type, "date");
    assert.equal(schema.field("odd")?.format, "yyyy/MM/dd HH:mm:ss Z||yyyy/MM/dd Z");
  });

  test("null-only fields get no mapping", () => {
    const s = schemaFromMappings([], { dynamicFrom: [{ a: null }, { a: [null] }] });
    assert.equal(s.field("a"), undefined);
  });

  test("integers are long", () => {
    const s = schemaFromMappings([], { dynamicFrom: [{ n: 1 }] });
    assert.equal(s.field("n")?.type, "long");
  });

  test("dynamic: false and strict add nothing, per object too", () => {
    const off = schemaFromMappings([{ dynamic: "strict", properties: {} }], { dynamicFrom: [{ a: 1 }] });
    assert.equal(off.field("a"), undefined);
    const inner = schemaFromMappings([{ properties: { o: { type: "object", dynamic: false } } }], {
      dynamicFrom: [{ o: { x: 1 }, y: 2 }],
    });
    assert.equal(inner.field("o.x"), undefined);
    assert.equal(inner.field("y")?.type, "long");
  });

  test("fields found under a nested field are unsupported", () => {
    const s = schemaFromMappings([{ properties: { items: { type: "nested" } } }], {
      dynamicFrom: [{ items: [{ qty: 1 }] }],
    });
    assert.match(s.field("items.qty")?.unsupported ?? "", /nested type in hierarchy \(field \[items\]\)/);
  });

  test("a leaf field does not grow sub-fields", () => {
    const s = schemaFromMappings([], { dynamicFrom: [{ a: 1 }, { a: { b: 2 } }, { "a.c": 3 }] });
    assert.equal(s.field("a")?.type, "long");
    assert.equal(s.field("a.b"), undefined);
    assert.equal(s.field("a.c"), undefined);
  });
});

describe("detectDateFormat", () => {
  for (const s of [
    "2024",
    "2024-02",
    "2024-02-29",
    "2024-02-29T10:11",
    "2024-02-29T10:11:12.123456789+01:00",
  ]) {
    test(`${s} is a date`, () => assert.equal(detectDateFormat(s), "strict_date_optional_time"));
  }
  for (const s of ["1", "123", "2023-02-29", "2024-13-01", "24-01-01", "2024-01-01 10:00", "yesterday", ""]) {
    test(`${JSON.stringify(s)} is not a date`, () => assert.equal(detectDateFormat(s), undefined));
  }
  test("the slash format with and without time and zone", () => {
    for (const s of ["2015/09/02", "2015/09/02 10:11:12", "2015/09/02 10:11:12 +0100"]) {
      assert.equal(detectDateFormat(s), "yyyy/MM/dd HH:mm:ss Z||yyyy/MM/dd Z");
    }
  });
});

describe("parseMappingFile", () => {
  test("drops # lines and replaces the random keyword type", () => {
    const text = [
      "# comment line",
      "{",
      '  "properties": {',
      "    # another",
      '    "a": { "type": "[runtime_random_keyword_type]" },',
      '    "b": { "type": "text", "fields": { "[runtime_random_keyword_type]": { "type": "[runtime_random_keyword_type]" } } }',
      "  }",
      "}",
    ].join("\n");
    assert.deepEqual(parseMappingFile(text), {
      properties: {
        a: { type: "keyword" },
        b: { type: "text", fields: { keyword: { type: "keyword" } } },
      },
    });
  });
});
