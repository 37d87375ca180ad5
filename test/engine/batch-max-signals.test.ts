import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { gzipSync } from "node:zlib";
import fc from "fast-check";
import { DetectionEngine } from "../../src/engine/detection-engine.ts";
import { eventsThroughWorkers } from "../../src/engine/match-workers.ts";
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

/**
 * Through match workers, a batch holds a single-event rule's matches as their text and the
 * time the worker read, and parses only those that alert: the same matches must alert, chosen
 * by the rule's own timestamp field (an event without one sorts first), as when the engine
 * parses every event itself — from a plain file (whose lines are read again where they lie)
 * and from a compressed one (whose lines the workers send back).
 */
test("batch through match workers: the newest max_signals by the rule's timestamp field alert, as on one thread", async () => {
  const dir = mkdtempSync(join(tmpdir(), "eqlite-max-signals-"));
  try {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 5 }),
        fc.array(
          fc.record({
            second: fc.integer({ min: 0, max: 30 }),
            created: fc.option(fc.integer({ min: 0, max: 30 })),
            matches: fc.boolean(),
          }),
          { minLength: 1, maxLength: 150 },
        ),
        fc.integer({ min: 256, max: 4096 }),
        fc.boolean(),
        async (maxSignals, events, blockBytes, compressed) => {
          const set = buildRuleSet(
            loadRuleText(
              JSON.stringify(
                minimalEqlRule(1, 'process where process.name == "sh"', {
                  max_signals: maxSignals,
                  timestamp_field: "event.created",
                }),
              ),
              "rule.ndjson",
            ).rules,
          );
          const at = (second: number) => new Date(Date.UTC(2026, 8, 1, 10, 0, second)).toISOString();
          const lines = events.map((e, i) =>
            JSON.stringify({
              "@timestamp": at(e.second),
              event: {
                category: ["process"],
                sequence: i,
                ...(e.created === null ? {} : { created: at(e.created) }),
              },
              process: { name: e.matches ? "sh" : "bash" },
            }),
          );
          const path = join(dir, compressed ? "events.ndjson.gz" : "events.ndjson");
          const text = `${lines.join("\n")}\n`;
          writeFileSync(path, compressed ? gzipSync(text) : text);

          const scan = async (throughWorkers: boolean) => {
            const alerted: number[] = [];
            const engine = new DetectionEngine(set, {
              mode: "batch",
              now: new Date("2026-09-01T12:00:00Z"),
              onAlert: (alert) => alerted.push(alert["kibana.alert.original_event.sequence"] as number),
            });
            if (throughWorkers) {
              const stats = { events: 0, skipped: 0, problems: 0, bytes: 0, inputBytes: 0 };
              const input = eventsThroughWorkers(
                [path],
                set.rules,
                { workers: 2, prefilter: true, blockBytes, onProblem: () => {} },
                stats,
              );
              for await (const item of input) {
                assert.ok("rules" in item, "a file of NDJSON lines goes through the workers");
                engine.pushSelected(item);
              }
            } else {
              for (const [i, line] of lines.entries())
                engine.push(JSON.parse(line), { source: path, line: i + 1 });
            }
            engine.finish();
            const [{ matches, overLimit }] = engine.ruleStats;
            return { alerted, matches, overLimit };
          };

          const untimed = -1;
          const matching = events
            .map((e, i) => ({ time: e.created ?? untimed, i, matches: e.matches }))
            .filter((e) => e.matches)
            .sort((a, b) => a.time - b.time || a.i - b.i);
          const expected = matching.slice(Math.max(0, matching.length - maxSignals)).map((e) => e.i);
          const onOneThread = await scan(false);
          assert.deepEqual(onOneThread, {
            alerted: expected,
            matches: matching.length,
            overLimit: matching.length - expected.length,
          });
          assert.deepEqual(await scan(true), onOneThread);
        },
      ),
      { numRuns: 12 },
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a run writes Kibana's 1,000 alerts at most, whatever max_signals, unless told otherwise", () => {
  const set = buildRuleSet(
    loadRuleText(
      JSON.stringify(minimalEqlRule(1, 'process where process.name == "sh"', { max_signals: 5000 })),
      "rule.ndjson",
    ).rules,
  );
  const alertsWith = (maxAlertsPerRun?: number) => {
    let alerts = 0;
    const engine = new DetectionEngine(set, {
      mode: "batch",
      now: new Date("2026-09-01T12:00:00Z"),
      maxAlertsPerRun,
      onAlert: () => alerts++,
    });
    for (let i = 0; i < 1200; i++) {
      engine.push(
        {
          "@timestamp": new Date(Date.UTC(2026, 8, 1, 10, 0, 0, i)).toISOString(),
          event: { category: ["process"] },
          process: { name: "sh", pid: i },
        },
        { source: "events.ndjson", line: i + 1 },
      );
    }
    engine.finish();
    return [alerts, engine.ruleStats[0].overLimit];
  };
  assert.deepEqual(alertsWith(), [1000, 200]);
  assert.deepEqual(alertsWith(5000), [1200, 0]);
});

