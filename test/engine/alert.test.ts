import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { buildEventAlert } from "../../src/engine/alert.ts";
import { eventAlertId } from "../../src/engine/alert-id.ts";
import { ruleUuid } from "../../src/engine/alert-rule.ts";
import { descendsFromRule } from "../../src/engine/ancestors.ts";
import { sourceIdentity } from "../../src/engine/source-identity.ts";
import { execEvent, LATER, NOW, shellInPodRule } from "./fixtures.ts";

const alertFor = (event = execEvent(), rule = shellInPodRule(), now = NOW) =>
  buildEventAlert(rule, event, sourceIdentity(event), { now });

test("the alert document, field by field", () => {
  const event = execEvent();
  const rule = shellInPodRule();
  const source = sourceIdentity(event);
  const uuid = eventAlertId(source, ruleUuid(rule));
  const alert = alertFor(event, rule);
  const { event: _kind, ...sourceFields } = execEvent();
  const { kind: _original, ...eventWithoutKind } = execEvent().event as Record<string, unknown>;

  assert.deepEqual(alert, {
    ...sourceFields,
    "@timestamp": "2026-03-02T09:45:00.000Z",
    event: eventWithoutKind,
    "event.kind": "signal",
    "kibana.alert.original_event.kind": "event",
    "kibana.alert.original_event.category": ["process"],
    "kibana.alert.original_event.type": ["start"],
    "kibana.alert.original_event.action": "exec",
    "kibana.alert.original_event.module": "cloud_defend",
    "kibana.alert.original_event.dataset": "cloud_defend.process",
    "kibana.alert.original_event.created": "2026-03-02T09:41:07.250Z",
    "kibana.alert.original_event.ingested": "2026-03-02T09:41:09Z",
    "kibana.alert.original_event.id": "7f3a9c",
    "kibana.alert.original_data_stream.dataset": "cloud_defend.process",
    "kibana.alert.original_data_stream.namespace": "staging",
    "kibana.alert.original_data_stream.type": "logs",
    "kibana.space_ids": ["default"],
    "kibana.alert.original_time": "2026-03-02T09:41:07.250Z",
    "kibana.alert.rule.consumer": "siem",
    "kibana.alert.ancestors": [
      { id: source.id, type: "event", index: "logs-cloud_defend.process-staging", depth: 0 },
    ],
    "kibana.alert.status": "active",
    "kibana.alert.workflow_status": "open",
    "kibana.alert.depth": 1,
    "kibana.alert.reason":
      "process event with process sh, parent process runc, on node-a.cluster.test created medium alert Shell Spawned In Pod By Runtime.",
    "kibana.alert.severity": "medium",
    "kibana.alert.risk_score": 47,
    "kibana.alert.rule.parameters": {
      rule_id: rule.rule_id,
      description: rule.description,
      severity: "medium",
      risk_score: 47,
      type: "eql",
      language: "eql",
      index: ["logs-cloud_defend*"],
      query: rule.query,
      author: ["eqlite tests"],
      license: "Apache-2.0",
      references: ["https://example.test/shell-in-pod"],
      false_positives: ["Debugging sessions."],
      from: "now-9m",
      timestamp_override: "event.ingested",
      threat: rule.threat,
      to: "now",
      max_signals: 100,
      version: 1,
      exceptions_list: [],
      risk_score_mapping: [],
      severity_mapping: [],
      related_integrations: [],
      required_fields: [],
      immutable: false,
      setup: "",
      rule_source: { type: "internal" },
    },
    "kibana.alert.rule.actions": [],
    "kibana.alert.rule.author": ["eqlite tests"],
    "kibana.alert.rule.description": rule.description,
    "kibana.alert.rule.enabled": true,
    "kibana.alert.rule.exceptions_list": [],
    "kibana.alert.rule.false_positives": ["Debugging sessions."],
    "kibana.alert.rule.from": "now-9m",
    "kibana.alert.rule.immutable": false,
    "kibana.alert.rule.interval": "5m",
    "kibana.alert.rule.indices": ["logs-cloud_defend*"],
    "kibana.alert.rule.license": "Apache-2.0",
    "kibana.alert.rule.max_signals": 100,
    "kibana.alert.rule.name": "Shell Spawned In Pod By Runtime",
    "kibana.alert.rule.references": ["https://example.test/shell-in-pod"],
    "kibana.alert.rule.risk_score_mapping": [],
    "kibana.alert.rule.rule_id": rule.rule_id,
    "kibana.alert.rule.severity_mapping": [],
    "kibana.alert.rule.tags": ["Domain: Container", "Tactic: Execution"],
    "kibana.alert.rule.threat": rule.threat,
    "kibana.alert.rule.timestamp_override": "event.ingested",
    "kibana.alert.rule.to": "now",
    "kibana.alert.rule.type": "eql",
    "kibana.alert.rule.uuid": ruleUuid(rule),
    "kibana.alert.rule.version": 1,
    "kibana.alert.uuid": uuid,
    "kibana.alert.workflow_tags": [],
    "kibana.alert.workflow_assignee_ids": [],
    "kibana.alert.rule.risk_score": 47,
    "kibana.alert.rule.severity": "medium",
    "kibana.alert.intended_timestamp": "2026-03-02T09:45:00.000Z",
    "kibana.alert.rule.execution.type": "scheduled",
    "kibana.alert.rule.execution.timestamp": "2026-03-02T09:45:00.000Z",
    "kibana.alert.start": "2026-03-02T09:45:00.000Z",
    "kibana.alert.last_detected": "2026-03-02T09:45:00.000Z",
    "kibana.alert.rule.category": "Event Correlation Rule",
    "kibana.alert.rule.producer": "siem",
    "kibana.alert.rule.rule_type_id": "siem.eqlRule",
    "kibana.alert.rule.revision": 0,
  });
});

