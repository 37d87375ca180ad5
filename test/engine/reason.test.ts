import assert from "node:assert/strict";
import { test } from "node:test";
import { buildReason } from "../../src/engine/reason.ts";
import { execEvent } from "./fixtures.ts";

const rule = { name: "Shell Spawned In Pod By Runtime", severity: "medium" };

test("a container exec: category, process, parent and host; no user.name, so no 'by'", () => {
  assert.equal(
    buildReason(execEvent(), rule),
    "process event with process sh, parent process runc, on node-a.cluster.test created medium alert Shell Spawned In Pod By Runtime.",
  );
});

test("no fields at all", () => {
  assert.equal(buildReason({}, rule), "event created medium alert Shell Spawned In Pod By Runtime.");
});

test("only user and host: no 'with'", () => {
  assert.equal(
    buildReason(
      { event: { category: "authentication" }, user: { name: "alice" }, host: { name: "h1" } },
      rule,
    ),
    "authentication event by alice on h1 created medium alert Shell Spawned In Pod By Runtime.",
  );
});

test("file event", () => {
  assert.equal(
    buildReason({ "event.category": ["file"], file: { name: "shadow" }, process: { name: "cat" } }, rule),
    "file event with process cat, file shadow, created medium alert Shell Spawned In Pod By Runtime.",
  );
});

test("network event with addresses and ports", () => {
  const event = {
    event: { category: ["network"] },
    source: { ip: "10.4.1.17", port: 51234 },
    destination: { ip: "203.0.113.9", port: 4444 },
    process: { name: "nc" },
    user: { name: "www-data" },
    host: { name: "node-b" },
  };
  assert.equal(
    buildReason(event, rule),
    "network event with process nc, source 10.4.1.17:51234, destination 203.0.113.9:4444, by www-data on node-b created medium alert Shell Spawned In Pod By Runtime.",
  );
});

test("an address without a port has no colon and no comma", () => {
  assert.equal(
    buildReason({ source: { ip: "10.0.0.1" }, destination: { ip: "10.0.0.2" } }, rule),
    "event with source 10.0.0.1 destination 10.0.0.2 created medium alert Shell Spawned In Pod By Runtime.",
  );
});

test("a port alone still counts for 'with'", () => {
  assert.equal(
    buildReason({ destination: { port: 22 } }, rule),
    "event with:22, created medium alert Shell Spawned In Pod By Runtime.",
  );
});

test("arrays are joined with ', '", () => {
  assert.equal(
    buildReason({ event: { category: ["process", "network"] }, host: { name: ["a", "b"] } }, rule),
    "process, network event on a, b created medium alert Shell Spawned In Pod By Runtime.",
  );
});

test("'-', empty strings and empty arrays count as absent; '-' among other values stays", () => {
  const event = {
    event: { category: "-" },
    process: { name: ["-"], parent: { name: "" } },
    file: { name: [] },
    user: { name: ["-", "bob"] },
    host: { name: "h" },
  };
  assert.equal(
    buildReason(event, rule),
    "event by -, bob on h created medium alert Shell Spawned In Pod By Runtime.",
  );
});

test("dotted keys and nested objects read alike", () => {
  const dotted = { "process.name": "sh", "process.parent.name": "runc", "host.name": "n" };
  const nested = { process: { name: "sh", parent: { name: "runc" } }, host: { name: "n" } };
  assert.equal(buildReason(dotted, rule), buildReason(nested, rule));
});

test("a field written both dotted and nested: each value once", () => {
  const event = JSON.parse(
    '{"event.category":"process","event":{"category":"process"},"process":{"name":"bash"},"process.name":"bash","host.name":"h","host":{"name":"h"},"user":{"name":"root"},"user.name":"admin"}',
  );
  assert.equal(
    buildReason(event, rule),
    "process event with process bash, by root, admin on h created medium alert Shell Spawned In Pod By Runtime.",
  );
});

test("the severity and name given are used (overridden values for single events)", () => {
  assert.equal(buildReason({}, { name: "exec", severity: "critical" }), "event created critical alert exec.");
});
