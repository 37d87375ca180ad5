import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { editDistance } from "../../src/eql/suggest.ts";

/** The whole Levenshtein table, written plainly: the oracle for the bounded, row-reusing one. */
function levenshtein(a: string, b: string): number {
  const table = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= a.length; i++)
    for (let j = 1; j <= b.length; j++)
      table[i][j] = Math.min(
        table[i - 1][j] + 1,
        table[i][j - 1] + 1,
        table[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
  return table[a.length][b.length];
}

test("editDistance is Levenshtein's distance, exact up to its bound and above it when beyond", () => {
  const text = fc.string({
    unit: fc.constantFrom("a", "b", "c", ".", "_", "é"),
    maxLength: 150,
    size: "max",
  });
  fc.assert(
    fc.property(text, text, fc.integer({ min: 0, max: 6 }), (a, b, max) => {
      const exact = levenshtein(a, b);
      assert.equal(editDistance(a, b), exact);
      const bounded = editDistance(a, b, max);
      if (exact <= max) assert.equal(bounded, exact);
      else assert.ok(bounded > max);
    }),
    { numRuns: 800 },
  );
  assert.equal(editDistance("process.name", "process.nme"), 1);
  assert.equal(editDistance("kitten", "sitting"), 3);
  // longer than the rows first allocated
  assert.equal(editDistance(`${"a".repeat(120)}b`, "a".repeat(120)), 1);
});
