import assert from "node:assert/strict";
import { test } from "node:test";
import { loadRules } from "../../src/rules/load-rules.ts";
import { buildRuleSet } from "../../src/rules/rule-set.ts";
import { sharedPath, skipWithoutShared } from "./fixtures.ts";

test("both seed rules validate with no errors and compile", {
  skip: skipWithoutShared("seed rules", "seed"),
}, async () => {
  for (const file of ["interactive_exec_container.toml", "interactive_exec_container.2026-07.toml"]) {
    const r = await loadRules([sharedPath("seed", file)]);
    assert.deepEqual(r.diagnostics, [], file);
    const [{ rule, query, integrations }] = r.rules;
    assert.equal(rule.type, "eql");
    assert.ok(query, `${rule.name} compiled`);
    assert.deepEqual(integrations, ["cloud_defend"]);
    assert.equal(buildRuleSet(r.rules).byCategory.get("process")?.length, 1);
  }
  // the two files are revisions of one rule: loaded together, the last read is kept
  const both = await loadRules([sharedPath("seed")]);
  assert.deepEqual(
    both.rules.map((r) => r.origin.file),
    [sharedPath("seed", "interactive_exec_container.toml")],
  );
  assert.deepEqual(
    both.diagnostics.map((d) => [d.code, d.file]),
    [["duplicate-rule-id", sharedPath("seed", "interactive_exec_container.2026-07.toml")]],
  );
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