test("the source event and the rule are not modified, nor shared with the alert", () => {
  const event = execEvent();
  const rule = shellInPodRule();
  const eventJson = JSON.stringify(event);
  const ruleJson = JSON.stringify(rule);
  const alert = buildEventAlert(rule, event, sourceIdentity(event), { now: NOW });
  assert.equal(JSON.stringify(event), eventJson);
  assert.equal(JSON.stringify(rule), ruleJson);
  assert.notEqual(alert.process, event.process);
  assert.notEqual(alert["kibana.alert.rule.threat"], rule.threat);
});

test("deterministic: same rule and event give the same document but for the execution times", () => {
  const first = alertFor(execEvent(), shellInPodRule(), NOW);
  const again = alertFor(execEvent(), shellInPodRule(), NOW);
  assert.equal(JSON.stringify(again), JSON.stringify(first));
  const later = alertFor(execEvent(), shellInPodRule(), LATER);
  const timeKeys = [
    "@timestamp",
    "kibana.alert.start",
    "kibana.alert.last_detected",
    "kibana.alert.intended_timestamp",
    "kibana.alert.rule.execution.timestamp",
  ];
  const differing = Object.keys(first).filter((k) => JSON.stringify(first[k]) !== JSON.stringify(later[k]));
  assert.deepEqual(differing.sort(), timeKeys.sort());
  assert.equal(later["kibana.alert.uuid"], first["kibana.alert.uuid"]);
});

test("the alert id changes with the event and with the rule", () => {
  const id = alertFor()["kibana.alert.uuid"];
  assert.notEqual(alertFor(execEvent({ "@timestamp": "2026-03-02T09:41:08.000Z" }))["kibana.alert.uuid"], id);
  assert.notEqual(
    alertFor(execEvent(), shellInPodRule({ rule_id: "another-rule" }))["kibana.alert.uuid"],
    id,
  );
  // editing a rule (name, query, version) keeps its identity: the same match is the same alert
  assert.equal(
    alertFor(execEvent(), shellInPodRule({ version: 2, name: "New name" }))["kibana.alert.uuid"],
    id,
  );
  const spaced = buildEventAlert(shellInPodRule(), execEvent(), sourceIdentity(execEvent()), {
    now: NOW,
    spaceId: "ops",
  });
  assert.notEqual(spaced["kibana.alert.uuid"], id);
  assert.deepEqual(spaced["kibana.space_ids"], ["ops"]);
});

