import assert from "node:assert/strict";
import { test } from "node:test";
import { compileEventQuery } from "../../src/eql/compile-query.ts";
import { EqlError } from "../../src/eql/error.ts";
import type { Event } from "../../src/eql/field-access.ts";
import { schemaFromMappings } from "../../src/eql/mapping.ts";

/** Indexes of the events the query matches. */
function matching(query: string, events: Event[], mapping?: Record<string, unknown>): number[] {
  const schema = mapping ? schemaFromMappings([mapping as never], { dynamicFrom: events }) : undefined;
  const predicate = compileEventQuery(query, { schema });
  return events.flatMap((e, i) => (predicate(e) ? [i] : []));
}

const procs: Event[] = [
  { event: { category: "process" }, process: { name: "Bash", pid: 10, args: ["-c", "id"] } },
  { event: { category: ["process", "host"] }, process: { name: "bash", pid: 20, args: ["-i"] } },
  { event: { category: "process" }, process: { name: "cmd*.exe", pid: 30 } },
  { event: { category: "process" }, process: { pid: 40 } },
  { event: { category: "file" }, process: { name: "", pid: "50" } },
  { event: { category: "process" }, process: { name: null, pid: 60 } },
];

test("category: exact and case-sensitive; any element of an array; any where matches everything", () => {
  assert.deepEqual(matching("process where true", procs), [0, 1, 2, 3, 5]);
  assert.deepEqual(matching("host where true", procs), [1]);
  assert.deepEqual(matching("Process where true", procs), []);
  assert.deepEqual(matching("any where true", [...procs, {}]), [0, 1, 2, 3, 4, 5, 6]);
});

test("== is case-sensitive and has no wildcards; != is true when no value equals, and for missing fields", () => {
  assert.deepEqual(matching('any where process.name == "bash"', procs), [1]);
  assert.deepEqual(matching('any where process.name == "cmd*.exe"', procs), [2]);
  assert.deepEqual(matching('any where process.name != "bash"', procs), [0, 2, 3, 4, 5]);
  assert.deepEqual(matching('any where process.args != "-c"', procs), [1, 2, 3, 4, 5]);
  assert.deepEqual(matching('any where process.args == "id"', procs), [0]);
});

test("== null is 'has no value' and != null 'has a value'", () => {
  assert.deepEqual(matching("any where process.name == null", procs), [3, 5]);
  assert.deepEqual(matching("any where process.name != null", procs), [0, 1, 2, 4]);
  assert.deepEqual(matching("any where null == process.name", procs), [3, 5]);
});

test(": is case-insensitive with * and ? wildcards; '*' alone means the field exists", () => {
  assert.deepEqual(matching('any where process.name : "BASH"', procs), [0, 1]);
  assert.deepEqual(matching('any where process.name : "b?sh"', procs), [0, 1]);
  assert.deepEqual(matching('any where process.name : ("x", "CMD*")', procs), [2]);
  assert.deepEqual(matching('any where process.name : "*"', procs), [0, 1, 2, 4]);
  assert.deepEqual(matching('any where not process.name : "b*"', procs), [2, 3, 4, 5]);
});

test("like is case-sensitive, like~ is not; regex is anchored Lucene syntax", () => {
  assert.deepEqual(matching('any where process.name like "b*"', procs), [1]);
  assert.deepEqual(matching('any where process.name like~ "b*"', procs), [0, 1]);
  assert.deepEqual(matching('any where process.name regex "[bB]a.h"', procs), [0, 1]);
  assert.deepEqual(matching('any where process.name regex "ash"', procs), []);
  assert.deepEqual(matching('any where process.name regex~ ("BASH", "x")', procs), [0, 1]);
});

test("* and ? cross line breaks on a field (a wildcard query) but not in a script (a Java regex without DOTALL)", () => {
  const events: Event[] = [
    { process: { command_line: "cmd.exe /c\nwhoami" } },
    { process: { command_line: "cmd.exe /c\r\nwhoami" } },
    { process: { command_line: "cmd.exe /c whoami" } },
  ];
  assert.deepEqual(matching('any where process.command_line : "cmd*whoami"', events), [0, 1, 2]);
  assert.deepEqual(matching('any where process.command_line like "cmd.exe /c?whoami"', events), [0, 2]);
  assert.deepEqual(matching('any where concat(process.command_line) : "cmd*whoami"', events), [2]);
  assert.deepEqual(matching('any where concat(process.command_line) like "cmd.exe /c?whoami"', events), [2]);
  assert.deepEqual(matching('any where concat(process.command_line) like~ ("x", "*WHOAMI")', events), [2]);
  assert.deepEqual(matching('any where not concat(process.command_line) : "cmd*"', events), [0, 1]);
  // a line break written in the pattern matches one (\r is one too); stars alone are an exists check
  assert.deepEqual(matching('any where concat(process.command_line) : "cmd*\\n*whoami"', events), [0]);
  assert.deepEqual(matching('any where concat(process.command_line) : "cmd*\\r\\n*"', events), [1]);
  assert.deepEqual(matching('any where concat(process.command_line) : "*"', events), [0, 1, 2]);
});

