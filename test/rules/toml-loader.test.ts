import assert from "node:assert/strict";
import { test } from "node:test";
import { errors, lineOf, loadToml, messages, ruleToml, warnings } from "./fixtures.ts";

const THREAT = `
[[rule.threat]]
framework = "MITRE ATT&CK"
[[rule.threat.technique]]
id = "T1059"
name = "Command and Scripting Interpreter"
reference = "https://attack.mitre.org/techniques/T1059/"
[[rule.threat.technique.subtechnique]]
id = "T1059.004"
name = "Unix Shell"
reference = "https://attack.mitre.org/techniques/T1059/004/"

[rule.threat.tactic]
id = "TA0002"
name = "Execution"
reference = "https://attack.mitre.org/tactics/TA0002/"
`;

test("a detection-rules TOML rule loads with its metadata, threat and Kibana's defaults", () => {
  const r = loadToml(ruleToml({ tail: THREAT }));
  assert.deepEqual(r.diagnostics, []);
  assert.equal(r.rules.length, 1);
  const { rule, metadata, origin, integrations } = r.rules[0];
  assert.equal(rule.type, "eql");
  assert.equal(rule.from, "now-9m");
  assert.equal(rule.to, "now");
  assert.equal(rule.interval, "5m");
  assert.equal(rule.max_signals, 100);
  assert.deepEqual(rule.references, []);
  assert.equal(rule.threat[0].technique[0].subtechnique?.[0].id, "T1059.004");
  assert.equal(metadata?.maturity, "production");
  assert.deepEqual(integrations, ["cloud_defend"]);
  assert.equal(origin.line, lineOf(ruleToml({ tail: THREAT }), "[rule]"));
  assert.equal(origin.format, "toml");
});

test("invalid TOML is reported at smol-toml's line and column, with a code frame", () => {
  const text = '[rule]\nname = "x"\nrisk_score = \n';
  const r = loadToml(text);
  assert.equal(r.rules.length, 0);
  assert.equal(r.diagnostics.length, 1);
  const [d] = r.diagnostics;
  assert.deepEqual([d.line, d.column, d.severity, d.code], [3, 14, "error", "toml-syntax"]);
  assert.match(d.message, /^invalid TOML: /);
  assert.equal(d.frame, '2 | name = "x"\n3 | risk_score =\n  |              ^\n4 |');
});

