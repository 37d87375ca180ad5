import assert from "node:assert/strict";
import { test } from "node:test";
import { DetectionEngine } from "../../src/engine/detection-engine.ts";
import type { Event } from "../../src/eql/field-access.ts";
import { loadRuleText } from "../../src/rules/load-rule-text.ts";
import { buildRuleSet, type ExecutableRule } from "../../src/rules/rule-set.ts";
import { RuleTallies, type RuleTally } from "../../src/worker/rule-tallies.ts";
import { minimalEqlRule } from "../engine/fixtures.ts";

const QUERIES = [
  'process where process.name == "sh"',
  'sequence by host.id [process where process.name == "curl"] [process where process.name == "sh"]',
];

function rules(): ExecutableRule[] {
  const text = QUERIES.map((q, i) => JSON.stringify(minimalEqlRule(i + 1, q))).join("\n");
  const loaded = loadRuleText(text, "rules.ndjson");
  assert.equal(loaded.rules.length, QUERIES.length, JSON.stringify(loaded.diagnostics));
  return loaded.rules as ExecutableRule[];
}

const exec = (second: number, host: string, name: string): Event => ({
  "@timestamp": `2026-09-01T12:00:${String(second).padStart(2, "0")}Z`,
  event: { category: ["process"], type: ["start"] },
  host: { id: host },
  process: { name },
});

/** One partition's engine, run over its events; its tally is what PartitionRunner.rules reports. */
function partition(set: readonly ExecutableRule[], events: Event[]): RuleTally {
  const engine = new DetectionEngine(buildRuleSet(set), {
    mode: "follow",
    allowedLatenessMs: 0,
    now: new Date("2026-09-01T12:05:00Z"),
    onAlert: () => {},
    onRuleError: (_rule, error) => assert.fail(String(error)),
  });
  events.forEach((event, i) => {
    engine.push(event, { source: "nats:p", line: i + 1 });
  });
  return { stats: engine.ruleStats.map((s) => ({ ...s })), activity: engine.activity() };
}

const byRule = (tally: RuleTally, rule: ExecutableRule) => ({
  stats: tally.stats.find((s) => s.rule_id === rule.rule.rule_id),
  activity: tally.activity.find((a) => a.rule_id === rule.rule.rule_id),
});

test("a worker's rule metrics sum its partitions, and keep the counters of a partition that left", () => {
  const set = rules();
  const [single, sequence] = set;
  // p1: h1 completes the sequence, h2 leaves one open; p2: h3 completes it
  // and a curl from a host whose clock says 2099, left out of the sequence
  const ahead = { ...exec(6, "h9", "curl"), "@timestamp": "2099-01-01T00:00:00Z" };
  const p1 = partition(set, [exec(1, "h1", "curl"), exec(2, "h1", "sh"), exec(3, "h2", "curl"), ahead]);
  const p2 = partition(set, [exec(4, "h3", "curl"), exec(5, "h3", "sh")]);
  const tallies = new RuleTallies();

  const both = tallies.tally(set, [p1, p2]);
  assert.deepEqual(
    both.stats.map((s) => [s.name, s.severity, s.matches, s.alerts, s.disabled]),
    [
      ["Rule 1", "low", 2, 2, false],
      ["Rule 2", "low", 2, 2, false],
    ],
  );
  assert.equal(byRule(both, single).activity?.evaluated, 2);
  assert.equal(byRule(both, sequence).activity?.evaluated, 6);
  assert.equal(byRule(both, sequence).activity?.openSequences, 1);
  assert.equal(byRule(both, sequence).activity?.future, 1);

  // p1 is handed over: its counters stay, its open sequence is no longer this worker's
  tallies.retire(p1);
  const after = tallies.tally(set, [p2]);
  assert.deepEqual(
    after.stats.map((s) => [s.matches, s.alerts]),
    [
      [2, 2],
      [2, 2],
    ],
  );
  assert.equal(byRule(after, sequence).activity?.evaluated, 6);
  assert.equal(byRule(after, sequence).activity?.openSequences, 0);
  assert.equal(byRule(after, sequence).activity?.future, 1, "a counter survives its partition");

  // the worker owns nothing now: the rules are still listed, counting what ran here
  tallies.retire(p2);
  const none = tallies.tally(set, []);
  assert.deepEqual(
    none.stats.map((s) => [s.rule_id, s.alerts]),
    set.map((r) => [r.rule.rule_id, 2]),
  );
});

test("a rule disabled in one partition shows as disabled while that partition runs here; removed rules are not listed", () => {
  const set = rules();
  const [single, sequence] = set;
  const p1 = partition(set, [exec(1, "h1", "sh")]);
  const failed: RuleTally = {
    stats: p1.stats.map((s) =>
      s.rule_id === sequence.rule.rule_id ? { ...s, errors: 1, disabled: true } : s,
    ),
    activity: p1.activity,
  };
  const healthy = partition(set, [exec(2, "h2", "sh")]);
  const tallies = new RuleTallies();

  const now = tallies.tally(set, [failed, healthy]);
  assert.equal(byRule(now, sequence).stats?.disabled, true);
  assert.equal(byRule(now, sequence).stats?.errors, 1);
  assert.equal(byRule(now, single).stats?.disabled, false);

  tallies.retire(failed);
  const later = tallies.tally(set, [healthy]);
  assert.equal(byRule(later, sequence).stats?.disabled, false, "a gauge of the live engines only");
  assert.equal(byRule(later, sequence).stats?.errors, 1, "a counter survives its partition");

  // the sequence rule is removed by a reload: its series goes, the other rule's stays
  const reloaded = tallies.tally([single], [healthy]);
  assert.deepEqual(
    reloaded.stats.map((s) => [s.rule_id, s.matches]),
    [[single.rule.rule_id, 2]],
  );
  assert.deepEqual(
    reloaded.activity.map((a) => a.rule_id),
    [single.rule.rule_id],
  );
});
