import assert from "node:assert/strict";
import { test } from "node:test";
import { buildRuleSet, type ExecutableRule } from "../../src/rules/rule-set.ts";
import type { RuleBundle } from "../../src/server/rule-bundle.ts";
import { replayLookbackMs, ruleLookback } from "../../src/worker/lookback.ts";
import { planRules, summarizePlan } from "../../src/worker/rule-plan.ts";
import { isHostScopedField, ruleScope } from "../../src/worker/rule-scope.ts";
import { diffRuleSets, ruleSetHash } from "../../src/worker/rule-set-hash.ts";
import { loadToml, ruleToml } from "../rules/fixtures.ts";

let nextId = 0;
function rule(query: string, extra: Record<string, string> = {}): ExecutableRule {
  const id = `00000000-0000-4000-8000-${String(++nextId).padStart(12, "0")}`;
  const loaded = loadToml(
    ruleToml({ query, rule: { rule_id: `"${id}"`, name: `"rule ${nextId}"`, ...extra } }),
  );
  const compiled = loaded.rules[0];
  assert.ok(compiled?.query, JSON.stringify(loaded.diagnostics));
  return compiled as ExecutableRule;
}

const SETTINGS = { allowedLatenessMs: 2_000, ingestLagMs: 60_000, replayLimitMs: 600_000 };

test("host-scoped fields: host and agent ids, host names, containers, boots, process entity ids", () => {
  for (const f of [
    "host.id",
    "agent.id",
    "host.name",
    "host.hostname",
    "host.boot.id",
    "container.id",
    "process.entity_id",
    "process.parent.entity_id",
    "process.entry_leader.entity_id",
    "process.session_leader.entity_id",
    "process.group_leader.entity_id",
    "process.parent.group_leader.entity_id",
  ])
    assert.ok(isHostScopedField(f), f);
  for (const f of [
    "process.pid",
    "user.name",
    "source.ip",
    "winlog.computer_name",
    "process.entity_id.keyword",
    "orchestrator.resource.name",
  ])
    assert.ok(!isHostScopedField(f), f);
});

test("a sequence is host-scoped when one join key position is host-scoped in every term", () => {
  const cases: Array<[string, "host" | "global"]> = [
    ['process where process.name == "sh"', "host"],
    ["sequence by host.id with maxspan=1m [process where true] [file where true]", "host"],
    ["sequence by user.name, host.id with maxspan=1m [process where true] [file where true]", "host"],
    ["sequence by user.name with maxspan=1m [process where true] [file where true]", "global"],
    ["sequence with maxspan=1m [process where true] [file where true]", "global"],
    [
      "sequence [process where true] by process.entity_id [process where true] by process.parent.entity_id",
      "host",
    ],
    ["sequence [process where true] by process.entity_id [process where true] by user.name", "global"],
    ["sequence by user.name [process where true] by host.id [process where true] by host.id", "host"],
    [
      "sequence by user.name [process where true] by host.id [process where true] by host.id until [process where true] by user.id",
      "global",
    ],
    ["sample by host.id [process where true] [file where true]", "host"],
    ["sample by source.ip [process where true] [file where true]", "global"],
  ];
  for (const [query, scope] of cases) assert.equal(ruleScope(rule(query)).scope, scope, query);
  const d = ruleScope(rule("sequence by user.name with maxspan=1m [process where true] [file where true]"));
  assert.match(d.reason, /user\.name/);
});

test("single-event rules with alert suppression are global unless grouped by a host-scoped field", () => {
  const bySuppression = (groupBy: string) =>
    ruleScope(
      rule('process where process.name == "sh"', { alert_suppression: `{ group_by = [${groupBy}] }` }),
    );
  assert.equal(bySuppression('"user.name"').scope, "global");
  assert.equal(bySuppression('"user.name", "host.name"').scope, "host");
});

