import assert from "node:assert/strict";
import { test } from "node:test";
import { loadRuleText } from "../../src/rules/load-rule-text.ts";
import { ruleNeeds } from "../../src/rules/needed-fields.ts";
import { buildRuleSet } from "../../src/rules/rule-set.ts";
import { minimalEqlRule } from "../engine/fixtures.ts";

/** One JSON rule with this query (and settings), loaded and compiled. */
function compiled(query: string, extra: Record<string, unknown> = {}) {
  const rule = minimalEqlRule(1, query, extra);
  const loaded = loadRuleText(JSON.stringify(rule), "rule.json");
  const [executable] = buildRuleSet(loaded.rules).rules;
  assert.ok(executable, JSON.stringify(loaded.diagnostics));
  return executable;
}

test("an event query needs the fields it reads, once each, then its category field", () => {
  const needs = ruleNeeds(
    compiled(
      'process where process.name == "sh" and not process.parent.name : "runc" and process.name != "x"',
    ),
  );
  assert.deepEqual(needs.fields, ["process.name", "process.parent.name", "event.category"]);
  assert.deepEqual(needs.categories, { field: "event.category", values: ["process"] });
});

test("?fields are not needed; `any where` needs no category", () => {
  const needs = ruleNeeds(compiled('any where ?process.title == "x" and length(user.name) > 3'));
  assert.deepEqual(needs.fields, ["user.name"]);
  assert.deepEqual(needs.categories.values, []);
});

test("a sequence needs its join keys (sequence-wide and per term), its categories and its timestamp", () => {
  const needs = ruleNeeds(
    compiled(
      'sequence by host.id with maxspan=1m [process where process.name == "curl"] by process.pid [network where true] by process.pid',
    ),
  );
  assert.deepEqual(needs.fields, ["host.id", "process.name", "process.pid", "event.category", "@timestamp"]);
  assert.deepEqual(needs.categories.values, ["process", "network"]);
});

test("fields only `until` or a missing-event term reads are not needed; the same field elsewhere is", () => {
  const needs = ruleNeeds(
    compiled(
      'sequence by host.id with maxspan=1m [process where process.name == "a"] ![file where file.path == "/x" and process.name == "a"] [process where true] until [network where destination.port == 22]',
    ),
  );
  assert.deepEqual(needs.fields, ["host.id", "process.name", "event.category", "@timestamp"]);
  assert.deepEqual(needs.categories.values, ["process"]);
});

test("the category field follows event_category_override; timestamp_override counts only without its fallback", () => {
  const overridden = ruleNeeds(
    compiled("process where true", {
      event_category_override: "event.type",
      timestamp_override: "event.ingested",
    }),
  );
  assert.deepEqual(overridden.fields, ["event.type"]);
  assert.deepEqual(overridden.categories, { field: "event.type", values: ["process"] });
  const noFallback = ruleNeeds(
    compiled("process where true", {
      timestamp_override: "event.ingested",
      timestamp_override_fallback_disabled: true,
    }),
  );
  assert.deepEqual(noFallback.fields, ["event.category", "event.ingested"]);
});
