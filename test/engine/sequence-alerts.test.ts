import assert from "node:assert/strict";
import { test } from "node:test";
import { buildingBlockIds, shellAlertId } from "../../src/engine/alert-id.ts";
import { ruleUuid } from "../../src/engine/alert-rule.ts";
import { buildSequenceAlerts, type SequenceMember } from "../../src/engine/sequence-alerts.ts";
import { sourceIdentity } from "../../src/engine/source-identity.ts";
import type { Event } from "../../src/eql/field-access.ts";
import { execEvent, LATER, NOW, shellInPodRule } from "./fixtures.ts";

const rule = shellInPodRule({
  name: "Shell Then Outbound Connection In Pod",
  query: "sequence by container.id [process where true] [network where true]",
  severity_mapping: [{ field: "process.name", value: "sh", severity: "critical" }],
  rule_name_override: "process.name",
});

function connectEvent(): Event {
  return {
    "@timestamp": "2026-03-02T09:41:09.900Z",
    container: { id: "c0ffee00aa11bb22cc33dd44ee55ff66", image: { name: "alpine", tag: ["3.20", "latest"] } },
    data_stream: { dataset: "cloud_defend.network", namespace: "staging", type: "logs" },
    event: {
      kind: "event",
      category: ["network"],
      type: ["start", "connection"],
      action: "connect",
      module: "cloud_defend",
    },
    host: { name: "node-a.cluster.test", os: { type: "linux" } },
    orchestrator: { namespace: "payments", resource: { name: "api-6c9f-xk2p", type: "pod" } },
    process: { pid: 4242, name: "nc", executable: "/usr/bin/nc", parent: { pid: 4242, name: "sh" } },
    destination: { ip: "203.0.113.9", port: 4444 },
    "user.id": "0",
  };
}

const member = (event: Event): SequenceMember => ({ event, source: sourceIdentity(event) });
const sequence = () => [member(execEvent()), member(connectEvent())];

test("one building block per event with the group's id and its position", () => {
  const { buildingBlocks, shell } = buildSequenceAlerts(rule, sequence(), { now: NOW });
  const [exec, connect] = sequence();
  const expectedIds = buildingBlockIds(
    [
      [{ id: exec.source.id, type: "event", index: exec.source.index, depth: 0 }],
      [{ id: connect.source.id, type: "event", index: connect.source.index, depth: 0 }],
    ],
    ruleUuid(rule),
  );
  assert.equal(buildingBlocks.length, 2);
  buildingBlocks.forEach((block, i) => {
    assert.equal(block["kibana.alert.uuid"], expectedIds[i]);
    assert.equal(block["kibana.alert.building_block_type"], "default");
    assert.equal(block["kibana.alert.group.id"], shell["kibana.alert.uuid"]);
    assert.equal(block["kibana.alert.group.index"], i);
    assert.equal(block["kibana.alert.depth"], 1);
    assert.equal(block["event.kind"], "signal");
  });
  assert.equal(buildingBlocks[0]["kibana.alert.original_time"], "2026-03-02T09:41:07.250Z");
  assert.equal(buildingBlocks[1]["kibana.alert.original_time"], "2026-03-02T09:41:09.900Z");
  assert.equal(buildingBlocks[1]["kibana.alert.original_event.action"], "connect");
  assert.deepEqual(buildingBlocks[1]["kibana.alert.ancestors"], [
    { id: connect.source.id, type: "event", index: "logs-cloud_defend.network-staging", depth: 0 },
  ]);
});

test("sequence alerts keep the rule's severity, risk score and name (no per-event overrides)", () => {
  const { buildingBlocks, shell } = buildSequenceAlerts(rule, sequence(), { now: NOW });
  for (const alert of [...buildingBlocks, shell]) {
    assert.equal(alert["kibana.alert.severity"], "medium");
    assert.equal(alert["kibana.alert.risk_score"], 47);
    assert.equal(alert["kibana.alert.rule.name"], "Shell Then Outbound Connection In Pod");
  }
  assert.equal(
    buildingBlocks[0]["kibana.alert.reason"],
    "process event with process sh, parent process runc, on node-a.cluster.test created medium alert Shell Then Outbound Connection In Pod.",
  );
});

