import assert from "node:assert/strict";
import { test } from "node:test";
import { DetectionEngine, type EngineOptions } from "../../src/engine/detection-engine.ts";
import type { Event } from "../../src/eql/field-access.ts";
import { loadRuleText } from "../../src/rules/load-rule-text.ts";
import { buildRuleSet, type RuleSet } from "../../src/rules/rule-set.ts";
import { minimalEqlRule } from "./fixtures.ts";

/**
 * The engine applies a rule's `filters` where it applies the rule's exceptions, before any of
 * the rule's searches, in every engine scan, serve and the worker build: they come with the
 * rule, not with the caller's options.
 */

const notPhrase = (field: string, value: string) => ({
  meta: { negate: true, disabled: false },
  query: { match_phrase: { [field]: value } },
});

const exec = (second: number, command_line: string): Event => ({
  "@timestamp": new Date(Date.UTC(2026, 0, 1, 0, 0, second)).toISOString(),
  event: { category: ["process"] },
  process: { name: "apt-get", command_line },
});

const events = [
  exec(1, "apt-get update -qq"),
  exec(2, "apt-get install curl"),
  exec(3, "apt-get remove vim"),
];

function ruleSet(filters: unknown[]): RuleSet {
  const rule = minimalEqlRule(1, 'process where process.name == "apt-get"', { filters });
  const loaded = loadRuleText(JSON.stringify(rule), "rule.ndjson");
  assert.deepEqual(
    loaded.diagnostics.filter((d) => d.code === "filters"),
    [],
  );
  return buildRuleSet(loaded.rules);
}

function engine(set: RuleSet, options: Partial<EngineOptions> = {}) {
  const alerted: number[] = [];
  const e = new DetectionEngine(set, {
    mode: "follow",
    now: new Date("2026-01-01T01:00:00Z"),
    onAlert: (_alert, _rule, origins) => alerted.push(origins[0].line),
    onRuleError: (_rule, error) => assert.fail(String(error)),
    ...options,
  });
  const push = (from: number, to: number) => {
    for (let i = from; i < to; i++) e.push(events[i], { source: "events.ndjson", line: i + 1 });
  };
  return { e, alerted, push };
}

test("filtered events are counted apart from excepted ones, filters first", () => {
  const { e, alerted, push } = engine(ruleSet([notPhrase("process.command_line", "apt-get update -qq")]), {
    exceptionsFor: () => (event) =>
      (event.process as { command_line: string }).command_line !== "apt-get remove vim",
  });
  push(0, 3);
  e.finish();
  assert.deepEqual(alerted, [2]);
  const [stats] = e.ruleStats;
  assert.equal(stats.filtered, 1);
  assert.equal(stats.excepted, 1);
  assert.equal(e.activity()[0].evaluated, 1);
});

test("a reloaded rule whose filters changed runs with its new filters", () => {
  const { e, alerted, push } = engine(ruleSet([notPhrase("process.command_line", "apt-get update -qq")]));
  push(0, 2);
  const summary = e.reload(ruleSet([notPhrase("process.command_line", "apt-get remove vim")]));
  assert.deepEqual(summary.changed, ["5b0a3c36-2c1e-4f4e-9a55-0d6c1f7e2a01"]);
  push(0, 3);
  e.finish();
  // before: line 2; after: line 1 (line 2 again is the alert already written), not line 3
  assert.deepEqual(alerted, [2, 1]);
  assert.equal(e.ruleStats[0].filtered, 2);
});
