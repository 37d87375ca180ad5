import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { prepareQuery } from "../../src/eql/compile-query.ts";
import { EqlError } from "../../src/eql/error.ts";
import { eventQueriesOf } from "../../src/eql/event-queries.ts";
import { schemaFromMappings } from "../../src/eql/mapping.ts";
import { conditionOf } from "./condition-arbitrary.ts";

/**
 * `QueryCompiler.check` stands in for compiling when rules load: it must refuse exactly
 * what compiling refuses, with the same problems, and accept everything else.
 */

const schema = schemaFromMappings([
  {
    properties: {
      "@timestamp": { type: "date" },
      event: { properties: { category: { type: "keyword" } } },
      name: { type: "keyword" },
      pid: { type: "long" },
      ratio: { type: "double" },
      when: { type: "date" },
      addr: { type: "ip" },
      flag: { type: "boolean" },
      note: { type: "text" },
    },
  },
]);

const FIELDS = ["name", "pid", "ratio", "when", "addr", "flag", "?name", "?missing"];
const field = fc.constantFrom(...FIELDS);
const literal = fc.constantFrom(
  '"bash"',
  '"12"',
  '"x1"',
  '"2024-01-01T00:00:00Z"',
  '"not a date"',
  '"10.0.0.1"',
  '"999.1.1.1"',
  '"true"',
  "5",
  "-1.5",
  "true",
  "false",
  "null",
  "1 + 2",
  'concat("a", "b")',
);
const pattern = fc.constantFrom('"ba*"', '"*"', '"?sh"', '"[a-z]+"', '"(unclosed"', '"a{2,1}"', '"x<1-2>"');

const leaf: fc.Arbitrary<string> = fc.oneof(
  fc
    .tuple(field, fc.constantFrom("==", "!=", "<", ">=", ":"), literal)
    .map(([f, op, v]) => `${f} ${op} ${v}`),
  fc.tuple(literal, fc.constantFrom("==", "<"), field).map(([v, op, f]) => `${v} ${op} ${f}`),
  fc
    .tuple(field, fc.constantFrom("in", "in~", "not in"), fc.array(literal, { minLength: 1, maxLength: 3 }))
    .map(([f, op, vs]) => `${f} ${op} (${vs.join(", ")})`),
  fc
    .tuple(field, fc.constantFrom("like", "like~", "regex", "regex~", ":"), pattern)
    .map(([f, op, p]) => `${f} ${op} ${p}`),
  fc
    .tuple(field, fc.constantFrom('"10.0.0.0/8"', '"10.0.0.0/33"', '"nonsense"'))
    .map(([f, c]) => `cidrMatch(${f}, ${c})`),
  fc
    .tuple(field, fc.constantFrom("startsWith", "endsWith~", "stringContains"))
    .map(([f, fn]) => `${fn}(${f}, "ba")`),
  field.map((f) => `length(${f}) > 2`),
  fc.tuple(field, literal).map(([f, v]) => `${f} + 1 == ${v}`),
  field,
);

const condition = conditionOf(leaf);

const query = fc.oneof(
  condition.map((c) => `process where ${c}`),
  fc.tuple(condition, condition).map(([a, b]) => `sequence by name [process where ${a}] [any where ${b}]`),
);

/** What the step throws, as comparable data: nothing, or the kind and problems of its EqlError. */
function outcome(step: () => void): unknown {
  try {
    step();
    return "ok";
  } catch (error) {
    if (!(error instanceof EqlError)) throw error;
    return { kind: error.kind, problems: error.problems };
  }
}

test("check refuses exactly what compiling refuses, with the same problems", () => {
  let refused = 0;
  let accepted = 0;
  fc.assert(
    fc.property(query, (text) => {
      let prepared: ReturnType<typeof prepareQuery>;
      try {
        prepared = prepareQuery(text, { schema });
      } catch (error) {
        if (error instanceof EqlError) return; // refused before compiling: not this test's concern
        throw error;
      }
      for (const q of eventQueriesOf(prepared.statement)) {
        const checked = outcome(() => prepared.compiler().check(q));
        const compiled = outcome(() => prepared.compiler().compileEventQuery(q));
        assert.deepEqual(checked, compiled, text);
        if (compiled === "ok") accepted++;
        else refused++;
      }
    }),
    { numRuns: 1500 },
  );
  // both sides of the property were exercised
  assert.ok(refused > 50, `only ${refused} refused`);
  assert.ok(accepted > 50, `only ${accepted} accepted`);
});

test("check names the problems compiling finds: a date that is not one, a bad regex, a bad CIDR block", () => {
  const problemOf = (text: string) => {
    const prepared = prepareQuery(text, { schema });
    const [q] = eventQueriesOf(prepared.statement);
    try {
      prepared.compiler().check(q);
    } catch (error) {
      return (error as EqlError).problems[0].message;
    }
    return "accepted";
  };
  assert.match(problemOf('process where when > "not a date"'), /cannot compare \[when\] of type \[date\]/);
  assert.match(problemOf('process where addr in ("10.0.0.1", "999.1.1.1")'), /is not an IP address/);
  assert.match(
    problemOf('process where name regex "(unclosed"'),
    /unbalanced parenthesis|cannot be compiled/,
  );
  assert.match(problemOf('process where cidrMatch(addr, "10.0.0.0/33")'), /10\.0\.0\.0\/33/);
  assert.equal(problemOf('process where name like "(unclosed" and pid == 5'), "accepted");
});

test("a condition that reads no field is folded, and a part of it that cannot compile is reported at its own place by both", () => {
  // found by the property above: folding the whole constant placed the regex's problem at the `and`
  const text =
    'process where ((?missing like "ba*") and (?missing regex~ "(unclosed")) and not (length(name) > 2)';
  const prepared = prepareQuery(text, { schema });
  const [q] = eventQueriesOf(prepared.statement);
  const checked = outcome(() => prepared.compiler().check(q));
  const compiled = outcome(() => prepared.compiler().compileEventQuery(q));
  assert.deepEqual(checked, compiled);
  const [problem] = (compiled as { problems: Array<{ start: number }> }).problems;
  // under the pattern, not the whole condition
  assert.equal(problem.start, text.indexOf('"(unclosed"'));
});
