import assert from "node:assert/strict";
import { test } from "node:test";
import type { ExecutableRule } from "../../src/rules/rule-set.ts";
import { ruleReach } from "../../src/server/rule-reach.ts";
import { loadToml, ruleToml } from "../rules/fixtures.ts";

function rule(query: string, extra: Record<string, string> = {}): ExecutableRule {
  const loaded = loadToml(ruleToml({ query, rule: { from: '"now-6m"', ...extra } }));
  assert.ok(loaded.rules[0]?.query, JSON.stringify(loaded.diagnostics));
  return loaded.rules[0] as ExecutableRule;
}

const MINUTE = 60_000_000_000n;
const INGESTED = { timestamp_override: '"event.ingested"' };
const reach = (r: ExecutableRule) => {
  const { timestampField, reachNs } = ruleReach(r);
  return { timestampField, minutes: Number(reachNs / MINUTE) };
};

test("a restart replays a rule's window where Kibana reads it: on timestamp_override for samples and sequences nothing else bounds", () => {
  const sample = "sample by host.id [process where true] [file where true]";
  const open = "sequence by host.id [process where true] [file where true]";
  assert.deepEqual(reach(rule(sample)), { timestampField: "@timestamp", minutes: 6 });
  assert.deepEqual(reach(rule(sample, INGESTED)), { timestampField: "event.ingested", minutes: 6 });
  assert.deepEqual(reach(rule(open)), { timestampField: "@timestamp", minutes: 6 });
  // an agent's backlog with old dates, ingested now, is one run's: its events must stay in the log
  assert.deepEqual(reach(rule(open, INGESTED)), { timestampField: "event.ingested", minutes: 6 });
});

test("a maxspan longer than the window reaches only the window when the window bounds event time", () => {
  const long = "sequence by host.id with maxspan=10m [process where true] [file where true]";
  assert.deepEqual(reach(rule(long)), { timestampField: "@timestamp", minutes: 6 });
  assert.deepEqual(reach(rule(long, INGESTED)), { timestampField: "@timestamp", minutes: 10 });
  const missing = "sequence by host.id with maxspan=10m [process where true] ![file where true]";
  assert.deepEqual(reach(rule(missing)), { timestampField: "@timestamp", minutes: 12 });
  const short = "sequence by host.id with maxspan=2m [process where true] [file where true]";
  assert.deepEqual(reach(rule(short)), { timestampField: "@timestamp", minutes: 2 });
});
