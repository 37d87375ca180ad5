import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { test } from "node:test";
import { buildingBlockIds, eventAlertId, shellAlertId } from "../../src/engine/alert-id.ts";
import { ruleUuid, uuidFromName } from "../../src/engine/alert-rule.ts";
import type { Ancestor } from "../../src/engine/ancestors.ts";
import { contentId, DEFAULT_SOURCE_INDEX, sourceIdentity } from "../../src/engine/source-identity.ts";
import { execEvent, shellInPodRule } from "./fixtures.ts";

const sha256 = (s: string) => createHash("sha256").update(s).digest("hex");
const UUID_V8 = /^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

test("ruleUuid is a UUID derived from rule_id alone, stable across calls", () => {
  const rule = shellInPodRule();
  const uuid = ruleUuid(rule);
  assert.match(uuid, UUID_V8);
  assert.equal(uuid, ruleUuid(shellInPodRule()));
  assert.equal(uuid, uuidFromName(`eqlite:rule:${rule.rule_id}`));
  // pinned: a change here changes every alert id eqlite has ever written
  assert.equal(
    ruleUuid({ rule_id: "420e5bb4-93bf-40a3-8f4a-4cc1af90eca1" }),
    "283b2320-8fcb-875f-ac77-988ba11b7eaf",
  );
});

test("ruleUuid: an edited rule keeps its uuid, another rule_id does not", () => {
  const rule = shellInPodRule();
  assert.equal(
    ruleUuid(shellInPodRule({ version: 7, name: "Renamed", query: "any where true" })),
    ruleUuid(rule),
  );
  assert.notEqual(
    ruleUuid(shellInPodRule({ rule_id: "0b6f3c1e-5d2a-4e8b-9a7c-1f2e3d4c5b6b" })),
    ruleUuid(rule),
  );
});

test("ruleUuid: a Kibana export's saved-object id is used as is", () => {
  assert.equal(
    ruleUuid(shellInPodRule({ id: "5f2c8d10-6a7b-11f1-9c3e-0242ac120002" })),
    "5f2c8d10-6a7b-11f1-9c3e-0242ac120002",
  );
  assert.equal(ruleUuid(shellInPodRule({ id: "" })), ruleUuid(shellInPodRule()));
});

test("sourceIdentity: data stream name, content hash and version 1 for a plain event", () => {
  const event = execEvent();
  const identity = sourceIdentity(event);
  assert.deepEqual(identity, {
    index: "logs-cloud_defend.process-staging",
    id: contentId(event),
    version: "1",
  });
  assert.match(identity.id, /^[0-9a-f]{64}$/);
});

test("contentId is the sha256 of the canonical JSON (sorted keys, no spaces, UTF-8)", () => {
  const canonical = '{"a":"é","b":[1,{"c":null,"d":"x"}]}';
  assert.equal(contentId({ b: [1, { d: "x", c: null }], a: "é" }), sha256(canonical));
  // pinned, so ids survive refactoring and match across machines
  assert.equal(
    contentId({ b: [1, { d: "x", c: null }], a: "é" }),
    "e64c01a72a837fb686417da319ea9b089fbd7c449b40173454bfcc1eede0ee9e",
  );
});

test("sourceIdentity: the content hash ignores key order and sees every change", () => {
  const event = execEvent();
  const reordered = Object.fromEntries(Object.entries(event).reverse());
  assert.equal(sourceIdentity(reordered).id, sourceIdentity(event).id);
  assert.equal(sourceIdentity(structuredClone(event)).id, sourceIdentity(event).id);
  const changed = execEvent({ process: { ...(event.process as object), pid: 4243 } });
  assert.notEqual(sourceIdentity(changed).id, sourceIdentity(event).id);
  // the same event.id on a different document (a re-encoding) is a different document
  const reencoded = execEvent({ event: { ...(event.event as object), action: ["fork", "exec"] } });
  assert.notEqual(sourceIdentity(reencoded).id, sourceIdentity(event).id);
});

