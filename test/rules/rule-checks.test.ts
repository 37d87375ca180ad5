import assert from "node:assert/strict";
import { test } from "node:test";
import type { Diagnostic } from "../../src/rules/diagnostic.ts";
import { loadRuleText } from "../../src/rules/load-rule-text.ts";
import type { LoadResult } from "../../src/rules/load-rules.ts";
import { errors, loadToml, messages, ruleToml, warnings } from "./fixtures.ts";

/** A rule in the Kibana API shape, valid unless a test breaks it. */
function apiRule(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const rule: Record<string, unknown> = {
    rule_id: "8d3c5a34-34c8-4b57-9e63-2b9a6a5e1f10",
    name: "Shell In Container",
    description: "A shell started inside a container.",
    risk_score: 47,
    severity: "medium",
    type: "eql",
    language: "eql",
    index: ["logs-*"],
    query: 'process where process.name == "bash"',
    ...overrides,
  };
  for (const [k, v] of Object.entries(rule)) if (v === undefined) delete rule[k];
  return rule;
}

const load = (overrides: Record<string, unknown> = {}): LoadResult =>
  loadRuleText(JSON.stringify(apiRule(overrides)), "rule.json");

const only = (ds: Diagnostic[], code?: string): string[] =>
  messages(code ? ds.filter((d) => d.code === code) : ds);

test("a valid API-shaped rule loads clean, with defaults, and keeps keys the model does not name", () => {
  const r = load({ id: "saved-object-id", output_index: "" });
  assert.deepEqual(r.diagnostics, []);
  const rule = r.rules[0].rule as Record<string, unknown>;
  assert.deepEqual([rule.from, rule.to, rule.interval, rule.max_signals], ["now-6m", "now", "5m", 100]);
  assert.equal(rule.id, "saved-object-id");
});

test("risk_score must be an integer from 0 to 100", () => {
  assert.deepEqual(only(errors(load({ risk_score: 101 }))), ["risk_score must be at most 100 (found 101)"]);
  assert.deepEqual(only(errors(load({ risk_score: -1 }))), ["risk_score must be at least 0 (found -1)"]);
  assert.deepEqual(only(errors(load({ risk_score: 4.5 }))), ["risk_score must be an integer (found 4.5)"]);
  assert.deepEqual(only(errors(load({ risk_score: "47" }))), ['risk_score must be a number (found "47")']);
});

test("severity is one of Kibana's four, and should agree with the risk score's band", () => {
  assert.deepEqual(only(errors(load({ severity: "severe" }))), [
    'severity must be one of "low", "medium", "high", "critical" (found "severe")',
  ]);
  assert.deepEqual(only(warnings(load({ severity: "critical", risk_score: 21 }))), [
    'risk_score 21 is outside the 74-100 range of severity "critical"',
  ]);
});

test("severity and risk-score mappings are checked in shape and for conflicts", () => {
  assert.deepEqual(
    only(
      errors(
        load({ severity_mapping: [{ field: "x", operator: "equals", value: "1", severity: "extreme" }] }),
      ),
    ),
    ['severity_mapping[0].severity must be one of "low", "medium", "high", "critical" (found "extreme")'],
  );
  const conflicting = load({
    severity_mapping: [
      { field: "event.severity", operator: "equals", value: "3", severity: "low" },
      { field: "event.severity", operator: "equals", value: "3", severity: "high" },
    ],
  });
  assert.deepEqual(only(warnings(conflicting)), [
    'severity_mapping maps event.severity = "3" to both "low" and "high"',
  ]);
  assert.deepEqual(only(errors(load({ risk_score_mapping: [{ field: "", value: "" }] }))), [
    "risk_score_mapping[0].field must not be empty",
  ]);
  assert.deepEqual(
    only(
      warnings(
        load({
          risk_score_mapping: [
            { field: "a", value: "" },
            { field: "b", value: "" },
          ],
        }),
      ),
    ),
    ["risk_score_mapping has 2 entries; Kibana uses only the first"],
  );
});

