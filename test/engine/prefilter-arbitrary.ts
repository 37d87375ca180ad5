import fc from "fast-check";
import { conditionOf } from "../eql/condition-arbitrary.ts";

/**
 * Random queries and events over one small vocabulary of fields and words, so that queries
 * often match: for the tests of what skips events without reading them (the raw-line
 * prefilter, and the searches behind it).
 */

const FIELDS = ["process.name", "process.args", "process.interactive", "event.type", "user.id", "a.b.c", "x"];
const WORDS = [
  "bash",
  "BASH",
  "sh",
  "start",
  "5",
  "true",
  'a"b',
  "é",
  "É",
  "K",
  "İ",
  "ß",
  "kubectl exec",
  "/bin/sh",
  "c:\\x",
];

const eqlString = (v: string) => `"${v.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;
const word = fc.constantFrom(...WORDS);
const field = fc.constantFrom(...FIELDS);
const pattern = fc.oneof(
  word,
  word.map((w) => `*${w.slice(1)}`),
  word.map((w) => `${w.slice(0, 2)}*`),
  word.map((w) => `*${w.slice(1, 3)}*`),
  word.map((w) => `${w.slice(0, 1)}?${w.slice(2)}`),
);

const leaf: fc.Arbitrary<string> = fc.oneof(
  fc
    .tuple(field, fc.constantFrom("==", "!=", ":", "like~", "like"), pattern)
    .map(([f, op, v]) => `${f} ${op} ${eqlString(v)}`),
  fc
    .tuple(field, fc.constantFrom("in", "in~", "not in", ":"), fc.array(word, { minLength: 1, maxLength: 3 }))
    .map(([f, op, vs]) => `${f} ${op} (${vs.map(eqlString).join(", ")})`),
  fc
    .tuple(
      field,
      fc.constantFrom("==", "!=", "<", ">="),
      fc.constantFrom("5", "0", "-1", "1.5", "true", "false", "null"),
    )
    .map(([f, op, v]) => `${f} ${op} ${v}`),
  fc
    .tuple(field, fc.constantFrom("startsWith", "startsWith~", "endsWith", "stringContains~"), word)
    .map(([f, fn, v]) => `${fn}(${f}, ${eqlString(v)})`),
  fc.tuple(field, fc.constantFrom('"b.*"', '"[a-z]+"', '".*sh"')).map(([f, re]) => `${f} regex~ ${re}`),
  field.map((f) => `${f} : "*"`),
  field.map((f) => `length(${f}) > 2`),
  field,
);

/** A random condition over the vocabulary's fields and words. */
export const condition = conditionOf(leaf);

/** An event query, or a sequence with an `until`, over random conditions. */
export const query = fc.oneof(
  fc.tuple(fc.constantFrom("process", "any", "file"), condition).map(([cat, c]) => `${cat} where ${c}`),
  fc
    .tuple(condition, condition)
    .map(
      ([a, b]) => `sequence by user.id [process where ${a}] [any where ${b}] until [file where x == "sh"]`,
    ),
);

// -- events, and the ways to write them -----------------------------------------------------

const scalar = fc.oneof(word, fc.constantFrom(5, 0, -1, 1.5, 1e21, true, false, null));
const value: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: scalar },
  { weight: 1, arbitrary: fc.array(scalar, { maxLength: 3 }) },
  { weight: 1, arbitrary: fc.array(fc.array(scalar, { maxLength: 2 }), { maxLength: 2 }) },
);

/** A field written again as a dotted key, beside its nested objects, with a value of its own. */
const twin = fc.tuple(fc.constantFrom(...FIELDS.filter((f) => f.includes("."))), fc.nat(), value);

/**
 * A random event: some of the vocabulary's fields, some also as dotted keys beside them, some
 * under arrays of objects.
 */
export const event = fc
  .tuple(
    fc.subarray(FIELDS),
    fc.array(value, { minLength: FIELDS.length, maxLength: FIELDS.length }),
    fc.constantFrom("process", "file", "network", ["process", "file"]),
    fc.array(twin, { maxLength: 2 }),
    fc.boolean(),
  )
  .map(([fields, values, category, twins, inArray]) => {
    const e: Record<string, unknown> = { event: { category } };
    fields.forEach((f, i) => {
      setField(e, f, values[i]);
    });
    for (const [f, cut, v] of twins) setTwin(e, f, cut, v);
    if (inArray && e.process) e.process = [e.process];
    return e;
  });

/**
 * Writes `value` under a dotted key that spells the end of `field` (which `cut` picks), in the
 * object the rest of the field leads to, if that is an object or nothing: `{"process":
 * {"name": "a"}, "process.name": "b"}` or `{"a": {"b": {"c": 1}, "b.c": 2}}`.
 */
export function setTwin(event: Record<string, unknown>, field: string, cut: number, value: unknown): void {
  const parts = field.split(".");
  const at = cut % (parts.length - 1);
  let o = event;
  for (const p of parts.slice(0, at)) {
    if (o[p] === undefined) o[p] = {};
    if (typeof o[p] !== "object" || o[p] === null || Array.isArray(o[p])) return;
    o = o[p] as Record<string, unknown>;
  }
  o[parts.slice(at).join(".")] = value;
}

/** Sets a dotted field as nested objects, replacing whatever is in the way. */
export function setField(event: Record<string, unknown>, field: string, value: unknown): void {
  const parts = field.split(".");
  let o = event;
  for (const p of parts.slice(0, -1)) {
    if (typeof o[p] !== "object" || o[p] === null || Array.isArray(o[p])) o[p] = {};
    o = o[p] as Record<string, unknown>;
  }
  o[parts[parts.length - 1]] = value;
}