test("batch: a sample rule alerts its first max_signals samples in key order, as Elasticsearch cuts samples at size", () => {
  const set = buildRuleSet(
    loadRuleText(
      JSON.stringify(
        minimalEqlRule(1, "sample by host.id [process where true] [network where true]", { max_signals: 2 }),
      ),
      "rule.ndjson",
    ).rules,
  );
  const shells: string[] = [];
  const engine = new DetectionEngine(set, {
    mode: "batch",
    now: new Date("2026-09-01T12:00:00Z"),
    onAlert: (alert) => {
      if (alert["kibana.alert.building_block_type"] === undefined)
        shells.push((alert.host as { id: string }).id);
    },
  });
  let line = 0;
  ["d", "b", "c", "a"].forEach((host, i) => {
    for (const category of ["process", "network"]) {
      engine.push(
        {
          "@timestamp": new Date(Date.UTC(2026, 8, 1, 10, 0, i)).toISOString(),
          event: { category: [category] },
          host: { id: host },
        },
        { source: "events.ndjson", line: ++line },
      );
    }
  });
  engine.finish();
  assert.deepEqual(shells, ["a", "b"]);
  assert.equal(engine.ruleStats[0].overLimit, 2);
});

test("batch with suppression: the groups fold the last max_signals matches, the hits Kibana's search returns, not every match", () => {
  const set = buildRuleSet(
    loadRuleText(
      JSON.stringify(
        minimalEqlRule(1, 'process where process.name == "sh"', {
          max_signals: 2,
          alert_suppression: { group_by: ["host.name"] },
        }),
      ),
      "rule.ndjson",
    ).rules,
  );
  const alerts: Array<Record<string, unknown>> = [];
  const engine = new DetectionEngine(set, {
    mode: "batch",
    now: new Date("2026-09-01T12:00:00Z"),
    onAlert: (alert) => alerts.push(alert),
  });
  ["h1", "h2", "h1", "h1"].forEach((host, i) => {
    engine.push(
      {
        "@timestamp": new Date(Date.UTC(2026, 8, 1, 10, 0, i)).toISOString(),
        event: { category: ["process"], sequence: i },
        host: { name: host },
        process: { name: "sh" },
      },
      { source: "events.ndjson", line: i + 1 },
    );
  });
  engine.finish();
  // the search returns the matches of seconds 2 and 3, both h1's: one alert, h2's match is over max_signals
  assert.deepEqual(
    alerts.map((a) => [a["kibana.alert.original_event.sequence"], a["kibana.alert.suppression.docs_count"]]),
    [[2, 1]],
  );
  const [stats] = engine.ruleStats;
  assert.equal(stats.overLimit, 2);
});
