import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import type { AlertDocument } from "../../src/engine/alert.ts";
import { DetectionEngine, type RuleStats } from "../../src/engine/detection-engine.ts";
import { MAX_JSON_DEPTH } from "../../src/engine/json-tree.ts";
import type { Event } from "../../src/eql/field-access.ts";
import { loadRules } from "../../src/rules/load-rules.ts";
import { buildRuleSet, type RuleSet } from "../../src/rules/rule-set.ts";
import { simulate } from "../../src/sim/index.ts";

/**
 * Events come from outside: whatever an event holds, it must not stop a rule from seeing the
 * events after it. Simulated events, with hostile copies of some of them slipped in (values
 * too deep for an alert, of the wrong type, `__proto__` keys, huge numbers, …): no rule fails,
 * and every alert the events alone give is still given, for the rules whose alerts depend on
 * their own event only (single-event rules under max_signals).
 */

const rulesDir = new URL("../../rules", import.meta.url).pathname;

function tooDeep(): unknown {
  let value: unknown = "bottom";
  for (let i = 0; i < MAX_JSON_DEPTH + 2; i++) value = { nested: value };
  return value;
}

const HOSTILE_VALUES: Array<() => unknown> = [
  tooDeep,
  () => null,
  () => "",
  () => 1e308,
  () => -0,
  () => JSON.parse("123456789012345678901234567890"),
  () => true,
  () => [],
  () => ({}),
  () => [[["x"]]],
  () => [{ a: 1 }, { a: [2] }],
  () => JSON.parse('{"__proto__": {"polluted": true}}'),
  () => "\ud800",
  () => "2026-13-45T99:99:99Z",
  () => "x".repeat(100_000),
  () => ({ "a.b": 1, a: { b: 2 } }),
];

/** Paths of every value in the event, objects included. */
function paths(value: unknown, prefix: string[] = [], out: string[][] = []): string[][] {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return out;
  for (const key of Object.keys(value)) {
    out.push([...prefix, key]);
    paths((value as Record<string, unknown>)[key], [...prefix, key], out);
  }
  return out;
}

function setPath(event: Record<string, unknown>, path: string[], value: unknown): void {
  let node = event;
  for (const key of path.slice(0, -1)) {
    const next = node[key];
    if (next === null || typeof next !== "object" || Array.isArray(next)) return;
    node = next as Record<string, unknown>;
  }
  Object.defineProperty(node, path[path.length - 1], {
    value,
    enumerable: true,
    writable: true,
    configurable: true,
  });
}

function run(ruleSet: RuleSet, events: Event[]) {
  const alerts: AlertDocument[] = [];
  const alertedLines = new Set<number>();
  const ruleErrors: string[] = [];
  const engine = new DetectionEngine(ruleSet, {
    mode: "batch",
    now: new Date("2026-09-01T12:00:00Z"),
    onAlert: (alert, _rule, origins) => {
      alerts.push(alert);
      for (const origin of origins) alertedLines.add(origin.line);
    },
    onRuleError: (rule, error) => ruleErrors.push(`${rule.rule.name}: ${(error as Error).message}`),
  });
  events.forEach((event, i) => {
    engine.push(event, { source: "events.ndjson", line: i + 1 });
  });
  engine.finish();
  return { alerts, alertedLines: [...alertedLines], ruleErrors, stats: engine.ruleStats };
}

test("hostile events never fail a rule, nor take away the alerts of the other events", async () => {
  const loaded = await loadRules([rulesDir]);
  const ruleSet = buildRuleSet(loaded.rules);
  const alone = (stats: RuleStats) => {
    const rule = ruleSet.rules.find((r) => r.rule.rule_id === stats.rule_id)!;
    return rule.query.shape === "event" && !rule.rule.alert_suppression && stats.overLimit === 0;
  };
  // the property must have something to hold: alerts kept, and hostile events that matched
  let compared = 0;
  let alertErrors = 0;
  await fc.assert(
    fc.asyncProperty(
      fc.integer({ min: 1, max: 1_000 }),
      fc.array(
        fc.record({
          // a copy of an event that alerts, most of the time: hostile values where rules look
          ofAlerted: fc.integer({ min: 0, max: 3 }).map((n) => n > 0),
          source: fc.nat(),
          at: fc.nat(),
          changes: fc.array(
            fc.record({ path: fc.nat(), value: fc.nat({ max: HOSTILE_VALUES.length - 1 }) }),
            {
              minLength: 1,
              maxLength: 3,
            },
          ),
        }),
        { minLength: 1, maxLength: 12 },
      ),
      async (seed, hostiles) => {
        const events = [...simulate({ events: 1500, seed, attackRate: 0.3 })].map(
          (line) => JSON.parse(line) as Event,
        );
        const clean = run(ruleSet, events);
        const withHostile = [...events];
        for (const h of hostiles) {
          const alerted = clean.alertedLines;
          const source =
            h.ofAlerted && alerted.length ? alerted[h.source % alerted.length] - 1 : h.source % events.length;
          const copy = structuredClone(events[source]) as Record<string, unknown>;
          const where = paths(copy);
          for (const change of h.changes) {
            setPath(copy, where[change.path % where.length], HOSTILE_VALUES[change.value]());
          }
          withHostile.splice(h.at % (withHostile.length + 1), 0, copy);
        }
        const mixed = run(ruleSet, withHostile);
        assert.deepEqual(mixed.ruleErrors, []);
        assert.ok(mixed.stats.every((s) => !s.disabled && s.errors === 0));
        const ids = (alerts: AlertDocument[], rule: string) =>
          new Set(
            alerts
              .filter((a) => a["kibana.alert.rule.rule_id"] === rule)
              .map((a) => a["kibana.alert.uuid"] as string),
          );
        for (const stats of mixed.stats.filter(alone)) {
          const kept = ids(mixed.alerts, stats.rule_id);
          for (const id of ids(clean.alerts, stats.rule_id)) {
            assert.ok(kept.has(id), `${stats.name}: alert ${id} of the events alone is missing`);
            compared++;
          }
        }
        for (const stats of mixed.stats) alertErrors += stats.alertErrors;
      },
    ),
    { numRuns: 15 },
  );
  assert.ok(compared > 50, `only ${compared} alerts compared`);
  assert.ok(alertErrors > 0, "no hostile event reached an alert");
});
