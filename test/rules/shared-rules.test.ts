import assert from "node:assert/strict";
import { test } from "node:test";
import { loadRules } from "../../src/rules/load-rules.ts";
import { buildRuleSet } from "../../src/rules/rule-set.ts";
import { errors, sharedPath, skipWithoutShared } from "./fixtures.ts";

test("both seed rules validate with no errors and compile", {
  skip: skipWithoutShared("seed rules", "seed"),
}, async () => {
  const r = await loadRules([
    sharedPath("seed", "interactive_exec_container.toml"),
    sharedPath("seed", "interactive_exec_container.2026-07.toml"),
  ]);
  assert.deepEqual(errors(r), []);
  assert.equal(r.rules.length, 2);
  for (const { rule, query, integrations } of r.rules) {
    assert.equal(rule.type, "eql");
    assert.ok(query, `${rule.name} compiled`);
    assert.deepEqual(integrations, ["cloud_defend"]);
  }
  // the two files are revisions of one rule: the only finding is that they share a rule_id
  assert.deepEqual(
    r.diagnostics.map((d) => d.code),
    ["duplicate-rule-id"],
  );
  const set = buildRuleSet(r.rules);
  assert.equal(set.byCategory.get("process")?.length, 2);
});

test("the seed rule matches an interactive kubectl exec and nothing else", {
  skip: skipWithoutShared("seed rule", "seed"),
}, async () => {
  const r = await loadRules([sharedPath("seed", "interactive_exec_container.toml")]);
  const match = r.rules[0].query!.terms[0].predicate;
  const exec = {
    "@timestamp": "2026-11-02T09:14:03.112Z",
    event: { category: ["process"], type: ["start"] },
    container: { id: "c0ffee01" },
    process: {
      interactive: true,
      entry_leader: { same_as_process: true, entry_meta: { type: "container" } },
    },
  };
  assert.equal(match(exec), true);
  assert.equal(match({ ...exec, process: { ...exec.process, interactive: false } }), false);
});
