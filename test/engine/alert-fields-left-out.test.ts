import assert from "node:assert/strict";
import { test } from "node:test";
import { DetectionEngine } from "../../src/engine/detection-engine.ts";
import type { Event } from "../../src/eql/field-access.ts";
import { loadRuleText } from "../../src/rules/load-rule-text.ts";
import { buildRuleSet } from "../../src/rules/rule-set.ts";
import { minimalEqlRule } from "./fixtures.ts";

/**
 * An alert leaves out the source fields the alerts index's ECS mapping cannot hold, as Kibana
 * does; the engine says which, where they were read, once per rule and field, so a field does
 * not vanish from alerts unnoticed.
 */

const exec = (second: number, name: string, extra: Record<string, unknown> = {}): Event => ({
  "@timestamp": new Date(Date.UTC(2026, 8, 1, 10, 0, second)).toISOString(),
  event: { category: ["process"], type: ["start"] },
  host: { name: "node-1" },
  container: { id: "c1" },
  process: { name, pid: second },
  ...extra,
});

function leftOut(query: string, events: Event[]): Array<{ rule: string; paths: string[]; lines: number[] }> {
  const loaded = loadRuleText(
    [minimalEqlRule(1, query), minimalEqlRule(2, query)].map((r) => JSON.stringify(r)).join("\n"),
    "rules.ndjson",
  );
  assert.equal(loaded.rules.length, 2);
  const told: Array<{ rule: string; paths: string[]; lines: number[] }> = [];
  const engine = new DetectionEngine(buildRuleSet(loaded.rules), {
    mode: "batch",
    now: new Date("2026-09-01T12:00:00Z"),
    onAlert: () => {},
    onAlertFieldsLeftOut: (rule, paths, origins) =>
      told.push({ rule: rule.rule.rule_id, paths, lines: origins.map((o) => o.line) }),
  });
  events.forEach((event, i) => {
    engine.push(event, { source: "events.ndjson", line: i + 1 });
  });
  engine.finish();
  return told;
}

test("fields an alert leaves out are told once per rule and field, with where they were read", () => {
  const events = [
    exec(1, "sh"),
    exec(2, "sh", { "process.pid": "n/a", host: { name: { first: "node-1" } } }),
    exec(3, "sh", { "process.pid": "n/a" }),
    exec(4, "sh", { "user.id": { x: 1 }, "process.pid": "n/a" }),
  ];
  const told = leftOut('process where process.name == "sh"', events);
  const rules = [...new Set(told.map((t) => t.rule))];
  assert.equal(rules.length, 2, "each rule tells its own");
  for (const rule of rules) {
    assert.deepEqual(
      told.filter((t) => t.rule === rule).map(({ paths, lines }) => ({ paths, lines })),
      [
        { paths: ["host.name", "process.pid"], lines: [2] },
        { paths: ["user.id"], lines: [4] },
      ],
    );
  }
});

test("a sequence tells the fields its alerts leave out, with the sequence's events", () => {
  const events = [exec(1, "curl", { "process.pid": "n/a" }), exec(2, "sh")];
  const told = leftOut(
    'sequence by container.id [process where process.name == "curl"] [process where process.name == "sh"]',
    events,
  );
  assert.equal(new Set(told.map((t) => t.rule)).size, 2, "once for each rule");
  for (const { paths, lines } of told)
    assert.deepEqual({ paths, lines }, { paths: ["process.pid"], lines: [1, 2] });
});