test("original_event: nested and dotted event fields alike, event.kind replaced in both forms", () => {
  const event = {
    "@timestamp": 1772444467250,
    event: { kind: "alert", action: "exec", vendor: { detail: "ok" } },
    "event.kind": "alert",
    "event.category": ["process"],
    "event.risk": { score: 5 },
  };
  const alert = alertFor(event);
  assert.equal(alert["event.kind"], "signal");
  assert.deepEqual(alert.event, { action: "exec", vendor: { detail: "ok" } });
  assert.equal(Object.hasOwn(alert, "event.category"), true, "other dotted event keys stay as they are");
  assert.equal(alert["kibana.alert.original_event.kind"], "alert");
  assert.equal(alert["kibana.alert.original_event.action"], "exec");
  assert.equal(alert["kibana.alert.original_event.vendor.detail"], "ok");
  assert.deepEqual(alert["kibana.alert.original_event.category"], ["process"]);
  assert.equal(alert["kibana.alert.original_event.risk.score"], 5);
  // epoch milliseconds are a date too
  assert.equal(alert["kibana.alert.original_time"], "2026-03-02T09:41:07.250Z");
});

test("original_event: a field written both dotted and nested keeps both values, nested first, in either key order", () => {
  const lines = [
    '{"@timestamp":"2026-03-02T09:41:07Z","event.action":"exec","event":{"action":"fork","kind":"event"},"event.kind":"event","data_stream":{"dataset":"a"},"data_stream.dataset":"b"}',
    '{"@timestamp":"2026-03-02T09:41:07Z","data_stream.dataset":"b","data_stream":{"dataset":"a"},"event.kind":"event","event":{"kind":"event","action":"fork"},"event.action":"exec"}',
  ];
  for (const line of lines) {
    const alert = alertFor(JSON.parse(line));
    assert.deepEqual(alert["kibana.alert.original_event.action"], ["fork", "exec"], line);
    assert.equal(alert["kibana.alert.original_event.kind"], "event", "equal twins stay one value");
    assert.deepEqual(alert["kibana.alert.original_data_stream.dataset"], ["a", "b"], line);
    assert.equal(alert["event.action"], "exec", "the source's own keys are copied as they are");
    assert.deepEqual(alert.event, { action: "fork" });
  }
  const arrays = alertFor(
    JSON.parse(
      '{"event":{"category":["process"],"type":null},"event.category":"network","event.type":["start"]}',
    ),
  );
  assert.deepEqual(arrays["kibana.alert.original_event.category"], ["process", "network"]);
  assert.deepEqual(arrays["kibana.alert.original_event.type"], ["start"], "a null twin is no value");
});

test("an event without event fields has no original_event and still becomes a signal", () => {
  const alert = alertFor({ "@timestamp": "2026-03-02T09:41:07Z", message: "x" });
  assert.equal(alert["event.kind"], "signal");
  assert.equal(Object.hasOwn(alert, "event"), false);
  assert.equal(
    Object.keys(alert).some((k) => k.startsWith("kibana.alert.original_event.")),
    false,
  );
  assert.equal(alert["kibana.alert.original_time"], "2026-03-02T09:41:07.000Z");
});

test("an alert read back with its kibana.alert fields written both dotted and nested is still the rule's own", () => {
  const rule = shellInPodRule();
  const first = alertFor();
  const alert = {
    uuid: first["kibana.alert.uuid"],
    depth: first["kibana.alert.depth"],
    ancestors: first["kibana.alert.ancestors"],
    rule: { uuid: first["kibana.alert.rule.uuid"] },
  };
  const twins = JSON.parse(JSON.stringify({ ...first, kibana: { alert } }));
  assert.equal(descendsFromRule(twins, ruleUuid(rule)), true);
  const identity = sourceIdentity(twins);
  assert.equal(identity.id, first["kibana.alert.uuid"], "an alert's id is its uuid");
  const second = alertFor(twins, shellInPodRule({ rule_id: "c4a9e1d2-0000-4000-8000-00000000abcd" }));
  assert.deepEqual(second["kibana.alert.ancestors"], [
    ...(first["kibana.alert.ancestors"] as unknown[]),
    { id: identity.id, type: "signal", index: identity.index, depth: 1, rule: ruleUuid(rule) },
  ]);
});

test("original_time is left out when @timestamp is not a date", () => {
  assert.equal(Object.hasOwn(alertFor({ "@timestamp": "yesterday" }), "kibana.alert.original_time"), false);
  assert.equal(Object.hasOwn(alertFor({}), "kibana.alert.original_time"), false);
});

test("Elasticsearch metadata kept next to an event is identity, not alert fields", () => {
  const event = { ...execEvent(), _id: "doc-7", _index: "logs-x", _version: 2 };
  const alert = alertFor(event);
  assert.equal(
    Object.hasOwn(alert, "_id") || Object.hasOwn(alert, "_index") || Object.hasOwn(alert, "_version"),
    false,
  );
  assert.deepEqual(alert["kibana.alert.ancestors"], [
    { id: "doc-7", type: "event", index: "logs-x", depth: 0 },
  ]);
});

