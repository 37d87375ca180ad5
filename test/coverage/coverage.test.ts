import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { parse } from "smol-toml";
import { buildCoverage, parseTestedList } from "../../src/coverage/model.ts";
import { navigatorLayer, TESTED_COLORS } from "../../src/coverage/navigator.ts";
import { coverageTable } from "../../src/coverage/table.ts";
import { loadRules } from "../../src/rules/load-rules.ts";
import { runCli } from "../cli/run-cli.ts";

const dir = mkdtempSync(join(tmpdir(), "eqlite-coverage-"));

function rule(id: number, name: string, threat: string): string {
  return `[metadata]
creation_date = "2024/01/10"
maturity = "production"
updated_date = "2024/02/01"

[rule]
author = ["eqlite tests"]
description = "A coverage fixture."
index = ["logs-endpoint.events.*"]
language = "eql"
license = "Apache-2.0"
name = "${name}"
risk_score = 47
rule_id = "00000000-0000-4000-8000-00000000000${id}"
severity = "medium"
type = "eql"
query = '''
process where process.name == "sh"
'''
${threat}
`;
}

const ruleId = (id: number) => `00000000-0000-4000-8000-00000000000${id}`;

function threat(tactic: [string, string], techniques: [string, string, [string, string][]?][] = []): string {
  let out = `
[[rule.threat]]
framework = "MITRE ATT&CK"
`;
  for (const [id, name, subs] of techniques) {
    out += `[[rule.threat.technique]]
id = "${id}"
name = "${name}"
reference = "https://attack.mitre.org/techniques/${id}/"
`;
    for (const [sid, sname] of subs ?? [])
      out += `[[rule.threat.technique.subtechnique]]
id = "${sid}"
name = "${sname}"
reference = "https://attack.mitre.org/techniques/${sid.replace(".", "/")}/"
`;
  }
  out += `[rule.threat.tactic]
id = "${tactic[0]}"
name = "${tactic[1]}"
reference = "https://attack.mitre.org/tactics/${tactic[0]}/"
`;
  return out;
}

const EXEC: [string, string] = ["TA0002", "Execution"];
const PRIV: [string, string] = ["TA0004", "Privilege Escalation"];
const C2: [string, string] = ["TA0011", "Command and Control"];
const RECON: [string, string] = ["TA0043", "Reconnaissance"];

writeFileSync(
  join(dir, "a.toml"),
  rule(
    1,
    "Shell A",
    threat(EXEC, [["T1059", "Command and Scripting Interpreter", [["T1059.004", "Unix Shell"]]]]),
  ),
);
writeFileSync(
  join(dir, "b.toml"),
  rule(
    2,
    "Shell B",
    threat(EXEC, [["T1059", "Command and Scripting Interpreter", [["T1059.004", "Unix Shell"]]]]) +
      threat(PRIV, [["T1611", "Escape to Host"]]),
  ),
);
writeFileSync(join(dir, "c.toml"), rule(3, "Beacon", threat(C2, [["T1071", "Application Layer Protocol"]])));
writeFileSync(join(dir, "d.toml"), rule(4, "Scan", threat(RECON)));
writeFileSync(join(dir, "e.toml"), rule(5, "Unmapped", ""));

const loaded = await loadRules([dir]);

test("the fixtures load", () => {
  assert.equal(loaded.rules.length, 5);
});

test("tactics come in kill-chain order, techniques by id", () => {
  const model = buildCoverage(loaded.rules);
  assert.deepEqual(
    model.tactics.map((t) => t.id),
    ["TA0043", "TA0002", "TA0004", "TA0011"],
  );
  assert.deepEqual(
    model.tactics.map((t) => t.shortname),
    ["reconnaissance", "execution", "privilege-escalation", "command-and-control"],
  );
  assert.deepEqual(model.tactics[0].techniques, []);
  assert.deepEqual(model.tactics[0].rules, [ruleId(4)]);
});

test("counts rules per tactic, technique and sub-technique", () => {
  const model = buildCoverage(loaded.rules);
  const exec = model.tactics.find((t) => t.id === "TA0002")!;
  assert.deepEqual(exec.rules, [ruleId(1), ruleId(2)]);
  const t1059 = exec.techniques[0];
  assert.equal(t1059.id, "T1059");
  assert.equal(t1059.name, "Command and Scripting Interpreter");
  assert.equal(t1059.rules.length, 2);
  assert.deepEqual(
    t1059.subtechniques.map((s) => [s.id, s.name, s.rules.length]),
    [["T1059.004", "Unix Shell", 2]],
  );
  assert.deepEqual(model.summary, {
    rules: 5,
    mapped: 4,
    unmapped: 1,
    tested: 0,
    tactics: 4,
    techniques: 3,
    subtechniques: 1,
  });
});