test("sourceIdentity: explicit metadata and hints win", () => {
  const event = { ...execEvent(), _index: ".ds-logs-x-000001", _id: "xZ1b8ZEB", _version: 3 };
  assert.deepEqual(sourceIdentity(event), { index: ".ds-logs-x-000001", id: "xZ1b8ZEB", version: "3" });
  assert.deepEqual(sourceIdentity(execEvent(), { index: "bulk-index", id: "doc-1", version: 2 }), {
    index: "bulk-index",
    id: "doc-1",
    version: "2",
  });
});

test("sourceIdentity: an alert read back in is identified by its uuid in the alerts index", () => {
  const alert = {
    "kibana.alert.uuid": "abc123",
    "kibana.space_ids": ["ops"],
    "@timestamp": "2026-01-01T00:00:00Z",
  };
  assert.deepEqual(sourceIdentity(alert), {
    index: ".alerts-security.alerts-ops",
    id: "abc123",
    version: "1",
  });
});

test("sourceIdentity: without a data stream the index is the default", () => {
  const event = { "@timestamp": "2026-01-01T00:00:00Z", message: "hello" };
  assert.equal(sourceIdentity(event).index, DEFAULT_SOURCE_INDEX);
  assert.equal(
    sourceIdentity({ "data_stream.type": "logs", "data_stream.dataset": "d", "data_stream.namespace": "n" })
      .index,
    "logs-d-n",
  );
});

test("eventAlertId is Kibana's sha256(index + id + version + space:ruleUuid)", () => {
  const source = {
    index: ".ds-logs-cloud_defend.process-default-2026.09.01-000001",
    id: "xZ1b8ZEB3fV0pTq2mK9a",
    version: "1",
  };
  const rule = "5f2c8d10-6a7b-11f1-9c3e-0242ac120002";
  assert.equal(eventAlertId(source, rule), sha256(`${source.index}${source.id}1default:${rule}`));
  assert.equal(eventAlertId(source, rule, "ops"), sha256(`${source.index}${source.id}1ops:${rule}`));
});

test("eventAlertId: same inputs, same id; any input changed, another id", () => {
  const source = sourceIdentity(execEvent());
  const rule = ruleUuid(shellInPodRule());
  const id = eventAlertId(source, rule);
  assert.equal(eventAlertId(sourceIdentity(execEvent()), ruleUuid(shellInPodRule())), id);
  const variants = [
    eventAlertId({ ...source, index: "other" }, rule),
    eventAlertId({ ...source, id: "other" }, rule),
    eventAlertId({ ...source, version: "2" }, rule),
    eventAlertId(source, ruleUuid(shellInPodRule({ rule_id: "another" }))),
    eventAlertId(source, rule, "other-space"),
  ];
  for (const v of variants) assert.notEqual(v, id);
  assert.equal(new Set(variants).size, variants.length);
});

const event = (id: string, index = "logs-a-default"): Ancestor => ({ id, type: "event", index, depth: 0 });

test("buildingBlockIds: sha256 of every block's ancestry plus rule, then the position", () => {
  const blocks = [[event("e1")], [event("e2")]];
  const base = `e1logs-a-defaultR` + `e2logs-a-defaultR`;
  assert.deepEqual(buildingBlockIds(blocks, "R"), [sha256(`${base}0`), sha256(`${base}1`)]);
});

test("buildingBlockIds: an event in two sequences gets two different blocks", () => {
  const [first] = buildingBlockIds([[event("e1")], [event("e2")]], "R");
  const [again] = buildingBlockIds([[event("e1")], [event("e3")]], "R");
  assert.notEqual(first, again);
  assert.deepEqual(
    buildingBlockIds([[event("e1")], [event("e2")]], "R"),
    buildingBlockIds([[event("e1")], [event("e2")]], "R"),
  );
});

test("shellAlertId: sha256 of the ancestry's ids and indices plus the rule", () => {
  const ancestors = [event("e1"), { id: "b1", type: "signal", index: "", depth: 1, rule: "R" } as Ancestor];
  assert.equal(shellAlertId(ancestors, "R"), sha256("e1logs-a-defaultb1R"));
  assert.notEqual(shellAlertId(ancestors, "R2"), shellAlertId(ancestors, "R"));
});
