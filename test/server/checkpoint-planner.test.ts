import assert from "node:assert/strict";
import { test } from "node:test";
import type { DetectionEngine } from "../../src/engine/detection-engine.ts";
import { buildRuleSet } from "../../src/rules/rule-set.ts";
import { CheckpointPlanner, type RuleHolding } from "../../src/server/checkpoint-planner.ts";
import { orderingFields, ruleHoldings } from "../../src/server/rule-holdings.ts";
import { loadToml, ruleToml } from "../rules/fixtures.ts";

const S = 1_000_000_000n;
const at = (second: number) => ({
  "@timestamp": new Date(Date.UTC(2026, 8, 1, 10, 0, second)).toISOString(),
});
/** events as accepted, with where (and, when given, when) they came */
const accepted = (list: Record<string, unknown>[], receivedAt?: number) =>
  list.map((event, line) => ({ event, origin: { source: "test", line, receivedAt } }));
/** events at these seconds */
const events = (...seconds: number[]) => accepted(seconds.map(at));

function sequenceRule(overrides: Partial<RuleHolding> = {}): RuleHolding {
  return {
    rule_id: "seq",
    timestampField: "@timestamp",
    reachNs: 60n * S,
    hiddenState: false,
    waitsForTime: false,
    buffered: 0,
    openSequences: 0,
    deferred: 0,
    sampleKeys: 0,
    ...overrides,
  };
}

const settled = (n: number) => ({ issued: n, settled: n, firstDropped: null });

function planner() {
  return new CheckpointPlanner({ startSeq: 1, allowedLatenessMs: 2000, maxHoldMs: 1000 });
}

test("a rule that holds nothing needs nothing processed: the checkpoint is the first unprocessed seq", () => {
  const p = planner();
  p.track(1, 3, events(0, 1, 2), ["@timestamp"]);
  p.track(4, 6, events(3, 4, 5), ["@timestamp"]);
  assert.equal(p.plan([sequenceRule()], settled(0)), 1, "nothing processed yet");
  p.processed(1);
  assert.equal(p.plan([sequenceRule()], settled(0)), 4);
  p.processed(4);
  assert.equal(p.plan([sequenceRule()], settled(0)), 7);
  assert.equal(p.outstanding, 0, "batches behind the checkpoint are forgotten");
});

test("alerts on their way to a sink keep the checkpoint back until every sink took them", () => {
  const p = planner();
  p.track(1, 3, events(0, 1, 2), ["@timestamp"]);
  p.processed(1);
  // publish 5 was made before this look and is not settled yet
  assert.equal(p.plan([sequenceRule()], { issued: 5, settled: 4, firstDropped: null }), 1);
  assert.equal(p.plan([sequenceRule()], { issued: 5, settled: 5, firstDropped: null }), 4);
});

test("a sink that gave up on alerts pins the checkpoint: the next start replays them", () => {
  const p = planner();
  p.track(1, 3, events(0, 1, 2), ["@timestamp"]);
  p.processed(1);
  assert.equal(p.plan([sequenceRule()], { issued: 2, settled: 2, firstDropped: 2 }), 1);
  p.track(4, 6, events(3, 4, 5), ["@timestamp"]);
  p.processed(4);
  assert.equal(p.plan([sequenceRule()], { issued: 3, settled: 3, firstDropped: 2 }), 1);
});

test("partial sequences: events older than the newest minus lateness minus maxspan are no longer needed", () => {
  const p = planner();
  const partial = sequenceRule({ openSequences: 1 });
  p.track(1, 2, events(0, 10), ["@timestamp"]);
  p.track(3, 4, events(30, 50), ["@timestamp"]);
  p.track(5, 6, events(70, 80), ["@timestamp"]);
  for (const first of [1, 3, 5]) p.processed(first);
  // newest 80 s: 80 - 2 - 60 = 18 s; the first batch (up to 10 s) cannot be joined any more
  assert.equal(p.plan([partial], settled(0)), 3);
  p.track(7, 7, events(115), ["@timestamp"]);
  p.processed(7);
  // 115 - 62 = 53 s: the batch up to 50 s goes too, the one with 80 s stays
  assert.equal(p.plan([partial], settled(0)), 5);
});

test("an event dated far ahead of the clock does not count as the newest: the rules left it out", () => {
  // the clock reads 10:02; an event from 2099 would put every batch behind the rule's reach
  const p = new CheckpointPlanner({
    startSeq: 1,
    allowedLatenessMs: 2000,
    maxHoldMs: 1000,
    clock: () => Date.UTC(2026, 8, 1, 10, 2, 0),
  });
  const partial = sequenceRule({ openSequences: 1 });
  p.track(1, 2, events(0, 10), ["@timestamp"]);
  p.track(3, 4, accepted([{ "@timestamp": "2099-01-01T00:00:00.000Z" }, at(20)]), ["@timestamp"]);
  p.processed(1);
  p.processed(3);
  // newest 20 s: 20 - 62 < 0, so the sequence begun in the first batch may still be joined
  assert.equal(p.plan([partial], settled(0)), 1);
});

test("events waiting in a reorder buffer keep the bound the rule had, however far time moves on", () => {
  // A download and the payload it ran sit in the rule's buffer together; events that reach
  // the rule without matching it keep the stream from falling idle, and only the rule's next
  // match (or a flush) releases them and raises the alert. They must survive a crash until then.
  const p = planner();
  p.track(1, 2, events(0, 1), ["@timestamp"]);
  p.processed(1);
  assert.equal(p.plan([sequenceRule({ buffered: 2 })], settled(0)), 1);
  p.track(3, 3, events(100), ["@timestamp"]);
  p.track(4, 4, events(200), ["@timestamp"]);
  p.processed(3);
  p.processed(4);
  assert.equal(
    p.plan([sequenceRule({ buffered: 2 })], settled(0)),
    1,
    "frozen while the buffer holds events",
  );
  // released (the alert went out with publish 1): judged by time again, 200 - 62 = 138 s
  assert.equal(p.plan([sequenceRule({ openSequences: 1 })], settled(1)), 4);
});

