import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { DetectionEngine } from "../../src/engine/detection-engine.ts";
import { loadRuleText } from "../../src/rules/load-rule-text.ts";
import { buildRuleSet } from "../../src/rules/rule-set.ts";
import { minimalEqlRule } from "./fixtures.ts";

/**
 * A batch scan alerts a rule's `max_signals` most recent matches (by time, then arrival) and
 * counts the rest, however many match and in whatever order they come — also when it lets the
 * older matches go as it reads, so as not to hold every match of a large input.
 */
test("batch: the most recent max_signals matches alert, the rest are counted", () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 6 }),
      fc.array(fc.record({ second: fc.integer({ min: 0, max: 30 }), matches: fc.boolean() }), {
        maxLength: 200,
        size: "max",
      }),
      (maxSignals, events) => {
        const set = buildRuleSet(
          loadRuleText(
            JSON.stringify(
              minimalEqlRule(1, 'process where process.name == "sh"', { max_signals: maxSignals }),
            ),
            "rule.ndjson",
          ).rules,
        );
        const alerted: number[] = [];
        const engine = new DetectionEngine(set, {
          mode: "batch",
          now: new Date("2026-09-01T12:00:00Z"),
          onAlert: (alert) => alerted.push(alert["kibana.alert.original_event.sequence"] as number),
        });
        events.forEach((e, i) => {
          engine.push(
            {
              "@timestamp": new Date(Date.UTC(2026, 8, 1, 10, 0, e.second)).toISOString(),
              event: { category: ["process"], sequence: i },
              process: { name: e.matches ? "sh" : "bash" },
            },
            { source: "events.ndjson", line: i + 1 },
          );
        });
        engine.finish();
        const matching = events
          .map((e, i) => ({ ...e, i }))
          .filter((e) => e.matches)
          .sort((a, b) => a.second - b.second || a.i - b.i);
        const expected = matching.slice(Math.max(0, matching.length - maxSignals)).map((e) => e.i);
        assert.deepEqual(alerted, expected);
        const [stats] = engine.ruleStats;
        assert.equal(stats.matches, matching.length);
        assert.equal(stats.overLimit, matching.length - expected.length);
      },
    ),
    { numRuns: 200 },
  );
});