test("in is exact; in~ ignores case but takes wildcards verbatim; null elements are dropped", () => {
  assert.deepEqual(matching('any where process.name in ("bash", "Bash")', procs), [0, 1]);
  assert.deepEqual(matching('any where process.name in~ ("BASH")', procs), [0, 1]);
  assert.deepEqual(matching('any where process.name in~ ("b*")', procs), []);
  assert.deepEqual(matching('any where process.name in (null, "bash")', procs), [1]);
  assert.deepEqual(matching('any where process.name not in ("bash", "Bash")', procs), [2, 3, 4, 5]);
  assert.deepEqual(matching("any where process.pid in (10, 30)", procs), [0, 2]);
  assert.deepEqual(matching("any where process.pid in (1 + 9, 60)", procs), [0, 5]);
});

test("schemaless coercion: numeric strings equal numbers, numbers equal their string form", () => {
  assert.deepEqual(matching("any where process.pid == 50", procs), [4]);
  assert.deepEqual(matching('any where process.pid == "10"', procs), [0]);
  assert.deepEqual(matching("any where process.pid >= 40", procs), [3, 4, 5]);
});

test("a text compared with a numeric field is read as Java's Double.parseDouble reads it, and as a long on an integer field", () => {
  const events = [
    { pid: 16, d: 16 },
    { pid: 5, d: 5 },
  ];
  const mapping = { properties: { pid: { type: "long" }, d: { type: "double" } } };
  const fails = (query: string, pattern: RegExp) =>
    assert.throws(
      () => matching(query, events, mapping),
      (e: unknown) => e instanceof EqlError && pattern.test(e.message),
    );
  // JS's Number() reads these; Java does not
  fails('any where pid == "0x10"', /\[0x10\] is not a number/);
  fails('any where d == "0b101"', /\[0b101\] is not a number/);
  // Java's double syntax: a type suffix, spaces around, hexadecimal with a binary exponent
  assert.deepEqual(matching('any where d == "5d"', events, mapping), [1]);
  assert.deepEqual(matching('any where d == " 5 "', events, mapping), [1]);
  assert.deepEqual(matching('any where d == "0x1p4"', events, mapping), [0]);
  // an integer field then reads the text as a long (or BigDecimal): no suffix, no spaces
  assert.deepEqual(matching('any where pid == "5.0"', events, mapping), [1]);
  assert.deepEqual(matching('any where pid == "1.6e1"', events, mapping), [0]);
  fails('any where pid == "5f"', /\[5f\] is not a number for an integer field/);
  fails('any where pid == " 5 "', /is not a number for an integer field/);
  // without a mapping a text no Java number reads matches no number
  assert.deepEqual(matching('any where pid == "0x10"', events), []);
  assert.deepEqual(matching('any where pid == "5d"', events), [1]);
});

test('a constant folds to the value it has, not the type declared for it: number("5") is the long 5', () => {
  const events = [{ s: "5" }, { s: "5.0" }];
  const mapping = { properties: { s: { type: "keyword" } } };
  assert.deepEqual(matching('any where s == number("5")', events, mapping), [0]);
  assert.deepEqual(matching('any where s == number("5.0")', events, mapping), [1]);
  assert.deepEqual(matching("any where number(s) / 2 == 2", events, mapping), [0]);
  assert.deepEqual(matching("any where number(s) / 2 == 2.5", events, mapping), [1]);
});

test("ordering comparisons: numbers numerically, strings case-sensitively", () => {
  const events = [
    { s: "System" },
    { s: "System Idle Process" },
    { s: "system idle process" },
    { n: 4 },
    { n: 5.5 },
  ];
  assert.deepEqual(matching('any where s < "System Idle Process"', events), [0]);
  assert.deepEqual(matching('any where s > "System Idle Process"', events), [2]);
  assert.deepEqual(matching("any where n < 4.5", events), [3]);
  assert.deepEqual(matching("any where n >= 5", events), [4]);
});

