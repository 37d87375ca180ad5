import assert from "node:assert/strict";
import test from "node:test";
import fc from "fast-check";
import { compileFieldGetter, scalarValues, someValue } from "../../src/eql/field-access.ts";
import { eqlSearch } from "../../src/eql/search.ts";

/**
 * `someValue` walks flat arrays without a stack and hands the rest to one: whatever the
 * nesting, it must visit the scalars of a value in the order a plain depth-first walk does,
 * and stop at the first that passes.
 */

type Scalar = string | number | boolean;

function depthFirst(raw: unknown, out: Scalar[] = []): Scalar[] {
  if (Array.isArray(raw)) for (const v of raw) depthFirst(v, out);
  else if (raw !== undefined && raw !== null && typeof raw !== "object") out.push(raw as Scalar);
  return out;
}

const leaf = fc.oneof(
  fc.string({ maxLength: 2 }),
  fc.integer(),
  fc.boolean(),
  fc.constant(null),
  fc.constant({}),
);
const value = fc.letrec<{ v: unknown }>((tie) => ({
  v: fc.oneof({ depthSize: "small" }, leaf, fc.array(tie("v"), { maxLength: 4 })),
})).v;

test("someValue visits the scalars of any value in depth-first order, and stops at the first that passes", () => {
  fc.assert(
    fc.property(value, fc.nat(6), (raw, stopAt) => {
      const expected = depthFirst(raw);
      assert.deepEqual(scalarValues(raw), expected);
      const seen: Scalar[] = [];
      const found = someValue(raw, (v) => {
        seen.push(v);
        return seen.length === stopAt;
      });
      assert.equal(found, stopAt > 0 && expected.length >= stopAt);
      assert.deepEqual(seen, expected.slice(0, found ? stopAt : expected.length));
    }),
    { numRuns: 2000 },
  );
});

test("deep nesting is walked without the call stack", () => {
  let deep: unknown = ["x"];
  for (let i = 0; i < 100_000; i++) deep = [1, deep];
  assert.equal(
    someValue(deep, (v) => v === "x"),
    true,
  );
});

test("a getter is refused, not built, for a field name past the limits (a request's timestamp_field)", async () => {
  assert.throws(() => compileFieldGetter(Array(100).fill("a").join(".")), RangeError);
  await assert.rejects(
    eqlSearch([{ event: { category: "process" } }], {
      query: "process where true",
      timestamp_field: Array(100).fill("t").join("."),
    }),
    /a field name has at most 64 parts; found 100/,
  );
  assert.equal(compileFieldGetter(Array(64).fill("a").join("."))({ a: 1 }), undefined);
});

test("a field written both as a dotted key and as nested objects has the values of both, nested first", () => {
  // Elasticsearch expands dotted keys into objects at index time: both values are indexed as one
  // multi-valued field, and its source lookup reads the shorter key first, whatever the key order.
  const name = compileFieldGetter("process.name");
  assert.deepEqual(name({ "process.name": "bash", process: { name: "benign" } }), ["benign", "bash"]);
  assert.deepEqual(name({ process: { name: "benign" }, "process.name": "bash" }), ["benign", "bash"]);
  assert.deepEqual(name({ process: { name: ["a", "b"] }, "process.name": "c" }), [["a", "b"], "c"]);
  assert.deepEqual(compileFieldGetter("a.b")({ "a.b": 1, a: { b: 2 } }), [2, 1]);
  // below the top, and every way of cutting the name at once
  const parent = compileFieldGetter("process.parent.name");
  assert.deepEqual(parent({ process: { "parent.name": "x", parent: { name: "y" } } }), ["y", "x"]);
  const everyCut = {
    process: { parent: { name: 1 }, "parent.name": 2 },
    "process.parent": { name: 3 },
    "process.parent.name": 4,
  };
  assert.deepEqual(scalarValues(parent(everyCut)), [1, 2, 3, 4]);
  // the same value written both ways is that value once (arrays of objects keep every element's)
  assert.equal(name({ "process.name": "bash", process: { name: "bash" } }), "bash");
  assert.deepEqual(name({ "process.name": ["a", "b"], process: { name: ["a", "b"] } }), ["a", "b"]);
  assert.deepEqual(name({ "process.name": ["b", "a"], process: { name: ["a", "b"] } }), [
    ["a", "b"],
    ["b", "a"],
  ]);
  assert.equal(
    parent({ process: { "parent.name": "y", parent: { name: "y" } }, "process.parent.name": "y" }),
    "y",
  );
  assert.deepEqual(compileFieldGetter("p")({ p: [{ n: 1 }, { n: 1 }] }), [{ n: 1 }, { n: 1 }]);
  assert.deepEqual(compileFieldGetter("p.n")({ p: [{ n: 1 }, { n: 1 }] }), [1, 1]);
  // a dotted key that names something else leaves the nested value alone
  assert.equal(name({ process: { name: "bash" }, "process.pid": 1, "process.name.x": 2 }), "bash");
});