test("severity, risk score and name overrides apply to single-event alerts, reason included", () => {
  const rule = shellInPodRule({
    rule_name_override: "orchestrator.resource.name",
    severity_mapping: [{ field: "orchestrator.namespace", value: "payments", severity: "critical" }],
    risk_score_mapping: [{ field: "process.pid", value: "" }],
  });
  const alert = alertFor(execEvent({ process: { pid: 91, name: "sh" } }), rule);
  assert.equal(alert["kibana.alert.severity"], "critical");
  assert.equal(alert["kibana.alert.risk_score"], 91);
  assert.equal(alert["kibana.alert.rule.name"], "api-6c9f-xk2p");
  assert.equal(
    alert["kibana.alert.reason"],
    "process event with process sh, on node-a.cluster.test created critical alert api-6c9f-xk2p.",
  );
  // the legacy rule fields keep the rule's own values
  assert.equal(alert["kibana.alert.rule.severity"], "medium");
  assert.equal(alert["kibana.alert.rule.risk_score"], 47);
  assert.equal(alert["kibana.alert.rule.rule_name_override"], "orchestrator.resource.name");
  assert.deepEqual(alert["kibana.alert.rule.severity_mapping"], rule.severity_mapping);
});

test("a single-event alert carries severity_mapping sorted from low to high, as Kibana's choice leaves it", () => {
  const mapping = [
    {
      field: "orchestrator.namespace",
      operator: "equals" as const,
      value: "payments",
      severity: "critical" as const,
    },
    { field: "process.name", operator: "equals" as const, value: "sh", severity: "low" as const },
    { field: "user.name", operator: "equals" as const, value: "root", severity: "high" as const },
    { field: "process.name", operator: "equals" as const, value: "bash", severity: "low" as const },
  ];
  const rule = shellInPodRule({ severity_mapping: mapping });
  const sorted = [mapping[1], mapping[3], mapping[2], mapping[0]];
  const alert = alertFor(execEvent(), rule);
  assert.deepEqual(alert["kibana.alert.rule.severity_mapping"], sorted);
  assert.deepEqual(
    (alert["kibana.alert.rule.parameters"] as Record<string, unknown>).severity_mapping,
    sorted,
  );
  assert.deepEqual(rule.severity_mapping, mapping, "the rule itself is not reordered");
});

test("optional rule settings appear when set: building block, meta, note, Kibana saved-object fields", () => {
  const rule = shellInPodRule({
    id: "5f2c8d10-6a7b-11f1-9c3e-0242ac120002",
    building_block_type: "default",
    note: "## Triage",
    meta: { from: "1m", nested: { k: "v" } },
    revision: 3,
    created_at: "2026-01-01T00:00:00.000Z",
    enabled: false,
    tags: ["t"],
  });
  const alert = alertFor(execEvent(), rule);
  assert.equal(alert["kibana.alert.building_block_type"], "default");
  assert.equal(alert["kibana.alert.rule.building_block_type"], "default");
  assert.equal(alert["kibana.alert.rule.note"], "## Triage");
  assert.equal(alert["kibana.alert.rule.meta.from"], "1m");
  assert.equal(alert["kibana.alert.rule.meta.nested.k"], "v");
  assert.equal(alert["kibana.alert.rule.revision"], 3);
  assert.equal(alert["kibana.alert.rule.created_at"], "2026-01-01T00:00:00.000Z");
  assert.equal(alert["kibana.alert.rule.enabled"], false);
  assert.equal(alert["kibana.alert.rule.uuid"], "5f2c8d10-6a7b-11f1-9c3e-0242ac120002");
  const params = alert["kibana.alert.rule.parameters"] as Record<string, unknown>;
  for (const key of ["id", "name", "tags", "interval", "enabled", "revision", "created_at"]) {
    assert.equal(Object.hasOwn(params, key), false, `${key} is not a parameter`);
  }
  assert.equal(params.building_block_type, "default");
  assert.equal(params.note, "## Triage");
});