test("a field compared with a constant orders strings as the index does (UTF-8, code points); a script by code unit", () => {
  // 😀 (U+1F600) is a surrogate pair, below ～ (U+FF5E) by UTF-16 code units but above it by code points
  const events = [{ s: "😀" }, { s: "～" }, { s: "a" }];
  const mapping = { properties: { s: { type: "keyword" } } };
  assert.deepEqual(matching('any where s > "～"', events, mapping), [0]);
  assert.deepEqual(matching('any where s < "😀"', events, mapping), [1, 2]);
  assert.deepEqual(matching('any where s > "～"', events), [0]);
  // a computed value is a Java String, compared with compareTo: by code unit
  assert.deepEqual(matching('any where concat(s) > "～"', events), []);
  assert.deepEqual(matching('any where concat(s) < "～"', events), [0, 2]);
});

test("a comparison with a missing field is false, and its negation true (Elasticsearch's must_not)", () => {
  const events = [{ exit_code: 0 }, { exit_code: -1 }, {}];
  assert.deepEqual(matching("any where exit_code >= 0", events), [0]);
  assert.deepEqual(matching("any where not exit_code >= 0", events), [1, 2]);
});

test("scripts are three-valued: null propagates through not; IS NULL of a script is true", () => {
  const events = [{ x: "abc" }, { x: "abcd" }, {}];
  assert.deepEqual(matching("any where length(x) != 3", events), [1]);
  assert.deepEqual(matching("any where not (length(x) == 3)", events), [1]);
  assert.deepEqual(matching("any where not length(x) == 3 or x == null", events), [1, 2]);
  assert.deepEqual(matching("any where null == (length(x) > 3)", events), [2]);
  assert.deepEqual(matching("any where length(x) + 1 == 5", events), [1]);
  // in a script, no match and a null element is null, and `not null` keeps nothing
  assert.deepEqual(matching("any where length(x) in (3, null)", events), [0]);
  assert.deepEqual(matching("any where length(x) not in (3, null)", events), []);
  assert.deepEqual(matching("any where length(x) not in (3)", events), [1]);
});

test("a condition that reads no field is folded first, three-valued: null keeps no event", () => {
  const events = [{ x: "abc" }, {}];
  assert.deepEqual(matching("any where not null", events), []);
  assert.deepEqual(matching("any where not (null and true)", events), []);
  assert.deepEqual(matching("any where not (null or false)", events), []);
  assert.deepEqual(matching("any where 1 not in (2, null)", events), []);
  assert.deepEqual(matching("any where not (null and false)", events), [0, 1]);
  assert.deepEqual(matching("any where not (1 == 2) and x == null", events), [1]);
  const mapping = { properties: { x: { type: "keyword" } } };
  assert.deepEqual(matching("any where not ?nope", events, mapping), []);
  // the left-null rewrite stands: `?nope != "x"` is `not ("x" IS NULL)`
  assert.deepEqual(matching('any where ?nope != "x"', events, mapping), [0, 1]);
});

test("multi-valued fields: a condition holds if any value satisfies it, scripts too", () => {
  const events = [
    { transID: [1234, 599999], tags: ["ab", "abcd"] },
    { transID: 599999, tags: "x" },
  ];
  assert.deepEqual(matching("any where transID == 1234", events), [0]);
  assert.deepEqual(matching("any where transID != 1234", events), [1]);
  assert.deepEqual(matching("any where length(tags) == 4", events), [0]);
  assert.deepEqual(matching('any where concat(tags, "!") == "ab!"', events), [0]);
});

test("dotted keys, nested objects and mixes of the two are the same field", () => {
  const events: Event[] = [
    { "process.entry_leader.same_as_process": true },
    { process: { entry_leader: { same_as_process: true } } },
    { process: { "entry_leader.same_as_process": true } },
    { "process.entry_leader": { same_as_process: true } },
    { process: [{ entry_leader: { same_as_process: false } }, { entry_leader: { same_as_process: true } }] },
    { process: { entry_leader: { same_as_process: false } } },
  ];
  assert.deepEqual(
    matching("any where process.entry_leader.same_as_process == true", events),
    [0, 1, 2, 3, 4],
  );
  assert.deepEqual(matching("any where process.entry_leader.same_as_process", events), [0, 1, 2, 3, 4]);
});