test("look-back: reach + lateness + ingest lag; nothing for single-event rules; long past the replay limit", () => {
  const event = ruleLookback(rule("process where true"), SETTINGS);
  assert.deepEqual([event.reachMs, event.lookbackMs, event.long], [0, 0, false]);
  const seq = ruleLookback(
    rule("sequence by host.id with maxspan=1m [process where true] [file where true]"),
    SETTINGS,
  );
  assert.deepEqual([seq.reachMs, seq.lookbackMs, seq.long], [60_000, 122_000, false]);
  const missing = ruleLookback(
    rule("sequence by host.id with maxspan=1m [process where true] ![file where true]"),
    SETTINGS,
  );
  assert.equal(missing.reachMs, 120_000);
  // no maxspan: bounded by the rule window (from now-9m to now)
  const open = ruleLookback(rule("sequence by host.id [process where true] [file where true]"), SETTINGS);
  assert.equal(open.reachMs, 540_000);
  assert.equal(open.long, true);
  // a window as long: the window cuts a longer maxspan, as it bounds what one Kibana run finds
  const long = ruleLookback(
    rule("sequence by host.id with maxspan=12h [process where true] [file where true]", {
      from: '"now-13h"',
    }),
    SETTINGS,
  );
  assert.equal(long.reachMs, 12 * 3_600_000);
  assert.equal(long.long, true);
  const cut = ruleLookback(
    rule("sequence by host.id with maxspan=12h [process where true] [file where true]"),
    SETTINGS,
  );
  assert.equal(cut.reachMs, 540_000);
  const suppressed = ruleLookback(
    rule("process where true", {
      alert_suppression: '{ group_by = ["host.id"], duration = { value = 5, unit = "m" } }',
    }),
    SETTINGS,
  );
  assert.equal(suppressed.reachMs, 300_000);
  // replay: the longest short look-back; long rules add the replay limit only without a snapshot
  assert.equal(replayLookbackMs([event, seq, long], SETTINGS, true), 122_000);
  assert.equal(replayLookbackMs([event, seq, long], SETTINGS, false), 600_000);
  assert.equal(replayLookbackMs([event], SETTINGS, false), 0);
});

test("the plan splits rules by scope and by look-back, and reports the global ones by name", () => {
  const rules = [
    rule('process where process.name == "sh"'),
    rule("sequence by host.id with maxspan=1m [process where true] [file where true]"),
    rule("sequence by host.id with maxspan=12h [process where true] [file where true]", {
      from: '"now-13h"',
    }),
    rule("sequence by user.name with maxspan=30s [process where true] [file where true]"),
  ];
  const bundle: RuleBundle = {
    ruleSet: buildRuleSet(rules),
    exceptionsFor: () => undefined,
    files: 1,
    warnings: [],
    streamWarnings: [],
  };
  const plan = planRules(bundle, SETTINGS);
  assert.equal(plan.host.short?.rules.length, 2);
  assert.equal(plan.host.long?.rules.length, 1);
  assert.equal(plan.global.short?.rules.length, 1);
  assert.equal(plan.global.long, undefined);
  assert.equal(plan.host.longReach.get("@timestamp"), 12n * 3_600_000_000_000n);
  const summary = summarizePlan(plan);
  assert.equal(summary.hostRules, 3);
  assert.equal(summary.globalRules, 1);
  assert.deepEqual(
    summary.global.map((g) => g.name),
    [rules[3].rule.name],
  );
  assert.deepEqual(
    summary.long.map((l) => l.name),
    [rules[2].rule.name],
  );
  assert.equal(summary.hostLookbackMs, 122_000);
  assert.equal(summary.globalLookbackMs, 92_000);
});

test("the rule-set hash ignores order and sees content; the diff tells kept, changed, added and removed", () => {
  const a = rule('process where process.name == "sh"');
  const b = rule('process where process.name == "bash"');
  const c = rule('process where process.name == "zsh"');
  assert.equal(ruleSetHash([a, b]), ruleSetHash([b, a]));
  assert.notEqual(ruleSetHash([a, b]), ruleSetHash([a, c]));
  const changedB = { ...b, rule: { ...b.rule, severity: "high" } } as ExecutableRule;
  assert.deepEqual(diffRuleSets([a, b], [a, changedB, c]), {
    kept: [a.rule.rule_id],
    changed: [b.rule.rule_id],
    added: [c.rule.rule_id],
    removed: [],
  });
  assert.deepEqual(diffRuleSets([a, b], [b]).removed, [a.rule.rule_id]);
});
