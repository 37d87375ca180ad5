import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { test } from "node:test";
import { loadTestFile } from "../../src/ruletest/format.ts";

const dir = mkdtempSync(join(tmpdir(), "eqlite-ruletest-format-"));

test("a good file: inline events, event tables, sequences, timestamps filled in", () => {
  const text = `rule_id = "r-1"

[[case]]
name = "inline"
expect = "alert"
alerts = 1
sequences = [[0, 1]]
events = [
  { event = { category = "process" }, process = { name = "curl" } },
  { "@timestamp" = "2024-05-01T00:00:00Z", process.name = "x" },
]

[[case]]
name = "tables"
expect = "none"

[[case.events]]
event.category = ["process"]
process.name = "ls"
`;
  const load = loadTestFile(join(dir, "good.test.toml"), text);
  assert.deepEqual(load.diagnostics, []);
  const t = load.test!;
  assert.equal(t.ruleId, "r-1");
  assert.equal(t.stem, "good");
  assert.equal(t.cases.length, 2);
  const [inline, tables] = t.cases;
  assert.deepEqual(inline.sequences, [[0, 1]]);
  assert.equal(inline.alerts, 1);
  assert.equal(inline.line, 3);
  assert.equal(inline.events[0]["@timestamp"], "2024-01-01T00:00:00.000Z");
  assert.equal(inline.events[1]["@timestamp"], "2024-05-01T00:00:00Z");
  assert.deepEqual({ ...(tables.events[0].process as object) }, { name: "ls" });
  assert.equal(tables.expect, "none");
  assert.equal(tables.line, 13);
});

test("bad TOML is an error at its line and column", () => {
  const load = loadTestFile("bad.test.toml", '[[case]]\nname = "x"\nexpect = \n');
  assert.equal(load.test, undefined);
  assert.equal(load.diagnostics.length, 1);
  const d = load.diagnostics[0];
  assert.equal(d.file, "bad.test.toml");
  assert.equal(d.line, 3);
  assert.match(d.message, /^invalid TOML: (?!Invalid TOML document)/);
  assert.match(d.frame ?? "", /^2 \| name = "x"\n3 \| expect =/);
});

test("unknown keys and wrong values are errors at their keys", () => {
  const text = `rule = "x"

[[case]]
name = "a"
expect = "alerts"
event = [{ a = 1 }]
`;
  const load = loadTestFile("u.test.toml", text);
  assert.equal(load.test, undefined);
  const messages = load.diagnostics.map((d) => `${d.line}: ${d.message}`);
  assert.ok(
    messages.some((m) => /^1: unknown key "rule"/.test(m)),
    messages.join("\n"),
  );
  assert.ok(
    messages.some((m) => /^5: expect must be "alert" or "none"/.test(m)),
    messages.join("\n"),
  );
  assert.ok(
    messages.some((m) => /^6: unknown key "event" in a case/.test(m)),
    messages.join("\n"),
  );
  assert.ok(
    messages.some((m) => /needs events or events_file/.test(m)),
    messages.join("\n"),
  );
});

test("inconsistent expectations are errors", () => {
  const text = `[[case]]
name = "a"
expect = "none"
alerts = 2
sequences = [[0, 5]]
events = [{ a = 1 }]
`;
  const messages = loadTestFile("c.test.toml", text).diagnostics.map((d) => d.message);
  assert.ok(messages.some((m) => /expect = "none" with alerts above 0/.test(m)));
  assert.ok(messages.some((m) => /sequences name event 5, but the case has 1 events/.test(m)));
  assert.match(loadTestFile("e.test.toml", "rule_id = 'x'\n").diagnostics[0].message, /no \[\[case\]\]/);
});

test("events_file is NDJSON relative to the test file; its errors name its line", () => {
  writeFileSync(join(dir, "events.ndjson"), '{"process":{"name":"a"}}\n\n{"process":{"name":"b"}}\n');
  writeFileSync(join(dir, "broken.ndjson"), '{"process":{"name":"a"}}\n{nope\n');
  const ok = loadTestFile(
    join(dir, "f.test.toml"),
    '[[case]]\nname = "file"\nexpect = "alert"\nevents_file = "events.ndjson"\n',
  );
  assert.deepEqual(ok.diagnostics, []);
  assert.deepEqual(
    ok.test!.cases[0].events.map((e) => (e.process as { name: string }).name),
    ["a", "b"],
  );

  const broken = loadTestFile(
    join(dir, "g.test.toml"),
    '[[case]]\nname = "file"\nexpect = "alert"\nevents_file = "broken.ndjson"\n',
  );
  assert.equal(broken.diagnostics[0].file, join(dir, "broken.ndjson"));
  assert.equal(broken.diagnostics[0].line, 2);

  const missing = loadTestFile(
    join(dir, "h.test.toml"),
    '[[case]]\nname = "file"\nexpect = "alert"\nevents_file = "gone.ndjson"\n',
  );
  assert.equal(missing.diagnostics[0].file, join(dir, "h.test.toml"));
  assert.equal(missing.diagnostics[0].line, 4);
  assert.match(missing.diagnostics[0].message, /gone\.ndjson: no such file/);
});

test("test and events files that are not UTF-8 are errors at the byte; a bad event line at its column", () => {
  writeFileSync(join(dir, "latin1.ndjson"), Buffer.from('{"process":{"name":"caf\xe9"}}\n', "latin1"));
  writeFileSync(join(dir, "latin1.test.toml"), Buffer.from('[[case]]\nname = "caf\xe9"\n', "latin1"));
  writeFileSync(join(dir, "columns.ndjson"), '{"a":1}\n  {"a": nope}\n');
  writeFileSync(join(dir, "array.ndjson"), '{"a":1}\n  [1]\n');

  const test = loadTestFile(join(dir, "latin1.test.toml"));
  assert.deepEqual(
    test.diagnostics.map((d) => [d.line, d.column, d.message.slice(0, 30)]),
    [[2, 12, "a byte here is not UTF-8, and "]],
  );
  const events = (file: string) =>
    loadTestFile(
      join(dir, "e.test.toml"),
      `[[case]]\nname = "file"\nexpect = "alert"\nevents_file = "${file}"\n`,
    ).diagnostics.map((d) => [d.file, d.line, d.column, d.message]);
  assert.deepEqual(events("latin1.ndjson"), [
    [
      join(dir, "latin1.ndjson"),
      1,
      24,
      "a byte here is not UTF-8, and test files are UTF-8: it reads as U+FFFD, not as what was meant",
    ],
  ]);
  assert.equal(events("columns.ndjson")[0][2], 10);
  assert.deepEqual(events("array.ndjson")[0].slice(1), [
    2,
    3,
    "events_file: not a JSON object (one event per line)",
  ]);
});

test("an events_file is named in diagnostics as the test file is, not made absolute", () => {
  const testFile = join(relative(process.cwd(), dir), "g.test.toml");
  const load = loadTestFile(
    testFile,
    '[[case]]\nname = "f"\nexpect = "alert"\nevents_file = "broken.ndjson"\n',
  );
  assert.equal(load.diagnostics[0].file, join(relative(process.cwd(), dir), "broken.ndjson"));
});
