import assert from "node:assert/strict";
import { test } from "node:test";
import { DetectionEngine, type EventOrigin, type RuleStats } from "../../src/engine/detection-engine.ts";
import { MAX_JSON_DEPTH } from "../../src/engine/json-tree.ts";
import type { Event } from "../../src/eql/field-access.ts";
import { loadRuleText } from "../../src/rules/load-rule-text.ts";
import { buildRuleSet } from "../../src/rules/rule-set.ts";
import { minimalEqlRule } from "./fixtures.ts";

/**
 * An event can be valid JSON and still too deep for an alert to hold it (nested deeper than
 * JSON can be written back). Its match costs that one alert, reported with the event's place
 * and counted; the rule goes on. Before, the rule was disabled and, in a batch, every match it
 * had not alerted yet was lost: one hostile event could blind a rule.
 */

const tooDeep = (): unknown => {
  let value: unknown = "bottom";
  for (let i = 0; i < MAX_JSON_DEPTH + 5; i++) value = { nested: value };
  return value;
};

const at = (second: number) => new Date(Date.UTC(2026, 8, 1, 10, 0, second)).toISOString();

const exec = (second: number, name: string, extra: Record<string, unknown> = {}): Event => ({
  "@timestamp": at(second),
  event: { category: ["process"], type: ["start"] },
  host: { name: "node-1" },
  container: { id: "c1" },
  process: { name, pid: second },
  ...extra,
});

interface Run {
  alerts: number[];
  failed: Array<{ lines: number[]; message: string }>;
  stats: RuleStats;
}

function run(
  mode: "batch" | "follow",
  query: string,
  events: Event[],
  extra: Record<string, unknown> = {},
): Run {
  const loaded = loadRuleText(JSON.stringify(minimalEqlRule(1, query, extra)), "rule.ndjson");
  assert.deepEqual(
    loaded.diagnostics.filter((d) => d.severity === "error"),
    [],
  );
  const alerts: number[] = [];
  const failed: Run["failed"] = [];
  const engine = new DetectionEngine(buildRuleSet(loaded.rules), {
    mode,
    now: new Date("2026-09-01T12:00:00Z"),
    onAlert: (alert, _rule, origins) => {
      // building blocks of a sequence are left out: one number per match
      if (alert["kibana.alert.building_block_type"] === undefined) alerts.push(origins.at(-1)!.line);
    },
    onAlertError: (_rule, error, origins: EventOrigin[]) =>
      failed.push({ lines: origins.map((o) => o.line), message: (error as Error).message }),
    onRuleError: (_rule, error) => assert.fail(`the rule must not fail: ${(error as Error).message}`),
  });
  events.forEach((event, i) => {
    engine.push(event, { source: "events.ndjson", line: i + 1 });
  });
  engine.finish();
  return { alerts, failed, stats: engine.ruleStats[0] };
}

const deepMessage = `value nests deeper than ${MAX_JSON_DEPTH} levels`;

for (const mode of ["batch", "follow"] as const) {
  test(`${mode}: an event too deep to alert costs its own alert; the rule goes on`, () => {
    const events = [exec(1, "sh"), exec(2, "sh", { labels: tooDeep() }), exec(3, "sh"), exec(4, "bash")];
    const { alerts, failed, stats } = run(mode, 'process where process.name == "sh"', events);
    assert.deepEqual(alerts, [1, 3]);
    assert.deepEqual(failed, [{ lines: [2], message: deepMessage }]);
    assert.equal(stats.matches, 3);
    assert.equal(stats.alerts, 2);
    assert.equal(stats.alertErrors, 1);
    assert.equal(stats.errors, 0);
    assert.equal(stats.disabled, false);
  });

  test(`${mode}: a sequence holding such an event costs that sequence only`, () => {
    const events = [exec(1, "curl"), exec(2, "sh", { labels: tooDeep() }), exec(3, "curl"), exec(4, "sh")];
    const { alerts, failed, stats } = run(
      mode,
      'sequence by container.id [process where process.name == "curl"] [process where process.name == "sh"]',
      events,
    );
    assert.deepEqual(alerts, [4]);
    assert.deepEqual(failed, [{ lines: [1, 2], message: deepMessage }]);
    assert.equal(stats.matches, 2);
    assert.equal(stats.alertErrors, 1);
    assert.equal(stats.disabled, false);
  });

  test(`${mode}: with alert_suppression, an event too deep to alert alone costs its own alert`, () => {
    const events = [
      exec(1, "sh"),
      exec(2, "sh", { host: { name: tooDeep() } }),
      exec(3, "sh", { host: { name: "node-2" } }),
      exec(4, "sh"),
    ];
    const { alerts, failed, stats } = run(mode, 'process where process.name == "sh"', events, {
      alert_suppression: { group_by: ["host.name"], missing_fields_strategy: "doNotSuppress" },
    });
    // host.name holds no value: the deep event is not suppressed, it would alert alone; node-1
    // twice: the second is folded into the first
    assert.deepEqual(alerts, [1, 3]);
    assert.deepEqual(failed, [{ lines: [2], message: deepMessage }]);
    assert.equal(stats.alertErrors, 1);
    assert.equal(stats.suppressed, 1);
    assert.equal(stats.disabled, false);
  });
}