test("sequence alerts carry severity_mapping as written: Kibana chooses no severity for them", () => {
  const mapping = [
    { field: "process.name", value: "sh", severity: "critical" as const },
    { field: "process.name", value: "bash", severity: "low" as const },
  ];
  const { buildingBlocks, shell } = buildSequenceAlerts(
    shellInPodRule({ severity_mapping: mapping }),
    sequence(),
    { now: NOW },
  );
  for (const alert of [...buildingBlocks, shell]) {
    assert.deepEqual(alert["kibana.alert.rule.severity_mapping"], mapping);
  }
});

test("the shell: built on the blocks, its own id as group id, first event's time", () => {
  const { buildingBlocks, shell } = buildSequenceAlerts(rule, sequence(), { now: NOW });
  const [exec, connect] = sequence();
  const uuid = ruleUuid(rule);
  const ancestors = [
    { id: exec.source.id, type: "event", index: exec.source.index, depth: 0 },
    { id: buildingBlocks[0]["kibana.alert.uuid"], type: "signal", index: "", depth: 1, rule: uuid },
    { id: connect.source.id, type: "event", index: connect.source.index, depth: 0 },
    { id: buildingBlocks[1]["kibana.alert.uuid"], type: "signal", index: "", depth: 1, rule: uuid },
  ];
  assert.deepEqual(shell["kibana.alert.ancestors"], ancestors);
  assert.equal(shell["kibana.alert.depth"], 2);
  assert.equal(shell["kibana.alert.uuid"], shellAlertId(ancestors as never, uuid));
  assert.equal(shell["kibana.alert.group.id"], shell["kibana.alert.uuid"]);
  assert.equal(Object.hasOwn(shell, "kibana.alert.group.index"), false);
  assert.equal(Object.hasOwn(shell, "kibana.alert.building_block_type"), false);
  assert.equal(shell["kibana.alert.original_time"], "2026-03-02T09:41:07.250Z");
  assert.equal(shell["@timestamp"], "2026-03-02T09:45:00.000Z");
  assert.equal(shell["kibana.alert.rule.rule_type_id"], "siem.eqlRule");
  assert.equal(shell["kibana.alert.status"], "active");
});

test("the shell holds the fields all events share", () => {
  const { shell } = buildSequenceAlerts(rule, sequence(), { now: NOW });
  assert.deepEqual(shell.container, {
    id: "c0ffee00aa11bb22cc33dd44ee55ff66",
    image: { name: "alpine", tag: ["3.20"] },
  });
  assert.deepEqual(shell.host, { name: "node-a.cluster.test", os: { type: "linux" } });
  assert.deepEqual(shell.orchestrator, {
    namespace: "payments",
    resource: { name: "api-6c9f-xk2p", type: "pod" },
  });
  assert.deepEqual(shell.user, { id: "0" }, "dotted user.id and nested user.id are one field");
  assert.deepEqual(shell.process, { pid: 4242 }, "the pid is shared; names and parents differ");
  assert.deepEqual(shell.event, { category: [], type: ["start"], module: "cloud_defend" });
  assert.deepEqual(shell.data_stream, { namespace: "staging", type: "logs" });
  assert.equal(shell["event.kind"], "signal");
  assert.equal(shell["kibana.alert.original_event.kind"], "event");
  assert.equal(shell["kibana.alert.original_event.module"], "cloud_defend");
  assert.deepEqual(shell["kibana.alert.original_event.type"], ["start"]);
  assert.equal(Object.hasOwn(shell, "kibana.alert.original_event.action"), false);
  assert.equal(Object.hasOwn(shell, "destination"), false);
  assert.equal(
    shell["kibana.alert.reason"],
    "event on node-a.cluster.test created medium alert Shell Then Outbound Connection In Pod.",
  );
});

test("the shell keeps both values of a field its events write both dotted and nested", () => {
  const twins = [
    '{"@timestamp":"2026-03-02T09:41:07Z","process.name":"bash","process":{"name":"sh"},"event":{"action":"exec"},"event.action":"start","container":{"id":"c1"}}',
    '{"@timestamp":"2026-03-02T09:41:08Z","event.action":"start","event":{"action":"exec"},"process":{"name":"sh"},"process.name":"bash","container":{"id":"c1"}}',
  ].map((line) => member(JSON.parse(line)));
  const { shell, buildingBlocks } = buildSequenceAlerts(rule, twins, { now: NOW });
  assert.deepEqual(shell["process.name"], ["sh", "bash"]);
  assert.deepEqual(shell["event.action"], ["exec", "start"]);
  assert.deepEqual(shell["kibana.alert.original_event.action"], ["exec", "start"]);
  assert.deepEqual(shell.container, { id: "c1" });
  assert.equal(shell["kibana.alert.reason"], buildingBlocks[0]["kibana.alert.reason"]);
  assert.match(shell["kibana.alert.reason"] as string, /with process sh, bash,/);
});

