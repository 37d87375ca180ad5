import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import test from "node:test";
import fc from "fast-check";
import { DetectionEngine, type RuleStats } from "../../src/engine/detection-engine.ts";
import { eventsThroughWorkers, type InputEvent } from "../../src/engine/match-workers.ts";
import { SpillBudget } from "../../src/eql/correlate/spill.ts";
import { createEventReader, type ReadStats } from "../../src/io/event-source.ts";
import { storedLineCodec } from "../../src/io/stored-lines.ts";
import { loadRuleText } from "../../src/rules/load-rule-text.ts";
import { buildRuleSet, type RuleSet } from "../../src/rules/rule-set.ts";
import { minimalEqlRule } from "./fixtures.ts";

/**
 * Match workers read each sequence rule's hit of an event (the terms it matches, its keys,
 * its time) and the main thread's sequences take the hit instead of the event. Random
 * sequence rules (keys, optional keys, maxspan, until, runs, missing events, tiebreakers,
 * timestamp fields) over random events (keys missing, in arrays, numbers; times out of
 * order, in several formats, missing, unreadable) must give the very alerts, in the same
 * order, and the same counts as the main thread alone.
 */

const dir = mkdtempSync(join(tmpdir(), "eqlite-worker-sequences-"));
test.after(() => rmSync(dir, { recursive: true, force: true }));

const NAMES = ["sh", "curl", "bash", "SH"];
const name = fc.constantFrom(...NAMES);
const termCondition = fc.oneof(
  name.map((n) => `process.name == "${n}"`),
  name.map((n) => `process.name : "${n}"`),
  fc.constantFrom('process.args : "-*"', "process.pid > 10", 'user.id != "0"', "length(process.name) > 3"),
  fc.constant("true"),
);
const category = fc.constantFrom("process", "file", "any", "any");
const term = fc
  .tuple(category, termCondition, fc.boolean())
  .map(([c, cond, runs]) => ({ body: `${c} where ${cond}`, runs }));
const sequence = fc
  .tuple(
    fc.constantFrom("", " by user.id", " by ?user.id", " by user.id, host.name"),
    fc.constantFrom("", " with maxspan=10s", " with maxspan=1m", " with maxspan=1m"),
    // a `by` of the terms' own: every term has one, the same fields' count
    fc.constantFrom("", "", " by host.ip", " by process.pid"),
    fc.array(term, { minLength: 2, maxLength: 3 }),
    fc.constantFrom("", "middle", "last"),
    fc.boolean(),
  )
  .map(([by, maxspan, termBy, terms, missing, until]) => {
    const parts = terms.map((t) => `[${t.body}]${termBy}${t.runs ? " with runs=2" : ""}`);
    // a missing event is decided by maxspan
    if (maxspan !== "" && missing === "middle" && terms.length === 3)
      parts[1] = `![${terms[1].body}]${termBy}`;
    if (maxspan !== "" && missing === "last") parts.push(`![process where process.name == "bash"]${termBy}`);
    const tail = until ? `\nuntil [file where process.name == "sh"]${termBy}` : "";
    return `sequence${by}${maxspan}\n  ${parts.join("\n  ")}${tail}`;
  });

const rule = fc.record({
  query: sequence,
  tiebreaker: fc.constantFrom(undefined, "event.sequence"),
  timestamp: fc.constantFrom(undefined, "event.created"),
});

function ruleSet(rules: Array<{ query: string; tiebreaker?: string; timestamp?: string }>): RuleSet {
  const text = rules
    .map((r, i) =>
      JSON.stringify(
        minimalEqlRule(i, r.query, {
          max_signals: 1000,
          ...(r.tiebreaker ? { tiebreaker_field: r.tiebreaker } : {}),
          ...(r.timestamp ? { timestamp_field: r.timestamp } : {}),
        }),
      ),
    )
    .join("\n");
  const loaded = loadRuleText(text, "rules.ndjson");
  const errors = loaded.diagnostics.filter((d) => d.severity === "error");
  assert.deepEqual(errors, [], "the generated rules load");
  return buildRuleSet(loaded.rules);
}

