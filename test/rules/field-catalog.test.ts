import assert from "node:assert/strict";
import { test } from "node:test";
import { ECS_VERSION, ecsFieldType, fieldCatalog, knownIntegrations } from "../../src/rules/field-catalog.ts";

test("ECS fields carry their types, as EQL sees them", () => {
  const c = fieldCatalog();
  assert.equal(ECS_VERSION, "9.4.0");
  assert.deepEqual(
    ["process.pid", "source.ip", "process.interactive", "@timestamp", "process.command_line"].map(
      (f) => c.field(f).type,
    ),
    ["long", "ip", "boolean", "date", "keyword"],
  );
  assert.equal(c.esType("process.command_line"), "wildcard");
  assert.equal(ecsFieldType("process.entry_leader.entry_meta.type"), "keyword");
});

test("a multi-field reads its parent's value; a text field cannot be compared exactly", () => {
  const info = fieldCatalog().field("process.command_line.text");
  assert.equal(info.sourcePath, "process.command_line");
  assert.match(info.unsupported ?? "", /use \[process.command_line\] instead/);
});

test("unknown fields are untyped rather than missing, so rules with them still run", () => {
  const c = fieldCatalog();
  assert.equal(c.isKnown("process.Ext.api.name"), false);
  assert.deepEqual(c.field("process.Ext.api.name"), {
    name: "process.Ext.api.name",
    type: "unknown",
    sourcePath: "process.Ext.api.name",
  });
  assert.equal(c.isKnown("labels.anything"), true, "labels is an object of any keys");
});

test("integration catalogs add their fields; unknown integrations add nothing", () => {
  assert.deepEqual(knownIntegrations(), ["cloud_defend"]);
  assert.equal(fieldCatalog(["cloud_defend"]).field("cloud_defend.package_policy_revision").type, "integer");
  assert.equal(fieldCatalog(["cloud_defend"]).description, "ECS 9.4.0 + cloud_defend 1.2.5");
  assert.equal(fieldCatalog(["endpoint", "cloud_defend"]), fieldCatalog(["cloud_defend"]));
  assert.equal(fieldCatalog().isKnown("cloud_defend.hook_point"), false);
});

test("suggestions offer the nearest names only", () => {
  const c = fieldCatalog();
  assert.equal(c.suggestion("proces.name"), ", did you mean [process.name]?");
  assert.equal(c.suggestion("destination.ip4"), ", did you mean [destination.ip]?");
  assert.equal(c.suggestion("totally.unrelated.name"), "");
});
