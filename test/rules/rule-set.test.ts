import assert from "node:assert/strict";
import { test } from "node:test";
import { loadRuleText } from "../../src/rules/load-rule-text.ts";
import { buildRuleSet } from "../../src/rules/rule-set.ts";
import { minimalEqlRule } from "../engine/fixtures.ts";

const rule = (n: number, query: string, extra: Record<string, unknown> = {}) =>
  minimalEqlRule(n, query, { index: ["logs-*"], ...extra });

const RULES = [
  rule(1, 'process where process.name == "sh"'),
  rule(2, "sequence [process where true] [network where true]"),
  rule(3, "any where true"),
  rule(4, "file where true"),
  rule(5, "process where true", { event_category_override: "event.type" }),
  rule(6, "process where process.name = 1"),
  { ...rule(7, "process.name: sh"), type: "query", language: "kuery" },
  {
    ...rule(8, ""),
    type: "machine_learning",
    language: undefined,
    query: undefined,
    index: undefined,
    anomaly_threshold: 50,
    machine_learning_job_id: "job",
  },
];

const loaded = loadRuleText(RULES.map((r) => JSON.stringify(r)).join("\n"), "rules.ndjson").rules;
const names = (rules: readonly { rule: { name: string } }[]) => rules.map((r) => r.rule.name);

test("rules are grouped by the event categories their terms name", () => {
  const set = buildRuleSet(loaded);
  assert.deepEqual(names(set.rules), ["Rule 1", "Rule 2", "Rule 3", "Rule 4", "Rule 5"]);
  assert.deepEqual(names(set.byCategory.get("process") ?? []), ["Rule 1", "Rule 2"]);
  assert.deepEqual(names(set.byCategory.get("network") ?? []), ["Rule 2"]);
  assert.deepEqual(names(set.byCategory.get("file") ?? []), ["Rule 4"]);
  // `any where`, and a category field of its own, need every event
  assert.deepEqual(names(set.anyCategory), ["Rule 3", "Rule 5"]);
  assert.deepEqual(set.notExecutable, { eql: 1, query: 1, machine_learning: 1 });
});

test("candidates: the rules of each of an event's categories plus the any group, once each, in load order", () => {
  const set = buildRuleSet(loaded);
  assert.deepEqual(names(set.candidates(["network", "process"])), ["Rule 1", "Rule 2", "Rule 3", "Rule 5"]);
  assert.deepEqual(names(set.candidates(["registry"])), ["Rule 3", "Rule 5"]);
  assert.equal(
    set.candidates(["process", "network"]),
    set.candidates(["network", "process"]),
    "combinations are remembered",
  );
});

test("a rebuilt set reflects the new rules and leaves the old one as it was", () => {
  const before = buildRuleSet(loaded);
  const after = buildRuleSet(loaded.filter((r) => r.rule.name !== "Rule 1"));
  assert.deepEqual(names(after.byCategory.get("process") ?? []), ["Rule 2"]);
  assert.deepEqual(names(before.byCategory.get("process") ?? []), ["Rule 1", "Rule 2"]);
});

test("a rule its file disables does not run unless asked, and is counted", () => {
  const text = [
    rule(1, "process where true"),
    rule(2, "process where true", { enabled: false }),
    rule(3, "any where true", { enabled: true }),
  ]
    .map((r) => JSON.stringify(r))
    .join("\n");
  const withDisabled = loadRuleText(text, "export.ndjson").rules;
  const set = buildRuleSet(withDisabled);
  assert.deepEqual(names(set.rules), ["Rule 1", "Rule 3"]);
  assert.equal(set.disabled, 1);
  assert.deepEqual(names(set.byCategory.get("process") ?? []), ["Rule 1"]);
  const all = buildRuleSet(withDisabled, { includeDisabled: true });
  assert.deepEqual(names(all.rules), ["Rule 1", "Rule 2", "Rule 3"]);
  assert.equal(all.disabled, 0);
});
