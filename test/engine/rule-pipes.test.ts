import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import test from "node:test";
import { DetectionEngine, type RuleStats } from "../../src/engine/detection-engine.ts";
import { eventsThroughWorkers } from "../../src/engine/match-workers.ts";
import { eqlSearch } from "../../src/eql/search.ts";
import { loadRuleText } from "../../src/rules/load-rule-text.ts";
import { buildRuleSet } from "../../src/rules/rule-set.ts";
import { minimalEqlRule } from "./fixtures.ts";

/**
 * A rule's query may end in `| head N` / `| tail N`. Kibana sends the query as written, so
 * Elasticsearch's answer, the rule's alerts, is what the pipes leave (and max_signals of that,
 * in the direction of the first pipe); the engine alerted every match up to max_signals.
 */

const CLOCK = Date.parse("2026-01-01T00:01:00Z");

/** Five process events a second apart, written out of time order. */
const EVENTS = [2, 0, 1, 4, 3].map((s) => ({
  "@timestamp": `2026-01-01T00:00:0${s}Z`,
  event: { category: "process" },
  n: s,
}));

function ruleSet(query: string, extra: Record<string, unknown> = {}) {
  return buildRuleSet(loadRuleText(JSON.stringify(minimalEqlRule(1, query, extra)), "rule.ndjson").rules);
}

function run(query: string, mode: "batch" | "follow", extra: Record<string, unknown> = {}) {
  const alerted: number[][] = [];
  const engine = new DetectionEngine(ruleSet(query, extra), {
    mode,
    now: new Date(CLOCK),
    clock: () => CLOCK,
    allowedLatenessMs: 10_000,
    onAlert: (alert) => {
      if (alert["kibana.alert.building_block_type"] !== undefined) return;
      const events = (alert["kibana.alert.ancestors"] as unknown[]).length;
      alerted.push(events === 1 ? [alert.n as number] : []);
    },
  });
  EVENTS.forEach((e, i) => {
    engine.push(e, { source: "events.ndjson", line: i + 1 });
  });
  engine.finish();
  return { alerted: alerted.flat().sort(), stats: engine.ruleStats[0] };
}

async function searched(query: string, size = 100) {
  const response = await eqlSearch(EVENTS, { query, size });
  return response.hits.events!.map((h) => h._source.n as number);
}

test("a batch alerts what the rule's pipes leave of its matches, as Elasticsearch answers the query", async () => {
  for (const [query, want] of [
    ["process where true | head 2", [0, 1]],
    ["process where true | tail 2", [3, 4]],
    ["process where true | head 3 | tail 1", [2]],
    ["process where true | tail 3 | head 1", [2]],
    ["process where true | head 0", []],
  ] as const) {
    const { alerted, stats } = run(query, "batch");
    assert.deepEqual(alerted, want, query);
    assert.deepEqual(await searched(query), want, query);
    // what a pipe leaves out is the query's answer, not matches over max_signals
    assert.equal(stats.overLimit, 0, query);
  }
});

test("max_signals cuts what the pipes leave, from the side of the first pipe", async () => {
  const { alerted, stats } = run("process where true | head 4", "batch", { max_signals: 2 });
  assert.deepEqual(alerted, [0, 1]);
  assert.deepEqual(await searched("process where true | head 4", 2), [0, 1]);
  assert.equal(stats.overLimit, 2);
  // the fourth match is the answer of `| head 4 | tail 1` though max_signals keeps the first two
  assert.deepEqual(run("process where true | head 4 | tail 1", "batch", { max_signals: 2 }).alerted, [3]);
  assert.deepEqual(run("process where true | tail 4", "batch", { max_signals: 2 }).alerted, [3, 4]);
});