test("a buffer that never empties is released after maxHoldMs, and its clock starts again", () => {
  const p = planner();
  const held = [sequenceRule({ buffered: 1 })];
  assert.equal(p.takeOverdue(held, 10_000), false);
  assert.equal(p.takeOverdue(held, 10_900), false);
  assert.equal(p.takeOverdue(held, 11_000), true);
  assert.equal(p.takeOverdue(held, 11_500), false, "the clock started again");
  assert.equal(p.takeOverdue([sequenceRule({ buffered: 1, waitsForTime: true })], 99_000), false);
});

test("chains waiting for time (a trailing missing event) keep the bound; hidden state never counts as empty", () => {
  const p = planner();
  p.track(1, 2, events(0, 1), ["@timestamp"]);
  p.processed(1);
  assert.equal(p.plan([sequenceRule({ deferred: 1 })], settled(0)), 1);
  p.track(3, 3, events(300), ["@timestamp"]);
  p.processed(3);
  // a sequence with a missing event shows no counts, yet remembers when the missing events happened
  const missing = sequenceRule({ hiddenState: true, reachNs: 120n * S });
  assert.equal(p.plan([missing], settled(0)), 3, "300 - 2 - 120 s: only the last batch is within reach");
});

test("a rule added by a reload holds only events pushed since the last look", () => {
  const p = planner();
  p.track(1, 2, events(0, 1), ["@timestamp"]);
  p.processed(1);
  assert.equal(p.plan([sequenceRule()], settled(0)), 3);
  p.track(3, 4, events(2, 3), ["@timestamp"]);
  p.processed(3);
  const added = sequenceRule({ rule_id: "new", buffered: 1 });
  assert.equal(
    p.plan([sequenceRule(), added], settled(0)),
    3,
    "frozen at the first seq unprocessed at the last look",
  );
});

test("a replayed event is judged against when it was received, not the clock of the replay: one the rules left out is not the newest", () => {
  // the replay runs at 10:30; the event dated 10:05 came at 10:02, three minutes ahead of that
  const p = new CheckpointPlanner({
    startSeq: 1,
    allowedLatenessMs: 2000,
    maxHoldMs: 1000,
    clock: () => Date.UTC(2026, 8, 1, 10, 30, 0),
  });
  const partial = sequenceRule({ openSequences: 1 });
  p.track(1, 2, events(0, 10), ["@timestamp"]);
  const ahead = { "@timestamp": new Date(Date.UTC(2026, 8, 1, 10, 5, 0)).toISOString() };
  p.track(3, 3, accepted([ahead], Date.UTC(2026, 8, 1, 10, 2, 0)), ["@timestamp"]);
  p.processed(1);
  p.processed(3);
  // newest 10 s, not 10:05: the sequence begun in the first batch may still be joined
  assert.equal(p.plan([partial], settled(0)), 1);
});

test("a rule windowed on event.ingested reads an event without it on @timestamp, as its window does", () => {
  const p = planner();
  const byIngested = sequenceRule({ timestampField: "event.ingested", openSequences: 1 });
  // serve told not to stamp event.ingested: the first batch has only @timestamp
  p.track(1, 1, events(0), ["event.ingested"]);
  p.track(2, 2, accepted([{ ...at(30), event: { ingested: "2026-09-01T10:00:40Z" } }]), ["event.ingested"]);
  p.processed(1);
  p.processed(2);
  // newest 40 s: 40 - 62 < 0, so the sequence begun with the first batch's event may still be joined
  assert.equal(p.plan([byIngested], settled(0)), 1);
});

test("a batch whose times were not read for the rule's field is kept", () => {
  const p = planner();
  p.track(1, 2, accepted([{ "event.created": "2026-09-01T10:00:00Z" }]), ["@timestamp"]);
  p.processed(1);
  const byCreated = sequenceRule({ timestampField: "event.created", openSequences: 1 });
  p.track(3, 3, accepted([{ "event.created": "2026-09-01T11:00:00Z" }]), ["@timestamp", "event.created"]);
  p.processed(3);
  assert.equal(p.plan([byCreated], settled(0)), 1);
});

test("a rule ordered by its own timestamp_field: an event without that field does not move its newest time on @timestamp", () => {
  const loaded = loadToml(
    ruleToml({
      query: "sequence by host.id with maxspan=1m [process where true] [file where true]",
      rule: { from: '"now-6m"', timestamp_field: '"event.created"' },
    }),
  );
  assert.ok(loaded.rules[0]?.query, JSON.stringify(loaded.diagnostics));
  const ruleSet = buildRuleSet(loaded.rules);
  const [holding] = ruleHoldings({
    rules: ruleSet,
    activity: () => [{ buffered: 0, openSequences: 1, deferred: 0, sampleKeys: 0 }],
  } as unknown as DetectionEngine);
  const p = planner();
  const fields = orderingFields(ruleSet);
  // the sequence begins at 10:00 by event.created
  p.track(1, 1, accepted([{ ...at(0), event: { created: "2026-09-01T10:00:00Z" } }]), fields);
  // another source's event, an hour later by @timestamp, has no event.created: no event of the rule
  p.track(2, 2, accepted([{ "@timestamp": "2026-09-01T11:00:00Z" }]), fields);
  p.processed(1);
  p.processed(2);
  // the newest by event.created is still 10:00: the partial's event must stay in the log
  assert.equal(p.plan([holding], settled(0)), 1);
});