test("a rule_id that is not a GUID is a warning, not a failure", () => {
  const r = load({ rule_id: "119c8877-8613-416d-a98a-96b6664ee73a5" });
  assert.equal(r.rules.length, 1);
  assert.deepEqual(only(warnings(r)), ['rule_id "119c8877-8613-416d-a98a-96b6664ee73a5" is not a GUID']);
  // not RFC 9562, still a GUID: detection-rules has such ids
  assert.deepEqual(load({ rule_id: "98fd7407-0bd5-5817-cda0-3fcc33113a56" }).diagnostics, []);
  assert.deepEqual(only(errors(load({ rule_id: undefined }))), ["rule_id is required"]);
});

test("metadata dates are YYYY/MM/DD calendar dates, updated after created", () => {
  const withDates = (creation: string, updated: string, extra = "") =>
    loadToml(
      ruleToml({
        metadata: `[metadata]\ncreation_date = "${creation}"\nupdated_date = "${updated}"\n${extra}`,
      }),
    );
  assert.deepEqual(only(errors(withDates("2024-01-10", "2024/01/11"))), [
    "metadata.creation_date must be a date written YYYY/MM/DD",
  ]);
  assert.deepEqual(only(errors(withDates("2023/02/29", "2024/01/11"))), [
    'creation_date "2023/02/29" is not a calendar date',
  ]);
  assert.deepEqual(only(errors(withDates("2024/02/29", "2024/03/01"))), []);
  assert.deepEqual(only(warnings(withDates("2024/02/01", "2024/01/11"))), [
    "updated_date 2024/01/11 is before creation_date 2024/02/01",
  ]);
  assert.deepEqual(only(warnings(withDates("2024/01/01", "2024/01/11", 'maturity = "deprecated"'))), [
    "a deprecated rule should have a deprecation_date",
  ]);
});

test("from, to and interval are date math and durations; a window shorter than the interval leaves gaps", () => {
  assert.deepEqual(only(errors(load({ from: "6 minutes ago" }))), ["from must be date math such as now-6m"]);
  assert.deepEqual(only(errors(load({ interval: "5 minutes" }))), [
    "interval must be a duration such as 5m (s, m, h or d)",
  ]);
  assert.deepEqual(only(errors(load({ from: "now", to: "now-5m" }))), [
    "from (now) must be earlier than to (now-5m)",
  ]);
  assert.deepEqual(only(warnings(load({ from: "now-2m", interval: "5m" }))), [
    "the window from now-2m to now (2m) is shorter than the interval 5m: events between runs are never searched",
  ]);
  assert.deepEqual(only(errors(load({ max_signals: 0 }))), ["max_signals must be at least 1 (found 0)"]);
  assert.deepEqual(only(warnings(load({ max_signals: 5000 }))), [
    "max_signals 5000 is above Kibana's default limit of 1000 alerts per run: a run writes 1000 at most (scan --max-alerts-per-run raises it as Kibana's xpack.alerting.rules.run.alerts.max does)",
  ]);
});

const tactic = (id: string, name = "Execution", reference = `https://attack.mitre.org/tactics/${id}/`) => ({
  id,
  name,
  reference,
});
const technique = (id: string, name = "Technique", extra: Record<string, unknown> = {}) => ({
  id,
  name,
  reference: `https://attack.mitre.org/techniques/${id.replace(".", "/")}/`,
  ...extra,
});