test("a TOML error on a line of megabytes shows a window of it around the caret", () => {
  const text = `[rule]\nnote = """${'"" '.repeat(1_000_000)}\n`;
  const [d] = loadToml(text).diagnostics;
  assert.equal(d.code, "toml-syntax");
  const frame = d.frame ?? "";
  assert.ok(frame.length < 600, `${frame.length} characters`);
  assert.match(frame, /^1 \| \[rule\]\n2 \| note = """""/);
});

test("a TOML file without [rule] is skipped with a warning", () => {
  const r = loadToml('[metadata]\ncreation_date = "2024/01/01"\n');
  assert.deepEqual(messages(r.diagnostics), ["no [rule] table: not a detection rule, skipped"]);
  assert.equal(r.diagnostics[0].severity, "warning");
  assert.equal(r.rules.length + r.rejected.length, 0);
});

test("EQL errors point into the file: the query's first line is the line after `query = '''`", () => {
  const text = ruleToml({ query: 'process where\n  process.name = "bash"' });
  const r = loadToml(text);
  const [d] = errors(r);
  assert.equal(d.code, "eql");
  assert.equal(d.line, lineOf(text, 'process.name = "bash"'));
  assert.equal(d.column, 16);
  assert.match(d.message, /'=' is not a comparison operator/);
  assert.match(d.frame ?? "", new RegExp(`${d.line} \\|   process.name = "bash"`));
  assert.equal(r.rules[0].query, undefined);
});

test("the query is placed in [rule] even when a note quotes it or a transform has a query line", () => {
  const query = 'process where\n  process.name = "bash"';
  const quoted = `"""\nWritten as:\nquery = '''\n${query}\n'''\n"""`;
  const osquery = `\n[transform]\n[[transform.osquery]]\nlabel = "x"\nquery = 'SELECT 1'\n`;
  for (const text of [
    ruleToml({ query, rule: { note: quoted } }),
    ruleToml({ query, tail: osquery }),
    ruleToml({ query: query.replace("process where", "process where true and"), rule: { note: quoted } }),
    // the only line starting with `query =` is the note's: the real query is indented
    ruleToml({
      query: query.replace("process where", "process where true and"),
      rule: { note: quoted },
    }).replace(/\nquery = '''(?![\s\S]*\nquery = )/, "\n  query = '''"),
  ]) {
    const r = loadToml(text);
    const [d] = errors(r);
    const lines = text.split("\n").map((l) => l.trim());
    const realQueryLine = lines.lastIndexOf("query = '''") + 1;
    assert.equal(d.code, "eql", text);
    assert.equal(d.line, realQueryLine + 2, text);
    assert.equal(d.column, 16);
  }
});

test("a query in a basic string is placed too, with or without escapes in it", () => {
  const written = (query: string) => ruleToml({ query }).replace(/'''/g, '"""');
  for (const text of [
    written('process where\n  process.name = "bash"'),
    written('process where process.executable : "C:\\\\bin" and\n  process.name = "bash"'),
  ]) {
    const r = loadToml(text);
    const [d] = errors(r);
    assert.equal(d.code, "eql", text);
    assert.equal(d.line, lineOf(text, 'process.name = "bash"'), text);
    assert.equal(d.column, 16, text);
  }
});

test("escapes in a basic string do not move a query error off the file's character", () => {
  // `\n` escapes put the whole query on one line of the file; `\"` shifts every column after it
  const oneLine = ruleToml({
    rule: { query: '"process where process.name == \\"a\\" and\\n  process.pid = 1"' },
  }).replace(/query = '''\n[\s\S]*?\n'''\n/, "");
  // a backslash at a line's end drops the line break and the blanks after it
  const continued = ruleToml({ query: "" }).replace(
    /query = '''\n\n'''/,
    'query = """\nprocess where \\\n\n    process.pid = 1"""',
  );
  for (const text of [oneLine, continued]) {
    const [d] = errors(loadToml(text));
    const line = text.split("\n")[d.line - 1];
    assert.equal(d.code, "eql", text);
    assert.equal(line.slice(d.column - 1, d.column + 1), "= ", text);
    assert.equal(line.slice(d.column - 13, d.column - 1), "process.pid ", text);
    // the frame shows the line as written, with the caret under that character
    const frame = (d.frame ?? "").split("\n");
    const shown = frame.findIndex((l) => l.startsWith(`${d.line} | `));
    const caret = frame[shown + 1].indexOf("^");
    assert.equal(frame[shown][caret], "=", d.frame);
  }
});

test("an unclosed bracket's message gives the bracket's place in the file", () => {
  const text = ruleToml({ query: 'process where\n  process.name in ("a" "b")' });
  const [d] = errors(loadToml(text));
  assert.match(d.message, new RegExp(`opened at ${lineOf(text, "process.name in")}:19,`));
});

test("a query on the same line as its opening quotes keeps its column offset", () => {
  const text = ruleToml({ rule: { query: `'process where process.name = "x"'` } }).replace(
    /query = '''\n[\s\S]*?\n'''\n/,
    "",
  );
  const r = loadToml(text);
  const [d] = errors(r);
  assert.equal(d.line, lineOf(text, "query = 'process"));
  assert.equal(d.column, "query = 'process where process.name ".length + 1);
});

test("schema errors point at the key that is wrong, or at [rule] when a key is missing", () => {
  const text = ruleToml({ rule: { risk_score: "101", severity: undefined } });
  const r = loadToml(text);
  assert.equal(r.rules.length, 0);
  assert.equal(r.rejected.length, 1);
  const byMessage = new Map(errors(r).map((d) => [d.message, d.line]));
  assert.equal(byMessage.get("risk_score must be at most 100 (found 101)"), lineOf(text, "risk_score"));
  assert.equal(byMessage.get("severity is required"), lineOf(text, "[rule]"));
});

test("[[rule.threat]] problems point at the entry's own lines", () => {
  const tail = THREAT.replace('id = "T1059.004"', 'id = "T1609.004"').replace(
    "tactics/TA0002/",
    "tactics/TA0003/",
  );
  const text = ruleToml({ tail });
  const r = loadToml(text);
  const found = errors(r).map((d) => [d.line, d.message]);
  assert.deepEqual(found, [
    [
      lineOf(text, 'id = "TA0002"') + 2,
      "tactic reference https://attack.mitre.org/tactics/TA0003/ does not match tactic TA0002 (expected https://attack.mitre.org/tactics/TA0002/)",
    ],
    [lineOf(text, "T1609.004"), "sub-technique T1609.004 is not a sub-technique of T1059"],
  ]);
});

test("[rule.new_terms] is flattened into the API's new_terms_fields and history_window_start", () => {
  const text = ruleToml({
    rule: { type: '"new_terms"', language: '"kuery"' },
    query: "event.category:process",
    tail: `
[rule.new_terms]
field = "new_terms_fields"
value = ["host.id", "user.name"]
[[rule.new_terms.history_window_start]]
field = "history_window_start"
value = "now-7d"
`,
  }).replace("query = '''\nevent.category:process\n'''", 'query = "event.category:process"');
  const r = loadToml(text);
  assert.deepEqual(errors(r), []);
  const rule = r.rules[0].rule;
  assert.equal(rule.type, "new_terms");
  if (rule.type !== "new_terms") return;
  assert.deepEqual(rule.new_terms_fields, ["host.id", "user.name"]);
  assert.equal(rule.history_window_start, "now-7d");

  const bad = loadToml(text.replace('value = ["host.id", "user.name"]', 'value = ["a", "b", "c", "d"]'));
  const [d] = errors(bad);
  assert.equal(d.message, "new_terms_fields must have at most 3 items (found 4)");
  assert.equal(d.line, lineOf(text, 'value = ["host.id"'));
});

test("[transform] plugins are checked and kept", () => {
  const tail = `
[transform]
[[transform.osquery]]
label = "Processes"
query = "SELECT * FROM processes"
`;
  const r = loadToml(ruleToml({ rule: { note: '"$osquery_0"' }, tail }));
  assert.deepEqual(r.diagnostics, []);
  assert.equal(r.rules[0].transform?.osquery?.[0].label, "Processes");
  const bad = loadToml(ruleToml({ tail: tail.replace('label = "Processes"\n', "") }));
  assert.deepEqual(messages(errors(bad)), ["transform.osquery[0].label is required"]);
});

test("keys the format does not have are warned about, with the nearest known key", () => {
  const text = ruleToml({ rule: { risk_scroe: "1", threshold: "{ field = [], value = 1 }" } });
  const r = loadToml(text);
  assert.deepEqual(errors(r), []);
  assert.deepEqual(messages(warnings(r)).sort(), [
    "threshold does not apply to eql rules",
    "unknown rule field risk_scroe, did you mean [risk_score]?",
  ]);
});

test("a TOML date, time or inf where a string or number belongs is named as written, not as a table or null", () => {
  const text = ruleToml({
    rule: { name: "1979-05-27T07:32:00Z", from: "1979-05-27", severity: "07:32:00", max_signals: "inf" },
  });
  assert.deepEqual(messages(errors(loadToml(text))).sort(), [
    "from must be a string (found 1979-05-27, a date or time without quotes)",
    "max_signals must be a finite number (found inf)",
    "name must be a string (found 1979-05-27T07:32:00.000Z, a date or time without quotes)",
    'severity must be one of "low", "medium", "high", "critical" (found 07:32:00.000, a date or time without quotes)',
  ]);
});