test("parameters hold the keys of Kibana's rule schema, with the values Kibana gives a rule that lacks them", () => {
  const exported = shellInPodRule({
    output_index: ".siem-signals-default",
    execution_summary: { last_execution: { status: "succeeded" } },
    threat_mappings: [{ x: 1 }],
    query_notes: "a key no schema knows",
    timestamp_field: "event.created",
    tiebreaker_field: "event.sequence",
    event_category_override: "event.type",
    alert_suppression: { group_by: ["host.name"], missing_fields_strategy: "suppress" },
    investigation_fields: { field_names: ["user.name"] },
    setup: "Enable session view.",
  });
  const params = alertFor(execEvent(), exported)["kibana.alert.rule.parameters"] as Record<string, unknown>;
  for (const key of ["output_index", "execution_summary", "threat_mappings", "query_notes"]) {
    assert.equal(Object.hasOwn(params, key), false, `${key} is not a parameter`);
  }
  assert.equal(params.timestamp_field, "event.created");
  assert.equal(params.tiebreaker_field, "event.sequence");
  assert.equal(params.event_category_override, "event.type");
  assert.deepEqual(params.alert_suppression, exported.alert_suppression);
  assert.deepEqual(params.investigation_fields, { field_names: ["user.name"] });
  assert.equal(params.setup, "Enable session view.");
  assert.deepEqual(params.rule_source, { type: "internal" });

  const prebuilt = alertFor(execEvent(), shellInPodRule({ immutable: true }));
  assert.deepEqual((prebuilt["kibana.alert.rule.parameters"] as Record<string, unknown>).rule_source, {
    type: "external",
    is_customized: false,
    customized_fields: [],
    has_base_version: true,
  });
  const own = { type: "external", is_customized: true, customized_fields: [{ field_name: "query" }] };
  const customized = alertFor(execEvent(), shellInPodRule({ immutable: true, rule_source: own }));
  assert.deepEqual((customized["kibana.alert.rule.parameters"] as Record<string, unknown>).rule_source, own);
});

test("options: indices, manual runs, execution uuid, suppression fields", () => {
  const intended = new Date("2026-03-01T00:00:00.000Z");
  const alert = buildEventAlert(shellInPodRule(), execEvent(), sourceIdentity(execEvent()), {
    now: NOW,
    indices: ["logs-cloud_defend.process-staging"],
    intendedTimestamp: intended,
    executionUuid: "run-1",
    suppression: {
      instanceId: "inst",
      terms: [{ field: "host.name", value: "node-a.cluster.test" }],
      start: new Date("2026-03-02T09:41:07.250Z"),
      end: "2026-03-02T09:44:00.000Z",
      docsCount: 4,
    },
  });
  assert.deepEqual(alert["kibana.alert.rule.indices"], ["logs-cloud_defend.process-staging"]);
  assert.equal(alert["kibana.alert.intended_timestamp"], "2026-03-01T00:00:00.000Z");
  assert.equal(alert["kibana.alert.rule.execution.type"], "manual");
  assert.equal(alert["kibana.alert.rule.execution.uuid"], "run-1");
  assert.equal(alert["kibana.alert.instance.id"], "inst");
  assert.deepEqual(alert["kibana.alert.suppression.terms"], [
    { field: "host.name", value: "node-a.cluster.test" },
  ]);
  assert.equal(alert["kibana.alert.suppression.start"], "2026-03-02T09:41:07.250Z");
  assert.equal(alert["kibana.alert.suppression.end"], "2026-03-02T09:44:00.000Z");
  assert.equal(alert["kibana.alert.suppression.docs_count"], 4);
});

test("an alert on an alert leaves out its parent's own kibana.* and signal fields, dotted or nested", () => {
  const suppression = { instanceId: "inst", terms: [], start: NOW, end: NOW, docsCount: 2 };
  const options = { now: NOW, suppression, kibanaUrl: "https://kibana.test" };
  const parentRule = shellInPodRule({ meta: { from: "1m" } });
  const parent = buildEventAlert(parentRule, execEvent(), sourceIdentity(execEvent()), options);
  const source = JSON.parse(
    JSON.stringify({ ...parent, kibana: { version: "8.19.0" }, signal: { rule: {} } }),
  );
  const child = alertFor(source, shellInPodRule({ rule_id: "c4a9e1d2-0000-4000-8000-00000000abcd" }));
  const stale = Object.keys(child).filter(
    (key) =>
      key === "kibana" ||
      key === "signal" ||
      /^kibana\.alert\.(url|instance|suppression|rule\.meta)/.test(key) ||
      key === "kibana.version",
  );
  assert.deepEqual(stale, []);
  assert.equal(child["kibana.alert.depth"], 2, "the ancestry still comes from the parent");
  assert.equal(descendsFromRule(source, ruleUuid(parentRule)), true);
  assert.deepEqual(child.process, parent.process);
});