test("threat entries follow their framework's id and reference forms", () => {
  const threat = (entry: Record<string, unknown>) =>
    load({ threat: [{ framework: "MITRE ATT&CK", tactic: tactic("TA0002"), ...entry }] });
  assert.deepEqual(
    threat({ technique: [technique("T1059", "x", { subtechnique: [technique("T1059.004")] })] }).diagnostics,
    [],
  );
  // a missing trailing slash is tolerated, as detection-rules adds it
  assert.deepEqual(
    threat({ tactic: tactic("TA0002", "Execution", "https://attack.mitre.org/tactics/TA0002") }).diagnostics,
    [],
  );
  assert.deepEqual(only(errors(threat({ tactic: tactic("T0002") }))), [
    'tactic id "T0002" is not a MITRE ATT&CK tactic id (^TA\\d{4}$)',
  ]);
  assert.deepEqual(only(errors(threat({ technique: [technique("T105")] }))), [
    'technique id "T105" is not a MITRE ATT&CK technique id (^T\\d{4}$)',
  ]);
  assert.deepEqual(
    only(
      errors(
        threat({
          technique: [{ ...technique("T1059"), reference: "https://attack.mitre.org/techniques/T1609/" }],
        }),
      ),
    ),
    [
      "technique reference https://attack.mitre.org/techniques/T1609/ does not match technique T1059 (expected https://attack.mitre.org/techniques/T1059/)",
    ],
  );
  assert.deepEqual(
    only(
      errors(threat({ technique: [technique("T1059", "x", { subtechnique: [technique("T1609.001")] })] })),
    ),
    ["sub-technique T1609.001 is not a sub-technique of T1059"],
  );
  assert.deepEqual(
    only(errors(threat({ technique: [technique("T1059", "x", { subtechnique: [technique("T1059.4")] })] }))),
    ['sub-technique id "T1059.4" is not a MITRE ATT&CK sub-technique id (^T\\d{4}\\.\\d{3}$)'],
  );
  assert.deepEqual(only(errors(threat({ tactic: { id: "TA0002", name: "", reference: "x" } }))), [
    "threat[0].tactic.name must not be empty",
  ]);
  assert.deepEqual(only(warnings(threat({ framework: "CAPEC" }))), [
    'unknown framework "CAPEC"; ids and references are not checked (expected "MITRE ATT&CK" or "MITRE ATLAS")',
  ]);
  const atlas = load({
    threat: [
      {
        framework: "MITRE ATLAS",
        tactic: { id: "AML.TA0000", name: "Recon", reference: "https://atlas.mitre.org/tactics/AML.TA0000/" },
      },
    ],
  });
  assert.deepEqual(atlas.diagnostics, []);
  const twice = load({
    threat: [
      { framework: "MITRE ATT&CK", tactic: tactic("TA0002") },
      { framework: "MITRE ATT&CK", tactic: tactic("TA0002") },
    ],
  });
  assert.deepEqual(only(warnings(twice)), ["tactic TA0002 is already mapped by threat[0]"]);
});

test("ATT&CK tactics are the enterprise ones, under their names", () => {
  const withTactic = (id: string, name: string) =>
    warnings(load({ threat: [{ framework: "MITRE ATT&CK", tactic: tactic(id, name) }] }));
  assert.deepEqual(only(withTactic("TA0011", "Command and Control")), []);
  assert.deepEqual(only(withTactic("TA9999", "Made Up")), [
    "TA9999 is not an enterprise MITRE ATT&CK tactic (TA0001, TA0002, TA0003, TA0004, TA0005, TA0006, TA0007, TA0008, TA0009, TA0010, TA0011, TA0040, TA0042, TA0043); coverage cannot place it",
  ]);
  assert.deepEqual(only(withTactic("TA0003", "Execution")), [
    'TA0003 is "Persistence" in MITRE ATT&CK, not "Execution"',
  ]);
});

test("timestamp_override and its fallback", () => {
  assert.deepEqual(load({ timestamp_override: "event.ingested" }).diagnostics, []);
  assert.deepEqual(only(warnings(load({ timestamp_override_fallback_disabled: true }))), [
    "timestamp_override_fallback_disabled has no effect without timestamp_override",
  ]);
  assert.deepEqual(only(errors(load({ timestamp_override: "" }))), ["timestamp_override must not be empty"]);
  assert.deepEqual(
    only(errors(load({ timestamp_override: "event.ingested", timestamp_override_fallback_disabled: "yes" }))),
    ['timestamp_override_fallback_disabled must be a boolean (found "yes")'],
  );
  assert.deepEqual(only(warnings(load({ timestamp_override: "event.ingest" })), "unknown-field"), [
    "timestamp_override: unknown field [event.ingest], not in ECS 9.4.0, did you mean [event.ingested]?",
  ]);
});

test("building blocks are `default` and run hourly over two hours unless metadata bypasses it", () => {
  const custom = load({ building_block_type: "custom", from: "now-119m", interval: "60m" });
  assert.deepEqual(only(errors(custom)), []);
  assert.deepEqual(only(warnings(custom)), [
    'building_block_type is "default" in Kibana\'s rules (found "custom"); its alerts are building blocks all the same',
  ]);
  assert.equal(custom.rules[0].rule.building_block_type, "custom");
  assert.deepEqual(only(warnings(load({ building_block_type: "default", from: "now-9m" }))), [
    "a building-block rule should look back at least now-119m (from is now-9m)",
    "a building-block rule should run at most hourly (interval is 5m)",
  ]);
  assert.deepEqual(
    load({ building_block_type: "default", from: "now-119m", interval: "60m" }).diagnostics,
    [],
  );
  const bypass = loadToml(
    ruleToml({
      metadata:
        '[metadata]\ncreation_date = "2024/01/01"\nupdated_date = "2024/01/01"\nbypass_bbr_timing = true\n',
      rule: { building_block_type: '"default"' },
    }),
  );
  assert.deepEqual(bypass.diagnostics, []);
});