test("a field given both as a dotted key and as nested objects is one field with the values of both", () => {
  // as Elasticsearch indexes it: the dotted key cannot hide a value behind the nested one
  const events: Event[] = [
    { event: { category: "process" }, "process.name": "bash", process: { name: "benign", pid: 1 } },
    { event: { category: "process" }, process: { name: "benign", pid: 2 }, "process.name": "bash" },
    { event: { category: "process" }, process: { "parent.name": "bash", parent: { name: "benign" } } },
    { "event.category": "process", event: { category: "file" }, process: { name: "bash" } },
    { event: { category: "process" }, "a.b": 1, a: { b: 2 } },
    { event: { category: "process" }, process: { name: "benign" } },
  ];
  assert.deepEqual(matching('process where process.name == "bash"', events), [0, 1, 3]);
  assert.deepEqual(matching('process where process.name == "benign"', events), [0, 1, 5]);
  assert.deepEqual(matching('process where ?process.name == "bash"', events), [0, 1, 3]);
  assert.deepEqual(matching('process where process.name != "bash"', events), [2, 4, 5]);
  assert.deepEqual(matching('process where process.parent.name : "BASH"', events), [2]);
  assert.deepEqual(matching("file where true", events), [3]);
  assert.deepEqual(matching("any where a.b == 1", events), [4]);
  assert.deepEqual(matching("any where a.b == 2", events), [4]);
  assert.deepEqual(matching("any where a.b + 1 == 2", events), [4]);
  assert.deepEqual(matching("any where a.b != 1", events), [0, 1, 2, 3, 5]);
});

test("hostile keys: names shared with Object.prototype read only own properties", () => {
  const events: Event[] = [
    JSON.parse('{"__proto__": {"polluted": 1}, "constructor": "c"}'),
    { toString: "x" },
    {},
  ];
  assert.deepEqual(matching("any where __proto__.polluted == 1", events), [0]);
  assert.deepEqual(matching('any where constructor == "c"', events), [0]);
  assert.deepEqual(matching("any where constructor == null and toString == null", events), [2]);
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
});

test("arithmetic follows Java: integer division truncates, remainder takes the dividend's sign", () => {
  const events = [{ n: 82 }, { n: 83 }, { n: -7 }];
  assert.deepEqual(matching("any where n / 2 == 41", events), [0, 1]);
  assert.deepEqual(matching("any where n / 2.0 == 41.5", events), [1]);
  assert.deepEqual(matching("any where n % 2 == -1", events), [2]);
  assert.deepEqual(matching("any where n / 2 == -3", events), [2]);
  assert.deepEqual(matching("any where -n == 7", events), [2]);
});

test("doubles in a script compare as Java's Double.compare: NaN equals itself and tops all, -0.0 is below 0.0", () => {
  const events = [{ s: "NaN" }, { s: "-0.0" }, { s: "0" }];
  assert.deepEqual(matching('any where number(s) == number("NaN")', events), [0]);
  assert.deepEqual(matching("any where number(s) > 1e308", events), [0]);
  assert.deepEqual(matching("any where number(s) < 0", events), [1]);
  assert.deepEqual(matching("any where number(s) == 0.0", events), [2]);
  assert.deepEqual(matching('any where number(s) in (-0.0, number("NaN"))', events), [0, 1]);
  // folded constants compare the same way
  assert.deepEqual(matching("any where -0.0 == 0.0", events), []);
  assert.deepEqual(matching("any where divide(0.0, 0) == divide(0.0, 0)", events), [0, 1, 2]);
  // longs have no -0 and no NaN: a long zero equals the double 0.0
  assert.deepEqual(matching("any where 0 == -0 and 0 == 0.0", events), [0, 1, 2]);
});

test("constant errors are reported at compile time with their position", () => {
  assert.throws(
    () => compileEventQuery("any where x == 1 / 0"),
    (e: unknown) => e instanceof EqlError && /\/ by zero/.test(e.message),
  );
  assert.throws(
    () => compileEventQuery('any where cidrMatch(ip, "10.0.0.0/33")'),
    (e: unknown) => e instanceof EqlError && e.column === 11,
  );
});

test("optional fields: ?field reads null when the schema does not know it", () => {
  const mapping = { properties: { a: { type: "keyword" } } };
  const events = [{ a: "x" }];
  assert.deepEqual(matching("any where ?nope == null", events, mapping), [0]);
  assert.deepEqual(matching("any where ?nope != null", events, mapping), []);
  assert.throws(() => matching("any where nope == 1", events, mapping), /Unknown column \[nope\]/);
});

