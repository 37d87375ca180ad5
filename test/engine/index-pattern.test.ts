import assert from "node:assert/strict";
import { test } from "node:test";
import { compileIndexPatterns, eventIndex } from "../../src/engine/index-pattern.ts";

test("an event's index is its data stream", () => {
  assert.equal(
    eventIndex({ data_stream: { type: "logs", dataset: "cloud_defend.process", namespace: "prod" } }),
    "logs-cloud_defend.process-prod",
  );
  assert.equal(eventIndex({ "data_stream.type": "logs", "data_stream.dataset": "x" }), "logs-x-default");
  assert.equal(eventIndex({ event: { category: "process" } }), undefined);
});

test("rule index patterns: wildcards, exclusions, remote clusters; unknown indices pass", () => {
  const m = compileIndexPatterns(["logs-cloud_defend*", "remote:auditbeat-*", "-logs-cloud_defend.alerts-*"]);
  assert.equal(m("logs-cloud_defend.process-default"), true);
  assert.equal(m("auditbeat-8.1"), true);
  assert.equal(m("logs-cloud_defend.alerts-default"), false);
  assert.equal(m("logs-endpoint.events.process-default"), false);
  assert.equal(m(undefined), true);
  assert.equal(compileIndexPatterns(undefined)("anything"), true);
});

test("an index pattern's only wildcard is *: ? stands for itself, as in Elasticsearch's index expressions", () => {
  const m = compileIndexPatterns(["logs-?", "winlogbeat-*"]);
  assert.equal(m("logs-a"), false);
  assert.equal(m("logs-?"), true);
  assert.equal(m("winlogbeat-8.1"), true);
});