test("alert suppression: 1 to 3 distinct fields, a window in s/m/h, and a known strategy", () => {
  const suppress = (alert_suppression: unknown, extra: Record<string, unknown> = {}) =>
    load({ alert_suppression, ...extra });
  assert.deepEqual(
    suppress({ group_by: ["host.name"], missing_fields_strategy: "suppress" }).diagnostics,
    [],
  );
  assert.equal(
    (
      suppress({ group_by: ["host.name"] }).rules[0].rule as {
        alert_suppression: { missing_fields_strategy: string };
      }
    ).alert_suppression.missing_fields_strategy,
    "suppress",
  );
  assert.deepEqual(only(errors(suppress({ group_by: [] }))), [
    "alert_suppression.group_by must have at least 1 item (found 0)",
  ]);
  assert.deepEqual(only(errors(suppress({ group_by: ["a", "b", "c", "d"] }))), [
    "alert_suppression.group_by must have at most 3 items (found 4)",
  ]);
  assert.deepEqual(only(errors(suppress({ group_by: ["host.name", "host.name"] }))), [
    "alert_suppression.group_by lists host.name twice",
  ]);
  assert.deepEqual(only(errors(suppress({ group_by: ["a"], duration: { value: 5, unit: "d" } }))), [
    'alert_suppression.duration.unit must be one of "s", "m", "h" (found "d")',
  ]);
  assert.deepEqual(only(errors(suppress({ group_by: ["a"], missing_fields_strategy: "drop" }))), [
    'alert_suppression.missing_fields_strategy must be one of "suppress", "doNotSuppress" (found "drop")',
  ]);
  assert.deepEqual(only(warnings(suppress({ group_by: ["host.name"], duration: { value: 1, unit: "m" } }))), [
    "alert_suppression.duration 1m is shorter than the interval 5m: suppression ends before the next run",
  ]);
  assert.deepEqual(
    only(
      warnings(
        suppress(
          { group_by: ["host.name"] },
          { query: "sequence [process where true] [network where true]" },
        ),
      ),
    ),
    ["alert suppression on sequence queries needs Kibana 8.16 or later; detection-rules refuses it"],
  );
});

test("exceptions_list references name a list id, a list type and a namespace", () => {
  const ref = { id: "endpoint_list", list_id: "endpoint_list", type: "endpoint", namespace_type: "agnostic" };
  assert.deepEqual(only(warnings(load({ exceptions_list: [ref] }))), [
    "exception list endpoint_list is not loaded; its exceptions will not be applied",
  ]);
  assert.deepEqual(only(errors(load({ exceptions_list: [{ ...ref, type: "allow" }] }))).length, 1);
  assert.deepEqual(only(errors(load({ exceptions_list: [{ ...ref, namespace_type: "single" }] }))), [
    'the endpoint exception list endpoint_list is space-agnostic: namespace_type must be "agnostic"',
  ]);
  assert.deepEqual(
    only(errors(load({ exceptions_list: [{ id: "x", type: "detection", namespace_type: "single" }] }))),
    ["exceptions_list[0].list_id is required"],
  );
});

test("required_fields and related_integrations are checked against ECS and version ranges", () => {
  const r = load({
    required_fields: [
      { name: "process.name", type: "keyword", ecs: true },
      { name: "process.pid", type: "keyword", ecs: true },
      { name: "process.name", type: "keyword", ecs: true },
      { name: "custom.field", type: "keyword", ecs: true },
    ],
    related_integrations: [
      { package: "cloud_defend", version: "^1.0.5" },
      { package: "endpoint", version: "latest" },
    ],
  });
  assert.deepEqual(only(errors(r)), []);
  assert.deepEqual(only(warnings(r)), [
    "required_fields gives process.pid type keyword, but ECS 9.4.0 types it long",
    "required_fields lists process.name twice",
    "required_fields marks custom.field as ECS, but ECS 9.4.0 has no such field",
    'related_integrations version "latest" of endpoint is not a version range such as ^1.2.0',
  ]);
  assert.deepEqual(r.rules[0].integrations, ["cloud_defend", "endpoint"]);
  assert.deepEqual(only(errors(load({ required_fields: [{ name: "x" }] }))), [
    "required_fields[0].type is required",
  ]);
});

