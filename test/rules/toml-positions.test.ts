import assert from "node:assert/strict";
import { test } from "node:test";
import { findTomlValue, locateTomlKeys } from "../../src/rules/toml-positions.ts";

const TEXT = `# a comment
[metadata]
creation_date = "2024/01/10"

[rule]
name = "x"
tags = [
  "a", # not a key = here
  "b",
]
note = """
fake = "not a key"
[not.a.table]
"""
alert_suppression = { group_by = ["host.name"], duration = { unit = "m", value = 5 } }
"quoted.key" = 1
query = '''
process where true
'''

[[rule.threat]]
framework = "MITRE ATT&CK"
[[rule.threat.technique]]
id = "T1059"
[[rule.threat.technique.subtechnique]]
id = "T1059.004"
[[rule.threat.technique]]
id = "T1609"
[rule.threat.tactic]
id = "TA0002"

[[rule.threat]]
framework = "MITRE ATT&CK"
[rule.threat.tactic]
id = "TA0007"

[[transform.investigate]]
label = "x"
providers = [[ { field = "host.id", value = "{{host.id}}" } ]]
`;

const line = (needle: string) => TEXT.split("\n").findIndex((l) => l.includes(needle)) + 1;

test("keys, headers and array elements are found at their lines and columns", () => {
  const map = locateTomlKeys(TEXT);
  assert.deepEqual(map.at(["metadata", "creation_date"]), { line: 3, column: 1 });
  assert.deepEqual(map.at(["rule", "name"]), { line: 6, column: 1 });
  assert.deepEqual(map.at(["rule", "tags", 1]), { line: line('"b",'), column: 3 });
  assert.deepEqual(map.at(["rule", "alert_suppression", "duration", "value"]), {
    line: line("alert_suppression"),
    column: TEXT.split("\n")[line("alert_suppression") - 1].indexOf("value = 5") + 1,
  });
  assert.deepEqual(map.at(["rule", "quoted.key"]), { line: line('"quoted.key"'), column: 1 });
  assert.equal(map.at(["rule", "query"]).line, line("query = '''"));
});

test("text inside multi-line strings and comments is not taken for keys or tables", () => {
  const map = locateTomlKeys(TEXT);
  assert.equal(map.get(["rule", "fake"]), undefined);
  assert.equal(map.get(["not", "a", "table"]), undefined);
  assert.equal(map.get(["rule", "not"]), undefined);
});

test("arrays of tables are numbered, and sub-tables belong to the last element above them", () => {
  const map = locateTomlKeys(TEXT);
  assert.equal(map.at(["rule", "threat", 0]).line, line("[[rule.threat]]"));
  assert.equal(map.at(["rule", "threat", 0, "technique", 0, "id"]).line, line('id = "T1059"'));
  assert.equal(
    map.at(["rule", "threat", 0, "technique", 0, "subtechnique", 0, "id"]).line,
    line("T1059.004"),
  );
  assert.equal(map.at(["rule", "threat", 0, "technique", 1, "id"]).line, line("T1609"));
  assert.equal(map.at(["rule", "threat", 0, "tactic", "id"]).line, line("TA0002"));
  assert.equal(map.at(["rule", "threat", 1, "tactic", "id"]).line, line("TA0007"));
  assert.equal(map.at(["transform", "investigate", 0, "providers", 0, 0, "field"]).line, line("providers"));
});

test("a path that was not written falls back to its nearest written ancestor, then the document", () => {
  const map = locateTomlKeys(TEXT, { line: 5, column: 1 });
  assert.deepEqual(map.at(["rule", "threat", 1, "technique"]), map.at(["rule", "threat", 1]));
  assert.deepEqual(map.at(["nowhere"]), { line: 5, column: 1 });
});

test("findTomlValue finds one key's value without recording the others", () => {
  const offset = findTomlValue(TEXT, "rule", "query");
  assert.ok(offset !== undefined);
  assert.ok(TEXT.startsWith("'''\nprocess where true", offset));
  assert.equal(findTomlValue(TEXT, "rule", "missing"), undefined);
  assert.equal(findTomlValue(TEXT, "metadata", "name"), undefined);
});
