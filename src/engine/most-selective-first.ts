/** How often a conjunction re-sorts its parts by how often each lets a line through. */
const REORDER_EVERY = 1024;

/** A raw-line test of the prefilter: whatever it reads the line through (its text, a scan of it). */
export type LineTest<A, B = void, C = void> = (a: A, b: B, c: C) => boolean;

/**
 * A conjunction that tries first the part that has rejected the most lines so far: the
 * order of `and` does not change its answer, and most lines then cost one test.
 */
export function mostSelectiveFirst<A, B = void, C = void>(parts: LineTest<A, B, C>[]): LineTest<A, B, C> {
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