test("an invalid now is refused", () => {
  assert.throws(() => alertFor(execEvent(), shellInPodRule(), new Date("nope")), TypeError);
});

test("hostile keys stay plain fields: no prototype is touched and JSON.stringify writes them", () => {
  const line =
    '{"@timestamp":"2026-03-02T09:41:07Z","__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}},' +
    '"event":{"__proto__":{"polluted":true},"kind":"event","action":"exec"},"event.__proto__":"x",' +
    '"process":{"name":"sh","__proto__":{"name":"evil"}},"data_stream":{"__proto__":{"type":"t"}}}';
  const event = JSON.parse(line);
  const alert = alertFor(event);
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
  assert.equal(Object.getPrototypeOf(alert), Object.prototype);
  assert.equal(Object.getPrototypeOf(alert.process), Object.prototype);
  assert.equal((alert.process as Record<string, unknown>).name, "sh");
  assert.equal((alert as Record<string, unknown>).polluted, undefined);
  const written = JSON.parse(JSON.stringify(alert));
  assert.deepEqual(Object.getOwnPropertyDescriptor(written, "__proto__")?.value, { polluted: true });
  assert.deepEqual(written.constructor, { prototype: { polluted: true } });
  assert.deepEqual(Object.getOwnPropertyDescriptor(written.event, "__proto__")?.value, { polluted: true });
  assert.equal(written["kibana.alert.original_event.__proto__.polluted"], true);
  assert.equal(written["kibana.alert.original_event.action"], "exec");
  assert.equal(written["kibana.alert.original_data_stream.__proto__.type"], "t");
  assert.equal(written["event.kind"], "signal");
  assert.equal(JSON.stringify(written), JSON.stringify(alert), "nothing is lost through JSON");
});

test("an absurdly deep event fails with a clear error instead of a stack overflow", () => {
  let deep: unknown = "leaf";
  for (let i = 0; i < 5000; i++) deep = { d: deep };
  assert.throws(() => alertFor({ "@timestamp": "2026-03-02T09:41:07Z", deep }), /deeper than 1000 levels/);
});

test("an alert read back as an event: signal ancestry, depth, and the rule's own alerts recognised", () => {
  const rule = shellInPodRule();
  const first = JSON.parse(JSON.stringify(alertFor()));
  assert.equal(descendsFromRule(first, ruleUuid(rule)), true);
  assert.equal(descendsFromRule(execEvent(), ruleUuid(rule)), false);
  const other = shellInPodRule({ rule_id: "c4a9e1d2-0000-4000-8000-00000000abcd", name: "Alerts On Alerts" });
  assert.equal(descendsFromRule(first, ruleUuid(other)), false);
  const second = alertFor(first, other);
  assert.equal(second["kibana.alert.depth"], 2);
  assert.deepEqual(second["kibana.alert.ancestors"], [
    ...(first["kibana.alert.ancestors"] as unknown[]),
    {
      id: first["kibana.alert.uuid"],
      type: "signal",
      index: ".alerts-security.alerts-default",
      depth: 1,
      rule: ruleUuid(rule),
    },
  ]);
  assert.equal(second["kibana.alert.original_event.kind"], "signal");
  assert.equal(descendsFromRule(second, ruleUuid(rule)), true);
});

test("a field spelled 16,384 ways, each with its own value, keeps every value in original_event and the shell, in time linear in them", () => {
  // in a process of its own, stopped at 60 s: the join re-read every value so far for each
  // spelling, and this took a minute (now about a second, most of it starting the process)
  const child = spawnSync(
    process.execPath,
    ["--import", "tsx", fileURLToPath(new URL("./every-spelling.ts", import.meta.url)), "14"],
    { encoding: "utf8", timeout: 60_000 },
  );
  assert.equal(child.status, 0, `${child.signal ?? ""} ${child.stderr}`);
  const { values, originalEvent, shell } = JSON.parse(child.stdout) as Record<string, string[]>;
  assert.equal(values.length, 16_384);
  // every value once (in the order the getter reads them, nested first)
  for (const kept of [originalEvent, shell]) {
    assert.equal(kept.length, values.length);
    assert.deepEqual(new Set(kept), new Set(values));
  }
});
