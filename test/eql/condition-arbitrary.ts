import fc from "fast-check";

/**
 * Random EQL conditions built from `leaf` conditions with `and`, `or` and (unless told not
 * to) `not`, parenthesized so that the text parses as the tree it was built as.
 */
export function conditionOf(leaf: fc.Arbitrary<string>, { negation = true } = {}): fc.Arbitrary<string> {
  return fc.letrec<{ c: string }>((tie) => ({
    c: fc.oneof(
      { depthSize: "small", withCrossShrink: true },
      leaf,
      fc.tuple(tie("c"), fc.constantFrom("and", "or"), tie("c")).map(([a, op, b]) => `(${a}) ${op} (${b})`),
      ...(negation ? [tie("c").map((c) => `not (${c})`)] : []),
    ),
  })).c;
}