test("rules without threat are unmapped and listed", () => {
  const model = buildCoverage(loaded.rules);
  assert.deepEqual(model.unmapped, [ruleId(5)]);
  const table = coverageTable(model);
  assert.match(
    table,
    /3 techniques and 1 sub-technique covered in 4 tactics; 4 rules with an ATT&CK mapping, 1 without; 0 of 5 tested/,
  );
  assert.match(
    table,
    /rules without an ATT&CK mapping:\n {2}Unmapped \(00000000-0000-4000-8000-000000000005\)/,
  );
  const lines = table.split("\n");
  const at = (prefix: string) => lines.findIndex((l) => l.trimStart().startsWith(prefix));
  assert.ok(at("TA0043") < at("TA0002") && at("TA0002") < at("T1059 ") && at("T1059 ") < at("T1059.004"));
  assert.ok(at("T1059.004") < at("TA0004") && at("TA0004") < at("TA0011"));
  assert.match(lines[at("T1059.004")], /^ {4}T1059\.004 Unix Shell +2 +0$/);
});

test("other frameworks and an empty rule list", () => {
  const atlas = buildCoverage([
    {
      rule: {
        rule_id: "x",
        name: "X",
        type: "query",
        threat: [
          {
            framework: "MITRE ATLAS",
            tactic: { id: "AML.TA0000", name: "A", reference: "r" },
            technique: [],
          },
        ],
      },
    },
  ]);
  assert.deepEqual(atlas.tactics, []);
  assert.deepEqual(atlas.unmapped, ["x"]);
  const empty = buildCoverage([]);
  assert.equal(empty.summary.rules, 0);
  assert.equal(navigatorLayer(empty).gradient.maxValue, 1);
});

test("the navigator layer's shape and scores", () => {
  const layer = navigatorLayer(buildCoverage(loaded.rules));
  // format 4.5: the layer and the least Navigator that reads it; no ATT&CK version, so the current one is drawn
  assert.deepEqual(layer.versions, { layer: "4.5", navigator: "4.9.0" });
  assert.equal(layer.domain, "enterprise-attack");
  assert.equal(typeof layer.name, "string");
  assert.equal(typeof layer.description, "string");
  assert.deepEqual(
    layer.techniques.map((t) => [t.techniqueID, t.tactic, t.score]),
    [
      ["T1059", "execution", 2],
      ["T1059.004", "execution", 2],
      ["T1611", "privilege-escalation", 1],
      ["T1071", "command-and-control", 1],
    ],
  );
  const t1059 = layer.techniques[0];
  assert.equal(t1059.comment, "Shell A; Shell B");
  assert.equal(t1059.showSubtechniques, true);
  assert.deepEqual(t1059.metadata, [
    { name: "rule", value: `Shell A (${ruleId(1)})` },
    { name: "tested", value: "no" },
    { name: "rule", value: `Shell B (${ruleId(2)})` },
    { name: "tested", value: "no" },
  ]);
  assert.deepEqual(layer.gradient, { colors: ["#ffffff", "#66b1ff"], minValue: 0, maxValue: 2 });
  assert.equal(layer.legendItems.length, 3);
  for (const t of layer.techniques) assert.match(t.techniqueID, /^T\d{4}(\.\d{3})?$/);
});

test("tested rules colour techniques green, yellow or red", () => {
  const model = buildCoverage(loaded.rules, { tested: [ruleId(1), ruleId(3)] });
  assert.equal(model.summary.tested, 2);
  const layer = navigatorLayer(model);
  const color = (id: string) => layer.techniques.find((t) => t.techniqueID === id)!.color;
  assert.equal(color("T1059"), TESTED_COLORS.some);
  assert.equal(color("T1071"), TESTED_COLORS.all);
  assert.equal(color("T1611"), TESTED_COLORS.none);
  assert.deepEqual(layer.techniques[0].metadata[1], { name: "tested", value: "yes" });
  assert.equal(model.tactics.find((t) => t.id === "TA0002")!.techniques[0].tested, 1);
});

test("the tested list format", () => {
  assert.deepEqual(parseTestedList("a\n\n  b  # note\r\n# comment\nc"), ["a", "b", "c"]);
});