test("mapping: aliases, null_value, ip, version and date types", () => {
  const mapping = {
    properties: {
      event_type: { type: "keyword" },
      event: { properties: { category: { type: "alias", path: "event_type" } } },
      ip: { type: "ip" },
      v: { type: "version" },
      d: { type: "date" },
      nv: { type: "keyword", null_value: "NULL" },
    },
  };
  const events: Event[] = [
    { event_type: "process", ip: "10.1.2.3", v: "1.11.3", d: "2017-08-30T20:47:33Z", nv: null },
    { event_type: "network", ip: "::ffff:10.1.2.4", v: "1.2.4-SNAPSHOT", d: 1504126053000 },
    { event_type: "network", ip: "2001:db8::1", v: "bad", d: "2017-08-30T20:47:34.5Z", nv: "x" },
  ];
  assert.deepEqual(matching("process where true", events, mapping), [0]);
  assert.deepEqual(matching('any where cidrMatch(ip, "10.0.0.0/8")', events, mapping), [0, 1]);
  assert.deepEqual(matching('any where ip == "2001:0db8:0:0::1"', events, mapping), [2]);
  assert.deepEqual(matching('any where v > "1.5.0"', events, mapping), [0, 2]);
  assert.deepEqual(matching('any where v < "1.5.0"', events, mapping), [1]);
  assert.deepEqual(matching('any where d == "2017-08-30T20:47:33Z"', events, mapping), [0, 1]);
  assert.deepEqual(matching("any where d > 1504126053000", events, mapping), [2]);
  assert.deepEqual(matching('any where nv == "NULL"', events, mapping), [0]);
  assert.deepEqual(matching("any where nv == null", events, mapping), [1]);
});

test("deeply nested arrays neither overflow the stack nor hide shallow values", () => {
  let deep: unknown = "needle";
  for (let i = 0; i < 200_000; i++) deep = [deep];
  const events: Event[] = [{ x: deep }, { x: ["a", ["b", ["needle"]]] }];
  assert.deepEqual(matching('any where x == "needle"', events), [0, 1]);
  let deepObjects: unknown = { y: 1 };
  for (let i = 0; i < 100_000; i++) deepObjects = [deepObjects];
  assert.deepEqual(matching("any where x.y == 1", [{ x: deepObjects }, { x: [[{ y: 1 }]] }]), [1]);
});

test("stringContains and endsWith on a field are wildcard queries: * and ? match, \\ escapes, an empty text matches all", () => {
  const events: Event[] = [
    { p: "Principal=*, Effect=Allow" },
    { p: "Principal=arn:aws:iam::1:root" },
    { p: "valuesToAdd=[1234]" },
    { p: "" },
    {},
  ];
  // the rules' own spelling: EQL's "\\*" is the text \*, a literal star to the wildcard query
  assert.deepEqual(matching('any where stringContains(p, "Principal=\\\\*")', events), [0]);
  assert.deepEqual(matching('any where stringContains(p, "valuesToAdd=[*]")', events), [2]);
  assert.deepEqual(matching('any where stringContains~(p, "PRINCIPAL=???:")', events), [1]);
  assert.deepEqual(matching('any where stringContains(p, "")', events), [0, 1, 2, 3]);
  assert.deepEqual(matching('any where endsWith(p, "1:r??t")', events), [1]);
  assert.deepEqual(matching('any where endsWith~(p, "ALLOW")', events), [0]);
  // a computed first argument is a script, where the text is only text
  assert.deepEqual(matching('any where stringContains(concat(p), "valuesToAdd=[*]")', events), []);
  assert.deepEqual(matching('any where stringContains(concat(p), "")', events), []);
});

test("null arguments Elasticsearch's processors refuse fail the query; on a field, stringContains takes null as text", () => {
  assert.throws(
    () => compileEventQuery('any where between("abc", null, "c") == null'),
    (e: unknown) => e instanceof EqlError && e.column === 11 && /A string\/char is required/.test(e.message),
  );
  const events: Event[] = [
    { p: "a null here", q: "x" },
    { p: "none", q: "y" },
  ];
  // a wildcard query of "*" + null + "*", as Java writes the concatenation
  assert.deepEqual(matching("any where stringContains(p, null)", events), [0]);
  // past a null source nothing is checked, so the missing field reads null, not an error
  assert.deepEqual(matching("any where between(r, p, q) == null", events), [0, 1]);
  assert.throws(() => matching("any where between(p, r, q) == null", events), /received \[null\]/);
});
