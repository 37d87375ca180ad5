import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { loadRuleText } from "../../src/rules/load-rule-text.ts";
import { exitCodeOf, formatReport, runCase, runRuleTests } from "../../src/ruletest/runner.ts";

const entry = fileURLToPath(new URL("../../src/cli/entry.ts", import.meta.url));

function cli(args: string[]) {
  const r = spawnSync(process.execPath, ["--import", "tsx", entry, "test", ...args], {
    encoding: "utf8",
    env: { ...process.env, NO_COLOR: "1" },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function rule(ruleId: string, name: string, query: string): string {
  return `[metadata]
creation_date = "2024/01/10"
integration = ["cloud_defend"]
maturity = "production"
updated_date = "2024/02/01"

[rule]
author = ["eqlite tests"]
description = "test rule"
index = ["logs-cloud_defend*"]
language = "eql"
license = "Apache-2.0"
name = "${name}"
risk_score = 47
rule_id = "${ruleId}"
severity = "medium"
type = "eql"
query = '''
${query}
'''
`;
}

const shellCases = `[[case]]
name = "sh starts"
expect = "alert"
alerts = 1
events = [{ event = { category = ["process"], type = ["start"] }, process = { name = "sh" } }]

[[case]]
name = "ls starts"
expect = "none"
events = [{ event = { category = ["process"], type = ["start"] }, process = { name = "ls" } }]
`;

function fixture(): string {
  const dir = mkdtempSync(join(tmpdir(), "eqlite-ruletest-run-"));
  writeFileSync(
    join(dir, "shell.toml"),
    rule("11111111-0000-4000-8000-000000000001", "Shell", 'process where process.name == "sh"'),
  );
  writeFileSync(join(dir, "shell.test.toml"), shellCases);
  writeFileSync(
    join(dir, "untested.toml"),
    rule("11111111-0000-4000-8000-000000000002", "Lonely Rule", 'process where process.name == "zz"'),
  );
  // a sequence rule tested from a tests/ directory, its rule found by rule_id
  writeFileSync(
    join(dir, "seq.toml"),
    rule(
      "11111111-0000-4000-8000-000000000003",
      "Seq",
      'sequence by host.id [process where process.name == "a"] [process where process.name == "b"]',
    ),
  );
  mkdirSync(join(dir, "tests"));
  writeFileSync(
    join(dir, "tests", "sequence-cases.test.toml"),
    `rule_id = "11111111-0000-4000-8000-000000000003"
[[case]]
name = "a then b"
expect = "alert"
alerts = 1
sequences = [[0, 2]]
events = [
  { event.category = "process", host.id = "h1", process.name = "a" },
  { event.category = "process", host.id = "h2", process.name = "b" },
  { event.category = "process", host.id = "h1", process.name = "b" },
]
`,
  );
  return dir;
}

test("passing cases, a sequence found by rule_id, and the untested rules", async () => {
  const dir = fixture();
  const report = await runRuleTests([dir]);
  assert.deepEqual(report.diagnostics, []);
  assert.equal(report.passed, 3);
  assert.equal(report.failed, 0);
  assert.deepEqual(
    report.untested.map((u) => u.name),
    ["Lonely Rule"],
  );
  const text = formatReport(report);
  assert.match(text, /✔ Shell \(.*shell\.test\.toml\)\n {2}✔ sh starts\n {2}✔ ls starts/);
  assert.match(text, /\n3 passed, 0 failed\nuntested rules \(1\):\n {2}Lonely Rule \(.*untested\.toml\)\n$/);
  assert.equal(exitCodeOf(report), 0);
});

test("a failing case shows expected and actual, and which events alerted", async () => {
  const dir = fixture();
  writeFileSync(
    join(dir, "shell.test.toml"),
    `${shellCases}
[[case]]
name = "wrongly expects quiet"
expect = "none"
events = [
  { event = { category = ["process"] }, process = { name = "ls" } },
  { event = { category = ["process"] }, process = { name = "sh" } },
]
`,
  );
  const report = await runRuleTests([join(dir, "shell.test.toml")]);
  assert.equal(report.failed, 1);
  assert.equal(report.passed, 2);
  const text = formatReport(report);
  assert.match(text, /✘ Shell/);
  assert.match(text, / {2}✘ wrongly expects quiet\n {6}expected no alert, got 1 alert\n/);
  assert.match(text, /expected: no alert\n {6}actual: {3}1 alert; events alerted: 1\n/);
  assert.match(text, / {7}event 0: .*process\.name="ls"\n {6}\* event 1: .*process\.name="sh"/);
  assert.equal(exitCodeOf(report), 1);
});

test("exit codes of `eqlite test`: 0 pass, 1 fail, 2 invalid or no tests", () => {
  const dir = fixture();
  const pass = cli([dir]);
  assert.equal(pass.code, 0, pass.stderr);
  assert.match(pass.stdout, /^3 passed, 0 failed$/m);

  writeFileSync(join(dir, "shell.test.toml"), shellCases.replace('expect = "none"', 'expect = "alert"'));
  const fail = cli([dir]);
  assert.equal(fail.code, 1, fail.stderr);
  assert.match(fail.stdout, /^2 passed, 1 failed$/m);
  assert.match(fail.stdout, /✘ ls starts\n {6}expected an alert, got none/);

  writeFileSync(join(dir, "shell.test.toml"), '[[case]]\nname = "x"\nexpect = "alert"\nevents = [{ a = }]\n');
  const invalid = cli([dir]);
  assert.equal(invalid.code, 2);
  assert.match(invalid.stderr, /shell\.test\.toml:4:\d+: error: invalid TOML/);

  const empty = mkdtempSync(join(tmpdir(), "eqlite-ruletest-empty-"));
  const none = cli([empty]);
  assert.equal(none.code, 2);
  assert.match(none.stderr, /no \*\.test\.toml files found/);

  assert.equal(cli([]).code, 2);
});

test("a test file whose rule cannot be found is invalid", async () => {
  const dir = mkdtempSync(join(tmpdir(), "eqlite-ruletest-orphan-"));
  writeFileSync(join(dir, "orphan.test.toml"), shellCases);
  const report = await runRuleTests([dir]);
  assert.equal(exitCodeOf(report), 2);
  assert.match(report.diagnostics[0].message, /no rule file orphan\.toml/);
});

test("a test file whose rule gave way to another with its rule_id says so, not that the file is missing", async () => {
  const dir = mkdtempSync(join(tmpdir(), "eqlite-ruletest-duplicate-"));
  const id = "11111111-0000-4000-8000-000000000009";
  // a copy made to start a new rule, its rule_id not yet changed: read later, it is kept
  writeFileSync(join(dir, "a-shell.toml"), rule(id, "Shell", 'process where process.name == "sh"'));
  writeFileSync(join(dir, "a-shell.test.toml"), shellCases);
  writeFileSync(join(dir, "b-copy.toml"), rule(id, "Copy", 'process where process.name == "sh"'));
  const report = await runRuleTests([dir]);
  assert.equal(exitCodeOf(report), 2);
  const [d] = report.diagnostics;
  assert.equal(d.file, join(dir, "a-shell.test.toml"));
  assert.match(
    d.message,
    /^the rule it tests is left out: .*a-shell\.toml:\d+: rule_id 11111111-0000-4000-8000-000000000009 is also the id of "Copy"/,
  );
});

test("an event too deep for its alert fails the case with the reason, and the others still alert", () => {
  const [shell] = loadRuleText(
    rule("11111111-0000-4000-8000-000000000001", "Shell", 'process where process.name == "sh"'),
    "shell.toml",
  ).rules;
  let deep: unknown = "bottom";
  for (let i = 0; i < 1005; i++) deep = { nested: deep };
  const sh = (extra: Record<string, unknown> = {}) => ({
    event: { category: ["process"], type: ["start"] },
    process: { name: "sh" },
    ...extra,
  });
  const outcome = runCase(shell, {
    name: "deep",
    line: 1,
    expect: "alert",
    events: [sh({ labels: deep }), sh({ host: { name: "h2" } })],
  });
  assert.equal(outcome.alerts, 1);
  assert.deepEqual(outcome.alertedEvents, [1]);
  assert.equal(outcome.error, "the alert of event 0 could not be built: value nests deeper than 1000 levels");
});

/** The shell rule as a Kibana export line holds it. */
function exportedShell(ruleId: string, name: string) {
  return {
    rule_id: ruleId,
    name,
    description: "test rule",
    risk_score: 47,
    severity: "medium",
    type: "eql",
    language: "eql",
    index: ["logs-cloud_defend*"],
    query: 'process where process.name == "sh"',
  };
}

test("a rule's exceptions apply in its tests: those exported with it and those given with --exceptions", async () => {
  const dir = mkdtempSync(join(tmpdir(), "eqlite-ruletest-exceptions-"));
  const exported = {
    ...exportedShell("11111111-0000-4000-8000-000000000009", "Exported Shell"),
    exceptions_list: [{ id: "x", list_id: "ops", namespace_type: "single", type: "detection" }],
  };
  const list = {
    list_id: "ops",
    name: "ops",
    description: "ops",
    type: "detection",
    namespace_type: "single",
  };
  const item = {
    item_id: "ops-1",
    list_id: "ops",
    name: "build containers",
    description: "build containers",
    type: "simple",
    namespace_type: "single",
    entries: [{ field: "container.id", operator: "included", type: "match", value: "build" }],
  };
  writeFileSync(join(dir, "shell.ndjson"), [exported, list, item].map((x) => JSON.stringify(x)).join("\n"));
  const cases = (container: string) => `rule_id = "11111111-0000-4000-8000-000000000009"
[[case]]
name = "sh in ${container}"
expect = "none"
events = [{ event = { category = ["process"] }, process = { name = "sh" }, container = { id = "${container}" } }]
`;
  writeFileSync(join(dir, "build.test.toml"), cases("build"));
  const withExport = await runRuleTests([join(dir, "shell.ndjson"), join(dir, "build.test.toml")]);
  assert.deepEqual(withExport.diagnostics, []);
  assert.deepEqual([withExport.passed, withExport.failed], [1, 0]);

  writeFileSync(join(dir, "ci.test.toml"), cases("ci"));
  const tests = [join(dir, "shell.ndjson"), join(dir, "ci.test.toml")];
  assert.deepEqual([(await runRuleTests(tests)).failed], [1]);
  writeFileSync(
    join(dir, "ci-exceptions.toml"),
    '[[exception]]\nname = "ci"\nall_rules = true\nentries = [ { field = "container.id", type = "match", value = "ci" } ]\n',
  );
  const given = cli(["--exceptions", join(dir, "ci-exceptions.toml"), ...tests]);
  assert.equal(given.code, 0, given.stdout + given.stderr);
  assert.match(given.stdout, /1 passed, 0 failed/);
});

test("a test file finds its rule in an export of the same name, unless the export holds several", async () => {
  const dir = mkdtempSync(join(tmpdir(), "eqlite-ruletest-export-"));
  const exported = (n: number, name: string) =>
    exportedShell(`11111111-0000-4000-8000-00000000001${n}`, name);
  writeFileSync(join(dir, "shell.ndjson"), JSON.stringify(exported(1, "Exported Shell")));
  writeFileSync(join(dir, "shell.test.toml"), shellCases);
  const one = await runRuleTests([join(dir, "shell.test.toml")]);
  assert.deepEqual(one.diagnostics, []);
  assert.deepEqual([one.results[0].rule_name, one.passed, one.failed], ["Exported Shell", 2, 0]);
  writeFileSync(
    join(dir, "shell.ndjson"),
    [exported(1, "Exported Shell"), exported(2, "Another")].map((x) => JSON.stringify(x)).join("\n"),
  );
  const two = await runRuleTests([join(dir, "shell.test.toml")]);
  assert.match(two.diagnostics[0].message, /shell\.ndjson holds 2 rules: give the test file the rule_id/);
});

test("a case's events_file beside the rules is read as events, not walked as a rules export", async () => {
  const dir = mkdtempSync(join(tmpdir(), "eqlite-ruletest-events-file-"));
  writeFileSync(
    join(dir, "shell.toml"),
    rule("00000000-0000-4000-8000-0000000000e1", "Shell", 'process where process.name == "sh"'),
  );
  // an event with a deep part: as a rules export, a line too deep is an error
  const nested = `${'{"a":'.repeat(1500)}1${"}".repeat(1500)}`;
  writeFileSync(
    join(dir, "shell-cases.ndjson"),
    `{"event":{"category":["process"],"type":["start"]},"process":{"name":"ls"},"x":${nested}}\n`,
  );
  writeFileSync(
    join(dir, "shell.test.toml"),
    '[[case]]\nname = "from a file"\nexpect = "none"\nevents_file = "shell-cases.ndjson"\n',
  );
  const report = await runRuleTests([dir]);
  assert.deepEqual(report.diagnostics, []);
  assert.deepEqual(
    report.results.map((r) => r.cases.map((c) => [c.name, c.passed])),
    [[["from a file", true]]],
  );
});

test("a case expecting more alerts than the rule's max_signals is told that max_signals caps them", async () => {
  const dir = mkdtempSync(join(tmpdir(), "eqlite-ruletest-max-signals-"));
  const capped = rule("00000000-0000-4000-8000-0000000000e2", "Capped", 'process where process.name == "sh"');
  writeFileSync(
    join(dir, "capped.toml"),
    capped.replace('severity = "medium"', 'severity = "medium"\nmax_signals = 2'),
  );
  const event = (pid: number) =>
    `{ event = { category = ["process"] }, process = { name = "sh", pid = ${pid} } }`;
  writeFileSync(
    join(dir, "capped.test.toml"),
    `[[case]]\nname = "three shells"\nexpect = "alert"\nalerts = 3\nevents = [${[1, 2, 3].map(event).join(", ")}]\n`,
  );
  const report = await runRuleTests([dir]);
  assert.deepEqual(report.diagnostics, []);
  assert.deepEqual(report.results[0].cases[0].problems, [
    "expected exactly 3 alerts, got 2 (the rule alerts at most 2 matches in a run: its max_signals)",
  ]);
});

test("a failing case of many alerting events shows the first eight of them and counts the rest", async () => {
  const dir = fixture();
  const shells = Array.from(
    { length: 20 },
    (_, i) => `{ event = { category = ["process"] }, process = { name = "sh", pid = ${i} } }`,
  );
  writeFileSync(
    join(dir, "shell.test.toml"),
    `[[case]]\nname = "quiet"\nexpect = "none"\nevents = [${shells.join(", ")}]\n`,
  );
  const text = formatReport(await runRuleTests([join(dir, "shell.test.toml")]));
  const shown = text.split("\n").filter((line) => /^ {6}\* event \d+:/.test(line));
  assert.deepEqual(
    shown.map((line) => /event (\d+)/.exec(line)?.[1]),
    ["0", "1", "2", "3", "4", "5", "6", "7"],
  );
  assert.match(text, /\n {6}… and 12 more events that alerted\n/);
  assert.match(text, /events alerted: 0, 1, 2, .*, 19\n/);
});

test("a test file reached twice, by a walk and by name or by two spellings of its path, runs once", async () => {
  const dir = fixture();
  writeFileSync(join(dir, "shell.test.toml"), shellCases);
  const named = join(dir, "shell.test.toml");
  const report = await runRuleTests([dir, named, `${dir}/./shell.test.toml`]);
  assert.deepEqual(report.diagnostics, []);
  // the fixture's tests/ directory holds another test file, of another rule
  assert.deepEqual(
    report.results.map((r) => r.file).filter((f) => f.endsWith("shell.test.toml")),
    [named],
  );
});