test("the CLI writes a navigator layer and reads --tested", () => {
  const tested = join(dir, "tested.txt");
  writeFileSync(tested, `${ruleId(3)}\n`);
  const output = join(dir, "layer.json");
  const r = runCli(["coverage", "--format", "navigator", "--tested", tested, "--output", output, dir]);
  assert.equal(r.code, 0, r.stderr);
  const layer = JSON.parse(readFileSync(output, "utf8"));
  assert.equal(
    layer.techniques.find((t: { techniqueID: string }) => t.techniqueID === "T1071").color,
    TESTED_COLORS.all,
  );
  const json = runCli(["coverage", "--format", "json", dir]);
  assert.equal(JSON.parse(json.stdout).summary.rules, 5);
  assert.equal(runCli(["coverage", "--tested", join(dir, "missing.txt"), dir]).code, 2);
  const mistyped = runCli(["coverage", dir, join(dir, "no-such-rules")]);
  assert.equal(mistyped.code, 2);
  assert.match(mistyped.stderr, /rules not found: .*no-such-rules/);
  assert.equal(mistyped.stdout, "");
});

test("the layer of the bundled rules lists every technique they map", async () => {
  const root = fileURLToPath(new URL("../../rules", import.meta.url));
  const expected = new Set<string>();
  const walk = (d: string): void => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (name.endsWith(".toml")) {
        const doc = parse(readFileSync(p, "utf8")) as {
          rule?: { threat?: { technique?: { id: string; subtechnique?: { id: string }[] }[] }[] };
        };
        // rule test files (`*.test.toml`) sit beside the rules and have no `[rule]` table
        for (const th of doc.rule?.threat ?? [])
          for (const t of th.technique ?? []) {
            expected.add(t.id);
            for (const s of t.subtechnique ?? []) expected.add(s.id);
          }
      }
    }
  };
  walk(root);
  assert.ok(expected.size > 0);
  const layer = navigatorLayer(buildCoverage((await loadRules([root])).rules));
  const listed = new Set(layer.techniques.map((t) => t.techniqueID));
  for (const id of expected) assert.ok(listed.has(id), `${id} missing from the layer`);
});

test("without --tested, a rule counts as tested when a valid test file names it, whether its cases pass or not", () => {
  const root = mkdtempSync(join(tmpdir(), "eqlite-coverage-tests-"));
  writeFileSync(join(root, "a.toml"), rule(1, "Shell A", threat(EXEC, [["T1059", "Command"]])));
  writeFileSync(
    join(root, "c.toml"),
    rule(3, "Beacon", threat(C2, [["T1071", "Application Layer Protocol"]])),
  );
  writeFileSync(join(root, "e.toml"), rule(5, "Unmapped", ""));
  // a case that fails: the rule wants process.name "sh"
  writeFileSync(
    join(root, "a.test.toml"),
    '[[case]]\nname = "fails"\nexpect = "alert"\nevents = [ { event.category = ["process"], process.name = "bash" } ]\n',
  );
  // tested by rule_id from a file whose name points nowhere
  writeFileSync(
    join(root, "other.test.toml"),
    `rule_id = "${ruleId(5)}"\n[[case]]\nname = "none"\nexpect = "none"\nevents = [ { process.name = "x" } ]\n`,
  );
  // invalid: no cases; its rule is not tested
  writeFileSync(join(root, "c.test.toml"), 'rule_id = "nothing"\n');
  const r = runCli(["coverage", "--format", "json", root]);
  assert.equal(r.code, 0, r.stderr);
  const model = JSON.parse(r.stdout) as { rules: { rule_id: string; tested: boolean }[] };
  assert.deepEqual(
    model.rules.map((x) => [x.rule_id, x.tested]),
    [
      [ruleId(1), true],
      [ruleId(3), false],
      [ruleId(5), true],
    ],
  );
});

test("the CLI names a rules path it cannot read and an --output it cannot write, exit 2, no stack trace", () => {
  const root = mkdtempSync(join(tmpdir(), "eqlite-coverage-unreadable-"));
  symlinkSync("b.toml", join(root, "a.toml"));
  symlinkSync("a.toml", join(root, "b.toml"));
  const loop = runCli(["coverage", join(root, "a.toml")]);
  assert.equal(loop.code, 2);
  assert.match(loop.stderr, /^eqlite coverage: cannot read .*a\.toml: ELOOP/);
  assert.equal(loop.stdout, "");
  const output = join(root, "no-such-dir", "layer.json");
  const unwritable = runCli(["coverage", "--format", "navigator", "--output", output, dir]);
  assert.equal(unwritable.code, 2);
  assert.equal(
    unwritable.stderr,
    `eqlite coverage: cannot write ${output}: ENOENT: no such file or directory, open '${output}'\n`,
  );
});
