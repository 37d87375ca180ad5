import assert from "node:assert/strict";
import { test } from "node:test";
import {
  overridesFor,
  riskScoreFromMapping,
  ruleNameFromOverride,
  severityFromMapping,
} from "../../src/engine/overrides.ts";
import { execEvent, shellInPodRule } from "./fixtures.ts";

const mapped = shellInPodRule({
  severity_mapping: [
    { field: "orchestrator.namespace", operator: "equals", value: "payments", severity: "high" },
    { field: "process.name", operator: "equals", value: "sh", severity: "low" },
    { field: "container.image.tag", operator: "equals", value: "3.20", severity: "critical" },
  ],
});

test("severity_mapping: the highest severity among the matching entries wins", () => {
  assert.equal(severityFromMapping(mapped, execEvent()), "critical");
  // without the tag match, high beats low whatever the order of the entries
  assert.equal(severityFromMapping(mapped, execEvent({ container: { id: "x" } })), "high");
  assert.equal(severityFromMapping(mapped, execEvent({ container: { id: "x" }, orchestrator: {} })), "low");
});

test("severity_mapping: no match keeps the rule's severity; the rule is not mutated", () => {
  const before = JSON.stringify(mapped);
  assert.equal(severityFromMapping(mapped, { process: { name: "bash" } }), "medium");
  assert.equal(JSON.stringify(mapped), before);
});

test("severity_mapping: values compare case-sensitively, any array value counts, numbers as strings", () => {
  const rule = shellInPodRule({
    severity_mapping: [
      { field: "host.name", value: "Node-A", severity: "high" },
      { field: "process.args", value: "-i", severity: "critical" },
      { field: "process.pid", value: "4242", severity: "low" },
    ],
  });
  assert.equal(severityFromMapping(rule, { host: { name: "node-a" } }), "medium");
  assert.equal(severityFromMapping(rule, { host: { name: "Node-A" } }), "high");
  assert.equal(severityFromMapping(rule, { process: { args: ["sh", "-i"] } }), "critical");
  assert.equal(severityFromMapping(rule, { process: { pid: 4242 } }), "low");
  assert.equal(severityFromMapping(rule, { "process.pid": 4242 }), "low");
});

test("severity_mapping on event.severity compares integers", () => {
  const rule = shellInPodRule({
    severity_mapping: [{ field: "event.severity", value: "73", severity: "high" }],
  });
  assert.equal(severityFromMapping(rule, { event: { severity: 73 } }), "high");
  assert.equal(severityFromMapping(rule, { event: { severity: "73" } }), "medium");
});

test("severity_mapping entries with an unknown severity are ignored", () => {
  const rule = shellInPodRule({
    severity_mapping: [{ field: "process.name", value: "sh", severity: "urgent" as "high" }],
  });
  assert.equal(severityFromMapping(rule, execEvent()), "medium");
});

test("risk_score_mapping: the field's numeric value, the largest valid one of an array", () => {
  const rule = shellInPodRule({
    risk_score_mapping: [{ field: "event.risk_score", operator: "equals", value: "" }],
  });
  assert.equal(riskScoreFromMapping(rule, { event: { risk_score: 88 } }), 88);
  assert.equal(riskScoreFromMapping(rule, { event: { risk_score: "12.5" } }), 12.5);
  assert.equal(riskScoreFromMapping(rule, { event: { risk_score: [10, 140, 55, "x"] } }), 55);
  assert.equal(riskScoreFromMapping(rule, { event: { risk_score: 0 } }), 0);
});

test("risk_score_mapping: invalid values keep the rule's score (no clamping)", () => {
  const rule = shellInPodRule({ risk_score_mapping: [{ field: "event.risk_score", value: "" }] });
  for (const value of [101, -1, "abc", "1e3", "Infinity", null, true, { a: 1 }, []]) {
    assert.equal(riskScoreFromMapping(rule, { event: { risk_score: value } }), 47, String(value));
  }
  assert.equal(riskScoreFromMapping(rule, {}), 47);
  assert.equal(riskScoreFromMapping(shellInPodRule(), { event: { risk_score: 90 } }), 47);
});

test("risk_score_mapping: a blank string is 0, as Kibana's Number() reads it", () => {
  const rule = shellInPodRule({ risk_score_mapping: [{ field: "event.risk_score", value: "" }] });
  assert.equal(riskScoreFromMapping(rule, { event: { risk_score: "" } }), 0);
  assert.equal(riskScoreFromMapping(rule, { event: { risk_score: ["  ", "abc"] } }), 0);
  assert.equal(riskScoreFromMapping(rule, { event: { risk_score: ["", " 30 "] } }), 30);
});

test("rule_name_override: a string field value becomes the name; anything else keeps the rule's", () => {
  const rule = shellInPodRule({ rule_name_override: "message" });
  assert.equal(ruleNameFromOverride(rule, { message: "Pod shell on api" }), "Pod shell on api");
  assert.equal(ruleNameFromOverride(rule, { message: ["a", "b"] }), rule.name);
  assert.equal(ruleNameFromOverride(rule, { message: 42 }), rule.name);
  assert.equal(ruleNameFromOverride(rule, {}), rule.name);
  assert.equal(ruleNameFromOverride(shellInPodRule(), { message: "x" }), rule.name);
});

test("overridesFor gathers the three", () => {
  const rule = shellInPodRule({
    rule_name_override: "event.action",
    severity_mapping: [{ field: "process.name", value: "sh", severity: "critical" }],
    risk_score_mapping: [{ field: "process.entry_leader.pid", value: "" }],
  });
  assert.deepEqual(overridesFor(rule, execEvent({ process: { name: "sh", entry_leader: { pid: 99 } } })), {
    name: "exec",
    severity: "critical",
    riskScore: 99,
  });
});
