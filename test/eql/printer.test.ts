import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { EqlError } from "../../src/eql/error.ts";
import { parse } from "../../src/eql/parser.ts";
import { print } from "../../src/eql/printer.ts";

/** The tree without source offsets, which printing is free to change. */
const withoutLocations = (node: unknown): unknown =>
  JSON.parse(JSON.stringify(node, (key, value) => (key === "loc" ? undefined : value)));

const roundTrips = (q: string) => {
  const ast = parse(q);
  const printed = print(ast);
  assert.deepEqual(withoutLocations(parse(printed)), withoutLocations(ast), `printed as: ${printed}`);
  return printed;
};

test("printing is canonical and parses back to the same tree", () => {
  assert.equal(
    roundTrips('process where  a.b:"x*" and (c==1 or not d)'),
    'process where a.b : "x*" and (c == 1 or not d)',
  );
  assert.equal(
    roundTrips("any where (a + b) in (1, 2) and -(x) * 3 < 4"),
    "any where (a + b) in (1, 2) and -x * 3 < 4",
  );
  assert.equal(roundTrips("any where a - (b - c) == (d / e) * f"), "any where a - (b - c) == d / e * f");
  assert.equal(roundTrips("any where (-x) in (1)"), "any where (-x) in (1)");
  assert.equal(roundTrips("any where not (not a)"), "any where not not a");
  assert.equal(roundTrips("any where (a == 1) == true"), "any where (a == 1) == true");
  assert.equal(
    roundTrips('any where `a b`.`c``d`.`in` == "\\u{01}\\n\\"\\\\"'),
    'any where `a b`.`c``d`.`in` == "\\u{01}\\n\\"\\\\"',
  );
  assert.equal(roundTrips('any where x : ("a") and y regex~ "b"'), 'any where x : ("a") and y regex~ "b"');
  assert.equal(
    roundTrips("any where x == 2.0 and y == 1e21 and z == 8589934592"),
    "any where x == 2.0 and y == 1e+21 and z == 8589934592",
  );
  assert.equal(
    roundTrips(
      "sequence by h with maxspan=5m [process where true] by a with runs=2 ![file where ?b == null] by c until [x where true] by d | tail 3",
    ),
    "sequence by h with maxspan=5m [process where true] by a with runs=2 ![file where ?b == null] by c until [x where true] by d | tail 3",
  );
  assert.equal(
    roundTrips('sample by a, b ["odd category" where true] [x where true]'),
    'sample by a, b ["odd category" where true] [x where true]',
  );
});

const name = fc.constantFrom(
  "a",
  "b",
  "process",
  "@timestamp",
  "_x",
  "in",
  "sequence",
  "my-field",
  "x y",
  "a`b",
  "9z",
);
const field = fc
  .tuple(fc.boolean(), fc.array(name, { minLength: 1, maxLength: 3 }))
  .map(
    ([optional, parts]) =>
      (optional ? "?" : "") +
      parts
        .map((p) =>
          /^[A-Za-z_@][A-Za-z0-9_]*$/.test(p) && !["in", "sequence"].includes(p)
            ? p
            : `\`${p.replace(/`/g, "``")}\``,
        )
        .join("."),
  );
const stringLiteral = fc
  .string({ maxLength: 6, unit: "grapheme" })
  .map((s) => JSON.stringify(s).replace(/\\u([0-9a-f]{4})/g, "\\u{$1}"));
const literal = fc.oneof(
  stringLiteral,
  fc.nat().map(String),
  fc.constantFrom("8589934592", "1.5", ".5", "2e3", "true", "false", "null", '"""raw\\"""'),
);
const expression: fc.Arbitrary<string> = fc.letrec<{ e: string }>((tie) => ({
  e: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    literal,
    field,
    fc
      .tuple(tie("e"), fc.constantFrom("==", "!=", "<", ">=", "+", "-", "*", "/", "%", "and", "or"), tie("e"))
      .map(([a, op, b]) => `${a} ${op} ${b}`),
    tie("e").map((a) => `(${a})`),
    tie("e").map((a) => `not ${a}`),
    tie("e").map((a) => `-${a}`),
    fc
      .tuple(
        field,
        fc.constantFrom(":", "like", "like~", "regex", "regex~"),
        fc.array(stringLiteral, { minLength: 1, maxLength: 3 }),
      )
      .map(([f, op, ps]) => (ps.length === 1 ? `${f} ${op} ${ps[0]}` : `${f} ${op} (${ps.join(", ")})`)),
    fc
      .tuple(
        field,
        fc.constantFrom("in", "in~", "not in", "not in~"),
        fc.array(literal, { minLength: 1, maxLength: 3 }),
      )
      .map(([f, op, vs]) => `${f} ${op} (${vs.join(", ")})`),
    fc
      .tuple(
        fc.constantFrom("concat", "startsWith~", "LENGTH", "between"),
        fc.array(tie("e"), { maxLength: 3 }),
      )
      .map(([f, args]) => `${f}(${args.join(", ")})`),
  ),
})).e;

test("property: print(parse(q)) parses back to the same tree", () => {
  fc.assert(
    fc.property(fc.constantFrom("process", "any", '"a-b"'), expression, (category, e) => {
      let ast: ReturnType<typeof parse>;
      try {
        ast = parse(`${category} where ${e}`);
      } catch (error) {
        // chained comparisons and the like are generated too; those must be syntax errors
        assert.ok(error instanceof EqlError);
        return;
      }
      const printed = print(ast);
      assert.deepEqual(withoutLocations(parse(printed)), withoutLocations(ast), printed);
    }),
    { numRuns: 3000 },
  );
});

const eqlish = fc.string({
  unit: fc.constantFrom(
    ..."abcpw \"'`\\/*()[]!?=<>:~|.,-+%@_01\n".split(""),
    "where",
    "sequence",
    "by",
    "with",
    "maxspan",
    "not",
    "in",
    '"""',
  ),
  maxLength: 40,
});

test("property: any input either parses or fails with a positioned EqlError", () => {
  fc.assert(
    fc.property(fc.oneof(fc.string({ maxLength: 60 }), eqlish), (text) => {
      try {
        parse(text);
      } catch (error) {
        assert.ok(error instanceof EqlError, `${text} threw ${error}`);
        assert.ok(error.line >= 1 && error.column >= 1);
      }
    }),
    { numRuns: 5000 },
  );
});
