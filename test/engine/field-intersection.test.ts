import assert from "node:assert/strict";
import { test } from "node:test";
import { intersectDocuments } from "../../src/engine/field-intersection.ts";

test("equal scalars stay, differing ones go, fields missing anywhere go", () => {
  assert.deepEqual(
    intersectDocuments([
      { a: 1, b: "x", c: true, d: 1 },
      { a: 1, b: "y", c: true, e: 1 },
    ]),
    { a: 1, c: true },
  );
});

test("numbers and strings are different values; null equals null", () => {
  assert.deepEqual(
    intersectDocuments([
      { a: 1, b: null, c: 1 },
      { a: "1", b: null, c: null },
    ]),
    { b: null },
  );
});

test("arrays keep the common values in the first document's order, without duplicates", () => {
  assert.deepEqual(
    intersectDocuments([
      { args: ["sh", "-c", "id", "-c"], tags: ["a"], none: [1, 2] },
      { args: ["-c", "sh", "whoami"], tags: ["a"], none: [3] },
    ]),
    { args: ["sh", "-c"], tags: ["a"], none: [] },
  );
});

test("an array against a single value intersects as if the value were a one-element array", () => {
  assert.deepEqual(intersectDocuments([{ action: ["fork", "exec"] }, { action: "exec" }]), {
    action: ["exec"],
  });
  assert.deepEqual(intersectDocuments([{ action: "exec" }, { action: ["fork", "exec"] }]), {
    action: ["exec"],
  });
  assert.deepEqual(intersectDocuments([{ action: "end" }, { action: ["fork", "exec"] }]), { action: [] });
});

test("objects intersect field by field and vanish when nothing is common", () => {
  assert.deepEqual(
    intersectDocuments([
      { host: { name: "n1", os: { type: "linux", kernel: "6.1" } }, process: { pid: 1 } },
      { host: { name: "n1", os: { type: "linux", kernel: "6.2" } }, process: { pid: 2 } },
    ]),
    { host: { name: "n1", os: { type: "linux" } } },
  );
  assert.deepEqual(intersectDocuments([{ a: { x: 1 } }, { a: 1 }]), undefined);
});

test("three or more documents: what all of them share", () => {
  assert.deepEqual(
    intersectDocuments([
      { a: 1, b: 2, l: [1, 2, 3] },
      { a: 1, b: 2, l: [2, 3] },
      { a: 1, b: 3, l: [3, 4] },
    ]),
    { a: 1, l: [3] },
  );
});

test("nothing in common, or no documents, gives undefined; one document is copied", () => {
  assert.equal(intersectDocuments([{ a: 1 }, { b: 1 }]), undefined);
  assert.equal(intersectDocuments([]), undefined);
  const one = { a: { b: [1] }, "c.d": 2 };
  const copy = intersectDocuments([one]);
  assert.deepEqual(copy, one);
  assert.notEqual(copy, one);
});

test("dotted keys and nested objects are the same field; dotted everywhere stays dotted", () => {
  assert.deepEqual(
    intersectDocuments([
      { "user.id": "0", "kibana.alert.original_event.action": "exec", "event.kind": "signal" },
      { user: { id: "0" }, "kibana.alert.original_event.action": "exec", "event.kind": "signal" },
    ]),
    { user: { id: "0" }, "kibana.alert.original_event.action": "exec", "event.kind": "signal" },
  );
  assert.deepEqual(intersectDocuments([{ "a.b.c": 42 }, { a: { b: { c: 42 } } }, { "a.b": { c: 42 } }]), {
    a: { b: { c: 42 } },
  });
});

test("a field one document writes both dotted and nested has both values, intersected as an array", () => {
  const [a, b, c] = [
    '{"process.name":"bash","process":{"name":"sh","pid":1},"host":{"name":"h"},"host.name":"h"}',
    '{"process":{"pid":1,"name":"sh"},"process.name":"bash","host.name":"h","host":{"name":"h"}}',
    '{"process":{"name":"bash"},"host":{"name":"h"}}',
  ].map((line) => JSON.parse(line));
  assert.deepEqual(intersectDocuments([a, b]), {
    "process.name": ["sh", "bash"],
    process: { pid: 1 },
    "host.name": "h",
  });
  assert.deepEqual(intersectDocuments([a, c]), { process: { name: ["bash"] }, host: { name: "h" } });
});

test("equal objects inside arrays are kept (Kibana compares them by reference and drops them)", () => {
  assert.deepEqual(
    intersectDocuments([
      { previous: [{ args: ["sh"] }, { args: ["id"] }] },
      { previous: [{ args: ["sh"] }] },
    ]),
    { previous: [{ args: ["sh"] }] },
  );
});

test("hostile keys are intersected as plain fields", () => {
  const a = JSON.parse('{"__proto__": {"x": 1, "y": 2}, "constructor": "c", "k": 1}');
  const b = JSON.parse('{"__proto__": {"x": 1}, "k": 1}');
  const out = intersectDocuments([a, b]);
  assert.ok(out);
  assert.equal(Object.getPrototypeOf(out), Object.prototype);
  assert.deepEqual(Object.getOwnPropertyDescriptor(out, "__proto__")?.value, { x: 1 });
  assert.equal(Object.hasOwn(out, "constructor"), false, "an inherited name is not a field of b");
  assert.equal(JSON.stringify(out), '{"__proto__":{"x":1},"k":1}');
});