test("a sequence rule's pipes count sequences, in the order they complete", () => {
  const alerts = (query: string) => {
    const shells: string[] = [];
    const engine = new DetectionEngine(ruleSet(query), {
      mode: "batch",
      now: new Date(CLOCK),
      onAlert: (alert, _rule, origins) => {
        if (alert["kibana.alert.building_block_type"] === undefined)
          shells.push(origins.map((o) => EVENTS[o.line - 1].n).join(","));
      },
    });
    EVENTS.forEach((e, i) => {
      engine.push(e, { source: "events.ndjson", line: i + 1 });
    });
    engine.finish();
    return shells;
  };
  assert.deepEqual(alerts("sequence [process where true] [process where true] | head 1"), ["0,1"]);
  assert.deepEqual(alerts("sequence [process where true] [process where true] | tail 1"), ["3,4"]);
});

test("with worker threads, the same", async () => {
  const dir = mkdtempSync(join(tmpdir(), "eqlite-pipes-"));
  try {
    const path = join(dir, "events.ndjson");
    writeFileSync(path, `${EVENTS.map((e) => JSON.stringify(e)).join("\n")}\n`);
    const rules = ruleSet("process where true | tail 2");
    const alerted: number[] = [];
    const engine = new DetectionEngine(rules, {
      mode: "batch",
      now: new Date(CLOCK),
      onAlert: (alert) => alerted.push(alert.n as number),
    });
    const stats = { events: 0, skipped: 0, problems: 0, bytes: 0, inputBytes: 0 };
    for await (const item of eventsThroughWorkers(
      [path],
      rules.rules,
      { workers: 1, prefilter: true, onProblem: () => {} },
      stats,
    )) {
      if ("rules" in item) engine.pushSelected(item);
      else engine.push(item.event, item.origin, item.text);
    }
    engine.finish();
    assert.deepEqual(alerted.sort(), [3, 4]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a stream alerts as many of each interval as the pipes leave, the first to come, as it does max_signals", () => {
  const counted = (r: { alerted: number[]; stats: RuleStats }) => [r.alerted, r.stats.overLimit];
  // a single-event match alerts as its event comes: the events 2 and 0 come first
  assert.deepEqual(counted(run("process where true | head 2", "follow")), [[0, 2], 3]);
  assert.deepEqual(counted(run("process where true | tail 2", "follow")), [[0, 2], 3]);
  assert.deepEqual(counted(run("process where true | head 3 | tail 1", "follow")), [[2], 4]);
});

test("a batch holds no more matches than the pipes and max_signals together can alert", () => {
  // `| tail N` with N far above max_signals alerts the last max_signals: only those need holding
  const events = 2_000;
  for (const [query, alerts, overLimit] of [
    ["process where true | tail 1000000", [events - 2, events - 1], events - 2],
    ["process where true | tail 1000 | tail 500", [events - 2, events - 1], 498],
    ["process where true | head 1000000", [0, 1], events - 2],
    ["process where true | head 100 | head 50", [0, 1], 48],
  ] as const) {
    const alerted: number[] = [];
    const engine = new DetectionEngine(ruleSet(query, { max_signals: 2 }), {
      mode: "batch",
      now: new Date(CLOCK),
      onAlert: (alert) => alerted.push(alert.n as number),
    });
    let most = 0;
    const held = () =>
      (engine as unknown as { states: Array<{ searches: Map<number, { pending: unknown[] }> }> }).states
        .flatMap((s) => [...s.searches.values()])
        .reduce((n, s) => n + s.pending.length, 0);
    for (let n = 0; n < events; n++) {
      const at = new Date(Date.parse("2026-01-01T00:00:00Z") + n).toISOString();
      engine.push({ "@timestamp": at, event: { category: "process" }, n }, { source: "e", line: n + 1 });
      most = Math.max(most, held());
    }
    engine.finish();
    assert.deepEqual(
      alerted.sort((a, b) => a - b),
      alerts,
      query,
    );
    assert.equal(engine.ruleStats[0].overLimit, overLimit, query);
    assert.ok(most <= 2 * 2 + 16, `${query}: held ${most} matches at once`);
  }
});
