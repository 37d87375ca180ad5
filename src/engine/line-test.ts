import type { FieldQuery } from "../eql/compiler.ts";
import type { Requirement } from "../eql/requirement.ts";

/** A raw-line test of the prefilter: whatever it reads the line through (its text, a scan of it). */
export type LineTest<A, B = void, C = void> = (a: A, b: B, c: C) => boolean;

/**
 * A requirement as a test of raw lines: `fieldTest` says how one field condition is judged on
 * the line (or undefined when it cannot be: the condition then passes), the rest is the same
 * for every prefilter.
 */
export function requirementTest<A, B = void, C = void>(
  r: Requirement,
  fieldTest: (query: FieldQuery) => LineTest<A, B, C> | undefined,
): LineTest<A, B, C> {
  switch (r.kind) {
    case "always":
      return passes;
    case "never":
      return fails;
    case "field":
      return fieldTest(r.query) ?? passes;
    case "all":
      return mostSelectiveFirst(r.of.map((p) => requirementTest(p, fieldTest)));
    case "some": {
      const parts = r.of.map((p) => requirementTest(p, fieldTest));
      return (a, b, c) => parts.some((p) => p(a, b, c));
    }
  }
}

const passes = () => true;
const fails = () => false;

/** How often a conjunction re-sorts its parts by how often each lets a line through. */
const REORDER_EVERY = 1024;

/**
 * A conjunction that tries first the part that has rejected the most lines so far: the
 * order of `and` does not change its answer, and most lines then cost one test.
 */
function mostSelectiveFirst<A, B, C>(parts: LineTest<A, B, C>[]): LineTest<A, B, C> {
  const tried = new Float64Array(parts.length);
  const passed = new Float64Array(parts.length);
  let order = parts.map((_, i) => i);
  let calls = 0;
  const rate = (i: number) => (tried[i] === 0 ? 0 : passed[i] / tried[i]);
  return (a, b, c) => {
    if (++calls % REORDER_EVERY === 0) order = [...order].sort((x, y) => rate(x) - rate(y));
    for (const i of order) {
      tried[i]++;
      if (!parts[i](a, b, c)) return false;
      passed[i]++;
    }
    return true;
  };
}