test("index and data views: exclusive, and never on esql rules", () => {
  assert.deepEqual(only(errors(load({ data_view_id: "logs" }))), [
    "index and data_view_id are mutually exclusive",
  ]);
  assert.deepEqual(only(warnings(load({ index: undefined }))), [
    "no index or data_view_id: Kibana would search its default security indices",
  ]);
  assert.deepEqual(only(warnings(load({ index: undefined, data_view_id: "security-solution-default" }))), [
    'data_view_id "security-solution-default" names a Kibana data view eqlite cannot read: the rule sees events of every index; give it index patterns (index = [...]) to narrow it as the data view does',
  ]);
  assert.deepEqual(only(errors(load({ type: "esql", language: "esql", query: "FROM logs-* | LIMIT 1" }))), [
    "an esql rule names its indices in FROM; index is not allowed",
  ]);
});

test("each rule type has its own required fields", () => {
  const ml = load({
    type: "machine_learning",
    language: undefined,
    query: undefined,
    index: undefined,
    anomaly_threshold: 75,
    machine_learning_job_id: ["rare_process"],
  });
  assert.deepEqual(ml.diagnostics, []);
  assert.deepEqual(
    only(errors(load({ type: "machine_learning", query: undefined, index: undefined, language: undefined }))),
    ["anomaly_threshold is required", "machine_learning_job_id is required"],
  );
  assert.deepEqual(
    only(
      errors(
        load({
          type: "threshold",
          language: "kuery",
          query: "*",
          threshold: { field: ["a", "b", "c", "d", "e", "f"], value: 0 },
        }),
      ),
    ),
    ["threshold.field must have at most 5 items (found 6)", "threshold.value must be at least 1 (found 0)"],
  );
  const threshold = load({
    type: "threshold",
    language: "kuery",
    query: "*",
    threshold: { field: "host.name", value: 10 },
  });
  assert.deepEqual(threshold.diagnostics, []);
  assert.deepEqual((threshold.rules[0].rule as { threshold: { field: string[] } }).threshold.field, [
    "host.name",
  ]);
  assert.deepEqual(only(errors(load({ type: "eql", language: "kuery" }))), [
    'language must be "eql" for an eql rule',
  ]);
  assert.deepEqual(only(errors(load({ type: "eql", query: "" }))), ["query must not be empty"]);
  assert.deepEqual(only(errors(load({ type: "saved_search" }))), [
    'type must be one of "eql", "query", "saved_query", "threshold", "threat_match", "new_terms", "esql", "machine_learning" (found "saved_search")',
  ]);
  assert.deepEqual(
    only(errors(load({ type: "shell", risk_score: 500 }))).length,
    2,
    "a wrong type does not hide the other problems",
  );
});

test("indicator match mappings: a group needs a positive entry and cannot contradict itself", () => {
  const tm = (threat_mapping: unknown) =>
    load({
      type: "threat_match",
      language: "kuery",
      query: "*",
      threat_index: ["logs-ti_*"],
      threat_mapping,
    });
  assert.deepEqual(
    tm([{ entries: [{ field: "source.ip", type: "mapping", value: "threat.indicator.ip" }] }]).diagnostics,
    [],
  );
  assert.deepEqual(
    only(errors(tm([{ entries: [{ field: "a", type: "mapping", value: "b", negate: true }] }]))),
    ["threat_mapping[0] has only negated entries; a group needs one entry that matches"],
  );
  assert.deepEqual(
    only(
      errors(
        tm([
          {
            entries: [
              { field: "a", type: "mapping", value: "b" },
              { field: "a", type: "mapping", value: "b", negate: true },
            ],
          },
        ]),
      ),
    ),
    ["threat_mapping[0] both matches and negates a = b"],
  );
  assert.deepEqual(only(errors(tm([]))), ["threat_mapping must have at least 1 item (found 0)"]);
});