const time = fc.integer({ min: 0, max: 40 }).map((s) => Date.UTC(2026, 8, 1, 8, 0, 0) + s * 1000);
const event = fc.record(
  {
    at: time,
    format: fc.constantFrom("iso", "iso", "millis", "missing", "bad"),
    category: fc.constantFrom("process", "file", ["process", "file"]),
    name: fc.oneof(name, fc.constant(undefined)),
    user: fc.constantFrom("0", "0", 7, ["0", "1000"], undefined),
    host: fc.constantFrom("a", "b"),
    ip: fc.constantFrom("10.0.0.1", "10.0.0.1", "::1", ["10.0.0.1", "10.0.0.2"], undefined),
    pid: fc.integer({ min: 9, max: 12 }),
    sequence: fc.integer({ min: 0, max: 3 }),
  },
  { requiredKeys: ["at", "format", "category", "host", "pid", "sequence"] },
);

function line(e: typeof event extends fc.Arbitrary<infer T> ? T : never): string {
  const stamp =
    e.format === "iso"
      ? new Date(e.at).toISOString()
      : e.format === "millis"
        ? e.at
        : e.format === "bad"
          ? "yesterday"
          : undefined;
  return JSON.stringify({
    "@timestamp": stamp,
    event: { category: e.category, created: new Date(e.at + 250).toISOString(), sequence: e.sequence },
    process: { name: e.name, pid: e.pid, args: ["-i"] },
    user: { id: e.user },
    host: { name: e.host, ip: e.ip },
  });
}

interface Outcome {
  alerts: string[];
  stats: Array<Pick<RuleStats, "matches" | "alerts" | "errors">>;
}

/** `spillAfter`: held sequence events past this many are written to disk, and read back at the end. */
async function run(rules: RuleSet, input: AsyncIterable<InputEvent>, spillAfter?: number): Promise<Outcome> {
  const alerts: string[] = [];
  const budget = spillAfter === undefined ? undefined : new SpillBudget(spillAfter, dir);
  const engine = new DetectionEngine(rules, {
    mode: "batch",
    now: new Date("2026-09-01T09:00:00Z"),
    onAlert: (alert) => alerts.push(JSON.stringify(alert)),
    spill: budget && { budget, storedText: storedLineCodec() },
  });
  try {
    for await (const item of input) {
      if ("rules" in item) engine.pushSelected(item);
      else engine.push(item.event, item.origin, item.text);
    }
    engine.finish();
  } finally {
    budget?.close();
  }
  return {
    alerts,
    stats: engine.ruleStats.map(({ matches, alerts, errors }) => ({ matches, alerts, errors })),
  };
}

async function* mainThread(path: string) {
  const reader = createEventReader([path], { keepText: true });
  for await (const { event, source, line, text } of reader.events)
    yield { event, origin: { source, line }, text };
}

const stats = (): ReadStats => ({ events: 0, skipped: 0, problems: 0, bytes: 0, inputBytes: 0 });

/**
 * The workers send each hit's keys as JSON text, which the main thread holds as it is, writes
 * to disk as it is when it holds too many, and reads only when the event is released: with or
 * without writing to disk, the sequences must find what they find fed the events themselves.
 */
test("sequences fed by the workers' hits alert as when fed the events", async () => {
  let alerted = 0;
  await fc.assert(
    fc.asyncProperty(
      fc.array(rule, { minLength: 1, maxLength: 4 }),
      fc.array(event, { minLength: 10, maxLength: 150 }),
      fc.integer({ min: 300, max: 5000 }),
      fc.integer({ min: 1, max: 2 }),
      fc.option(fc.integer({ min: 1, max: 40 })),
      async (rules, events, blockBytes, workers, spillAfter) => {
        const set = ruleSet(rules);
        const path = join(dir, "events.ndjson");
        writeFileSync(path, `${events.map(line).join("\n")}\n`);
        const expected = await run(set, mainThread(path));
        const got = await run(
          set,
          eventsThroughWorkers(
            [path],
            set.rules,
            { workers, prefilter: true, blockBytes, onProblem: () => {} },
            stats(),
          ),
          spillAfter ?? undefined,
        );
        assert.deepEqual(got.stats, expected.stats);
        assert.deepEqual(got.alerts, expected.alerts);
        if (expected.alerts.length > 0) alerted++;
      },
    ),
    { numRuns: 30 },
  );
  // the property says something only if sequences complete in some runs
  assert.ok(alerted >= 3, `only ${alerted} runs alerted`);
});
