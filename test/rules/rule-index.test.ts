import assert from "node:assert/strict";
import test from "node:test";
import fc from "fast-check";
import { compileIndexPatterns, eventIndex } from "../../src/engine/index-pattern.ts";
import { prepareQuery } from "../../src/eql/compile-query.ts";
import { eventQueriesOf } from "../../src/eql/event-queries.ts";
import { compileFieldGetter, type Event, someValue } from "../../src/eql/field-access.ts";
import { indexRules } from "../../src/rules/rule-set.ts";
import { setField } from "../engine/prefilter-arbitrary.ts";
import { conditionOf } from "../eql/condition-arbitrary.ts";

/**
 * The rule index narrows the rules an event is tested against — by category, by index, by
 * the keys every way of a rule needs (exact values, heads of `like` patterns) — and must
 * never leave out a rule some term of which matches the event. Random rule sets and random
 * events (numbers and booleans where strings are expected, case, arrays, dotted keys).
 */

const FIELDS = ["process.name", "process.args", "file.path", "event.action", "user.id", "x"];
const WORDS = [
  "bash",
  "BASH",
  "Bash-5",
  "sh",
  "/tmp/a",
  "/TMP/b",
  "exec",
  "5",
  "50",
  "true",
  "",
  "İx",
  "σς",
  "École",
  "ÉCOLE",
  "\u212ax",
];

const eqlString = (v: string) => `"${v.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;
const word = fc.constantFrom(...WORDS);
const field = fc.constantFrom(...FIELDS);
const pattern = fc.oneof(
  word,
  word.map((w) => `${w.slice(0, 2)}*`),
  word.map((w) => `${w.slice(0, 1)}?${w.slice(2)}*`),
  word.map((w) => `*${w.slice(1)}`),
);

const leaf: fc.Arbitrary<string> = fc.oneof(
  fc
    .tuple(field, fc.constantFrom(":", "like", "like~"), fc.array(pattern, { minLength: 1, maxLength: 3 }))
    .map(([f, op, ps]) => `${f} ${op} (${ps.map(eqlString).join(", ")})`),
  fc
    .tuple(field, fc.constantFrom("==", "in", "in~"), fc.array(word, { minLength: 1, maxLength: 2 }))
    .map(([f, op, vs]) =>
      op === "==" ? `${f} == ${eqlString(vs[0])}` : `${f} ${op} (${vs.map(eqlString).join(", ")})`,
    ),
  fc.tuple(field, fc.constantFrom("5", "true", "null")).map(([f, v]) => `${f} == ${v}`),
  field.map((f) => `not ${f} : "sh"`),
);

const condition = conditionOf(leaf, { negation: false });

const query = fc.oneof(
  fc.tuple(fc.constantFrom("process", "any", "file"), condition).map(([cat, c]) => `${cat} where ${c}`),
  fc
    .tuple(condition, condition)
    .map(
      ([a, b]) => `sequence by user.id [process where ${a}] [file where ${b}] until [any where x == "sh"]`,
    ),
);

const scalar = fc.oneof(word, fc.constantFrom(5, 50, -1, true, false, null));
const value = fc.oneof(
  { weight: 3, arbitrary: scalar },
  { weight: 1, arbitrary: fc.array(scalar, { maxLength: 3 }) },
);

const event = fc
  .tuple(
    fc.subarray(FIELDS),
    fc.array(value, { minLength: FIELDS.length, maxLength: FIELDS.length }),
    fc.constantFrom("process", "file", ["process", "file"], "network"),
    fc.constantFrom(undefined, "cloud_defend.process", "endpoint.events.file"),
    fc.boolean(),
  )
  .map(([fields, values, category, dataset, dotted]) => {
    const e: Record<string, unknown> = { event: { category } };
    if (dataset) e.data_stream = { type: "logs", dataset };
    fields.forEach((f, i) => {
      if (dotted) {
        e[f] = values[i];
        return;
      }
      setField(e, f, values[i]);
    });
    return e;
  });

const INDICES: Array<readonly string[] | undefined> = [
  undefined,
  ["logs-cloud_defend*"],
  ["logs-endpoint.*"],
];

function ruleOf(text: string, index: readonly string[] | undefined) {
  const prepared = prepareQuery(text);
  const compiler = prepared.compiler();
  const terms = eventQueriesOf(prepared.statement).map((q) => compiler.compileEventQuery(q));
  return {
    text,
    rule: { index },
    query: { eventCategoryField: "event.category", execution: () => prepared },
    matches: (e: Event) => terms.some((t) => t(e)),
  };
}

const categoryOf = compileFieldGetter("event.category");

test("the rules the index selects include every rule a term of which matches the event", () => {
  fc.assert(
    fc.property(
      fc.array(fc.tuple(query, fc.constantFrom(...INDICES)), { minLength: 1, maxLength: 6 }),
      fc.array(event, { minLength: 1, maxLength: 5 }),
      (texts, events) => {
        const rules = texts.map(([text, index]) => ruleOf(text, index));
        const index = indexRules(rules);
        for (const e of events) {
          const categories: string[] = [];
          someValue(categoryOf(e), (v) => {
            if (typeof v === "string") categories.push(v);
            return false;
          });
          const where = eventIndex(e);
          const selected = new Set(index.select(e, categories, where));
          for (const rule of rules) {
            if (!compileIndexPatterns(rule.rule.index)(where) || !rule.matches(e)) continue;
            assert.ok(selected.has(rule), `${rule.text} left out for ${JSON.stringify(e)}`);
          }
        }
      },
    ),
    { numRuns: 3000 },
  );
});
