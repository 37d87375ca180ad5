import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import {
  canonicalJson,
  cloneJson,
  MAX_JSON_DEPTH,
  nestsTooDeep,
  parsedNestsTooDeep,
} from "../../src/engine/json-tree.ts";

/** `leaf` wrapped `depth` times, each wrapper an object or an array as `shapes` says. */
function nest(depth: number, shapes: boolean[], leaf: unknown): unknown {
  let value = leaf;
  for (let i = 0; i < depth; i++) value = shapes[i % shapes.length] ? { k: value } : [value];
  return value;
}

const throws = (f: () => unknown) => {
  try {
    f();
    return false;
  } catch {
    return true;
  }
};

test("nestsTooDeep refuses exactly what the alert builder's walkers cannot go through", () => {
  fc.assert(
    fc.property(
      fc.integer({ min: MAX_JSON_DEPTH - 3, max: MAX_JSON_DEPTH + 3 }),
      fc.array(fc.boolean(), { minLength: 1, maxLength: 4 }),
      fc.constantFrom<unknown>(1, "x", null, true, [], {}, [1], { a: 1 }),
      (depth, shapes, leaf) => {
        const value = { event: { category: "process" }, labels: nest(depth, shapes, leaf) };
        const refused = nestsTooDeep(value);
        assert.equal(
          refused,
          throws(() => canonicalJson(value)),
        );
        assert.equal(
          refused,
          throws(() => cloneJson(value)),
        );
      },
    ),
    { numRuns: 300 },
  );
});

test("parsedNestsTooDeep skips the walk only for texts too short to nest that deep", () => {
  fc.assert(
    fc.property(
      fc.integer({ min: MAX_JSON_DEPTH - 3, max: MAX_JSON_DEPTH + 3 }),
      // arrays only, around a one-character leaf: the shortest text for each depth
      fc.array(fc.boolean(), { minLength: 1, maxLength: 4 }),
      fc.constantFrom<unknown>(1, [], {}, [1], "x"),
      fc.boolean(),
      (depth, shapes, leaf, compact) => {
        const value = nest(depth, compact ? [false] : shapes, leaf);
        assert.equal(parsedNestsTooDeep(JSON.stringify(value), value), nestsTooDeep(value));
      },
    ),
    { numRuns: 300 },
  );
  assert.equal(parsedNestsTooDeep(undefined, nest(MAX_JSON_DEPTH + 1, [false], 1)), true, "no text: walked");
});

test("nestsTooDeep walks any depth JSON.parse can read, without recursion", () => {
  const depth = 100_000;
  assert.equal(nestsTooDeep(JSON.parse(`${"[".repeat(depth)}${"]".repeat(depth)}`)), true);
  assert.equal(nestsTooDeep(JSON.parse(`${'{"a":'.repeat(depth)}1${"}".repeat(depth)}`)), true);
  assert.equal(nestsTooDeep({ a: [1, { b: "c" }], d: null }), false);
  assert.equal(nestsTooDeep("just a string"), false);
});
