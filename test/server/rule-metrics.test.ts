import assert from "node:assert/strict";
import { test } from "node:test";
import { freshRuleStats } from "../../src/engine/detection-engine.ts";
import { PrometheusText } from "../../src/server/prometheus.ts";
import { ruleMetrics } from "../../src/server/rule-metrics.ts";
import { ruleStatsDelta } from "../../src/server/rule-stats-recorder.ts";

const stats = (filtered: number, excepted = 0) => ({
  ...freshRuleStats({ rule_id: "r1", name: "Rule One", severity: "low" }),
  filtered,
  excepted,
});

test("events a rule's filters removed are a metric of their own, beside the excepted ones", () => {
  const out = new PrometheusText();
  ruleMetrics(out, [stats(3, 1)], []);
  const text = out.toString();
  assert.match(text, /^eqlite_rule_filtered_total\{rule_id="r1",rule="Rule One"\} 3$/m);
  assert.match(text, /^eqlite_rule_excepted_total\{rule_id="r1",rule="Rule One"\} 1$/m);
});

test("the filtered count is a counter: recorded and summed as a difference", () => {
  assert.equal(ruleStatsDelta(stats(3), stats(5)).filtered, 2);
  // lower than before: the engine started again
  assert.equal(ruleStatsDelta(stats(5), stats(1)).filtered, 1);
});

test("events left out for being dated ahead of the clock are a counter of their own", () => {
  const out = new PrometheusText();
  const activity = {
    rule_id: "r1",
    evaluated: 9,
    openSequences: 0,
    buffered: 0,
    late: 1,
    future: 2,
    evicted: 0,
    deferred: 0,
    sampleKeys: 0,
  };
  ruleMetrics(out, [stats(0)], [activity]);
  const text = out.toString();
  assert.match(text, /^# TYPE eqlite_rule_future_events_total counter$/m);
  assert.match(text, /^eqlite_rule_future_events_total\{rule_id="r1",rule="Rule One"\} 2$/m);
  assert.match(text, /^eqlite_rule_late_events_total\{rule_id="r1",rule="Rule One"\} 1$/m);
});
