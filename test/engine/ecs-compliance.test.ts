import assert from "node:assert/strict";
import { test } from "node:test";
import { buildEventAlert } from "../../src/engine/alert.ts";
import { buildSequenceAlerts } from "../../src/engine/sequence-alerts.ts";
import { sourceIdentity } from "../../src/engine/source-identity.ts";
import { NOW, shellInPodRule } from "./fixtures.ts";

const alertFor = (event: Record<string, unknown>) =>
  buildEventAlert(shellInPodRule(), event, sourceIdentity(event), { now: NOW });

test("a source field the ECS mapping cannot hold is left out of the alert, dotted or nested", () => {
  const alert = alertFor({
    "@timestamp": "2026-03-02T09:41:07Z",
    process: { name: "bash", pid: "n/a", parent: "runc", args: ["-c", { x: 1 }, "id"] },
    "host.name": { first: "node-1" },
    "host.ip": ["10.0.0.1", "not-an-ip", "10.1.0.0/16"],
    "user.name.first": "ann",
    "source.port": "80 80",
    "destination.bytes": "1024",
    "file.size": 12.5,
    "process.interactive": "yes",
    "file.created": "2022/12/12",
    "file.mtime": "2026-03-02T09:41:07Z",
    "file.accessed": "2026-03",
    "file.ctime": "2026-03-02T",
    "process.start": "2026-03-02T10",
    "process.end": "2026-03-02T09:59:59,5+01:00",
    "file.x509.not_after": "2026-13",
    "dll.pe.sections": ["text"],
    "file.pe.sections": [{ name: ".text" }],
    "client.geo.location": "POINT (1 2)",
  });
  // kept: what ECS types alike, and fields ECS does not have
  assert.deepEqual(alert.process, { name: "bash", args: ["-c", "id"] });
  assert.deepEqual(alert["host.ip"], ["10.0.0.1", "10.1.0.0/16"]);
  assert.equal(alert["destination.bytes"], "1024");
  assert.equal(alert["file.size"], 12.5);
  assert.equal(alert["file.mtime"], "2026-03-02T09:41:07Z");
  assert.equal(alert["file.accessed"], "2026-03", "a date may stop after its month");
  assert.equal(alert["file.ctime"], "2026-03-02T", "or right after the T");
  assert.equal(alert["process.start"], "2026-03-02T10", "or after the hour");
  assert.equal(alert["process.end"], "2026-03-02T09:59:59,5+01:00", "a comma may start the fraction");
  assert.deepEqual(alert["file.pe.sections"], [{ name: ".text" }]);
  assert.equal(alert["client.geo.location"], "POINT (1 2)");
  // left out: an object where ECS has a keyword, a keyword's sub-field, values of the wrong type
  for (const key of [
    "host.name",
    "user.name.first",
    "source.port",
    "process.interactive",
    "file.created",
    "file.x509.not_after",
    "dll.pe.sections",
  ]) {
    assert.equal(Object.hasOwn(alert, key), false, key);
  }
});

test("fields ECS does not define are kept whatever they hold; emptied arrays and objects go", () => {
  const alert = alertFor({
    vendor: { risk: { level: ["high", 3] }, raw: "x" },
    "custom.flag": true,
    tags: [],
    labels: {},
    process: { args: [[], ["-c"]], env_vars: [] },
    "process.name.text": "bash",
  });
  assert.deepEqual(alert.vendor, { risk: { level: ["high", 3] }, raw: "x" });
  assert.equal(alert["custom.flag"], true);
  assert.deepEqual(alert.process, { args: [["-c"]] });
  assert.equal(Object.hasOwn(alert, "tags"), false);
  assert.equal(Object.hasOwn(alert, "labels"), false);
  assert.equal(Object.hasOwn(alert, "process.name.text"), false, "a multi-field is no place in a document");
});

test("original_event copies what the alert keeps; the source's event.kind survives there", () => {
  const alert = alertFor({
    event: { kind: "event", action: "exec", severity: "high", outcome: { detail: "ok" } },
    "event.created": "not a date",
    "event.ingested": "2026-03-02T09:41:08Z",
  });
  assert.equal(alert["kibana.alert.original_event.kind"], "event");
  assert.equal(alert["kibana.alert.original_event.action"], "exec");
  assert.equal(alert["kibana.alert.original_event.ingested"], "2026-03-02T09:41:08Z");
  for (const key of ["severity", "outcome", "outcome.detail", "created"]) {
    assert.equal(Object.hasOwn(alert, `kibana.alert.original_event.${key}`), false, key);
  }
  assert.deepEqual(alert.event, { action: "exec" });
  assert.equal(alert["event.kind"], "signal");
  const onlyKind = alertFor({ event: { kind: "event" } });
  assert.equal(Object.hasOwn(onlyKind, "event"), false, "no empty event object is left behind");
});

test("building blocks and the shell leave out the same fields", () => {
  const event = (id: string) => ({
    "@timestamp": "2026-03-02T09:41:07Z",
    "event.id": id,
    "host.name": { first: "node-1" },
    "process.name": "bash",
  });
  const members = ["a", "b"].map((id) => ({ event: event(id), source: sourceIdentity(event(id)) }));
  const { buildingBlocks, shell } = buildSequenceAlerts(shellInPodRule(), members, { now: NOW });
  for (const doc of [...buildingBlocks, shell]) {
    assert.equal(Object.hasOwn(doc, "host.name"), false);
    assert.equal(doc["process.name"], "bash");
  }
});