test("missing-event placeholders are left out; positions count the present events", () => {
  const [exec, connect] = sequence();
  const withGap = buildSequenceAlerts(rule, [exec, null, connect], { now: NOW });
  const without = buildSequenceAlerts(rule, [exec, connect], { now: NOW });
  assert.deepEqual(
    withGap.buildingBlocks.map((b) => b["kibana.alert.group.index"]),
    [0, 1],
  );
  assert.equal(JSON.stringify(withGap), JSON.stringify(without));
  assert.throws(() => buildSequenceAlerts(rule, [null], { now: NOW }), RangeError);
});

test("a single-event sequence: the shell carries that event's fields", () => {
  const { buildingBlocks, shell } = buildSequenceAlerts(rule, [member(execEvent()), null], { now: NOW });
  assert.equal(buildingBlocks.length, 1);
  assert.deepEqual(shell.process, execEvent().process);
  assert.equal(shell["kibana.alert.reason"], buildingBlocks[0]["kibana.alert.reason"]);
});

test("deterministic: same rule and events, same ids and documents but for execution times", () => {
  const first = buildSequenceAlerts(rule, sequence(), { now: NOW });
  assert.equal(JSON.stringify(buildSequenceAlerts(rule, sequence(), { now: NOW })), JSON.stringify(first));
  const later = buildSequenceAlerts(rule, sequence(), { now: LATER });
  const ids = (s: typeof first) => [...s.buildingBlocks, s.shell].map((a) => a["kibana.alert.uuid"]);
  assert.deepEqual(ids(later), ids(first));
  const times = new Set([
    "@timestamp",
    "kibana.alert.start",
    "kibana.alert.last_detected",
    "kibana.alert.intended_timestamp",
    "kibana.alert.rule.execution.timestamp",
  ]);
  for (const [a, b] of [...first.buildingBlocks, first.shell].map((d, i) => [
    d,
    [...later.buildingBlocks, later.shell][i],
  ])) {
    for (const key of Object.keys(a)) {
      if (!times.has(key)) assert.deepEqual(b[key], a[key], key);
    }
  }
});

test("ids change with any event, with the order, and with the rule", () => {
  const ids = (s: ReturnType<typeof buildSequenceAlerts>) =>
    [...s.buildingBlocks, s.shell].map((a) => a["kibana.alert.uuid"]);
  const base = ids(buildSequenceAlerts(rule, sequence(), { now: NOW }));
  const [exec, connect] = sequence();
  const changed = member({ ...connectEvent(), "@timestamp": "2026-03-02T09:41:10.000Z" });
  const variants = [
    ids(buildSequenceAlerts(rule, [exec, changed], { now: NOW })),
    ids(buildSequenceAlerts(rule, [connect, exec], { now: NOW })),
    ids(buildSequenceAlerts(shellInPodRule({ rule_id: "other" }), sequence(), { now: NOW })),
  ];
  for (const v of variants) for (let i = 0; i < base.length; i++) assert.notEqual(v[i], base[i]);
  assert.equal(new Set(base).size, 3);
});

test("a building-block rule marks the shell as a building block too", () => {
  const { shell } = buildSequenceAlerts(shellInPodRule({ building_block_type: "default" }), sequence(), {
    now: NOW,
  });
  assert.equal(shell["kibana.alert.building_block_type"], "default");
});

test("hostile keys in sequence events stay plain fields", () => {
  const a = JSON.parse('{"@timestamp":"2026-03-02T09:41:07Z","__proto__":{"p":1},"host":{"name":"h"}}');
  const b = JSON.parse('{"@timestamp":"2026-03-02T09:41:08Z","__proto__":{"p":1},"host":{"name":"h"}}');
  const { buildingBlocks, shell } = buildSequenceAlerts(rule, [member(a), member(b)], { now: NOW });
  assert.equal(({} as Record<string, unknown>).p, undefined);
  for (const doc of [...buildingBlocks, shell]) {
    assert.equal(Object.getPrototypeOf(doc), Object.prototype);
    assert.deepEqual(JSON.parse(JSON.stringify(doc)).host, { name: "h" });
    assert.match(JSON.stringify(doc), /"__proto__":\{"p":1\}/);
  }
});
