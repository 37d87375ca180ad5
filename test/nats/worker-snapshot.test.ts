import assert from "node:assert/strict";
import { test } from "node:test";
import { gzipSync } from "node:zlib";
import { loadRuleBundle } from "../../src/server/rule-bundle.ts";
import { HeldEvents } from "../../src/worker/held-events.ts";
import { planRules } from "../../src/worker/rule-plan.ts";
import { decodeSnapshot, encodeSnapshot, type Snapshot, SnapshotError } from "../../src/worker/snapshot.ts";
import { WORKER_DEFAULTS } from "../../src/worker/worker-settings.ts";
import { ruleToml } from "../rules/fixtures.ts";
import { ruleDir } from "./worker-harness.ts";

const MINUTE_NS = 60_000_000_000n;

test("a snapshot survives encode and decode, headers and odd keys included", async () => {
  const snapshot: Snapshot = {
    partition: "p7",
    seq: 42,
    storedAtMs: 1_790_000_000_123,
    ruleSetHash: "abc123",
    messages: [
      { seq: 3, storedAtMs: 1_790_000_000_000, index: "logs-x", id: "doc-3", body: '{"a":1}' },
      { seq: 40, storedAtMs: 1_790_000_000_100, body: '{"__proto__":{"polluted":true},"b":"é\\n"}' },
    ],
  };
  const decoded = await decodeSnapshot(await encodeSnapshot(snapshot));
  assert.deepEqual(decoded, snapshot);
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
  assert.deepEqual((await decodeSnapshot(await encodeSnapshot({ ...snapshot, messages: [] }))).messages, []);
});

test("a damaged snapshot is refused with what is wrong", async () => {
  const lines = (...l: string[]) => gzipSync(`${l.join("\n")}\n`);
  const header = (n: number) =>
    JSON.stringify({ version: 1, partition: "p1", seq: 10, storedAtMs: 5, ruleSetHash: "h", messages: n });
  await assert.rejects(decodeSnapshot(Buffer.from("nope"), "s"), /s: not gzip/);
  await assert.rejects(decodeSnapshot(lines('{"version":2}'), "s"), /version 2, expected 1/);
  await assert.rejects(
    decodeSnapshot(lines(header(2), '{"seq":1,"storedAtMs":1,"body":"{}"}'), "s"),
    /announces 2 messages, 1 follow/,
  );
  await assert.rejects(
    decodeSnapshot(lines(header(1), '{"seq":11,"storedAtMs":1,"body":"{}"}'), "s"),
    /out of order or after/,
  );
  await assert.rejects(
    decodeSnapshot(lines(header(1), '{"seq":1,"storedAtMs":1}'), "s"),
    /s:2: "body" must be a string/,
  );
  await assert.rejects(decodeSnapshot(lines(header(1), "[1]"), "s"), SnapshotError);
});

/** the stream's clock, after the events' times */
const AFTER_EVENTS = () => Date.UTC(2026, 8, 2);

test("held events keep what a long rule may still use and let go of what is past its reach", () => {
  const held = new HeldEvents(new Map([["@timestamp", 10n * MINUTE_NS]]), 0n, 100, AFTER_EVENTS);
  const at = (minute: number) => new Date(Date.UTC(2026, 8, 1, 10, minute)).toISOString();
  const note = (seq: number, minute: number | null) =>
    held.note(
      { seq, storedAtMs: seq, body: "{}" },
      minute === null ? { message: "untimed" } : { "@timestamp": at(minute) },
    );
  note(1, 0);
  note(2, 5);
  note(3, null);
  note(4, 9);
  assert.deepEqual(
    held.messages().map((m) => m.seq),
    [1, 2, 4],
  );
  note(5, 12); // minute 0 and earlier are now out of reach (12 - 10 = 2)
  assert.deepEqual(
    held.messages().map((m) => m.seq),
    [2, 4, 5],
  );
  note(6, 30);
  assert.deepEqual(
    held.messages().map((m) => m.seq),
    [6],
  );
});

test("an event dated far ahead of the clock does not put what came before it out of reach", () => {
  const held = new HeldEvents(new Map([["@timestamp", 10n * MINUTE_NS]]), 0n, 100, AFTER_EVENTS);
  held.note({ seq: 1, storedAtMs: 1, body: "{}" }, { "@timestamp": "2026-09-01T10:00:00Z" });
  // the rules leave it out: it is not kept, and the sequence begun at 10:00 may still take the next event
  held.note({ seq: 2, storedAtMs: 2, body: "{}" }, { "@timestamp": "2099-01-01T00:00:00Z" });
  held.note({ seq: 3, storedAtMs: 3, body: "{}" }, { "@timestamp": "2026-09-01T10:01:00Z" });
  assert.deepEqual(
    held.messages().map((m) => m.seq),
    [1, 3],
  );
});

test("held events of a rule windowed on event.ingested are judged on it, and on @timestamp for an event without it, as the rule's window is", () => {
  const held = new HeldEvents(new Map([["event.ingested", 10n * MINUTE_NS]]), 0n, 1000, AFTER_EVENTS);
  const ingested = (minute: number) => new Date(Date.UTC(2026, 8, 1, 10, minute)).toISOString();
  // an agent's backlog: dated hours before, ingested now
  held.note(
    { seq: 1, storedAtMs: 1, body: "{}" },
    { "@timestamp": "2026-09-01T06:00:00Z", event: { ingested: ingested(0) } },
  );
  // not stamped: windowed on its @timestamp
  held.note({ seq: 2, storedAtMs: 2, body: "{}" }, { "@timestamp": ingested(1) });
  held.note(
    { seq: 3, storedAtMs: 3, body: "{}" },
    { "@timestamp": "2026-09-01T06:05:00Z", event: { ingested: ingested(5) } },
  );
  assert.deepEqual(
    held.messages().map((m) => m.seq),
    [1, 2, 3],
  );
  held.note(
    { seq: 4, storedAtMs: 4, body: "{}" },
    { "@timestamp": "2026-09-01T06:06:00Z", event: { ingested: ingested(12) } },
  );
  assert.deepEqual(
    held.messages().map((m) => m.seq),
    [3, 4],
  );
});

test("held events are bounded in bytes: the oldest go first, and the loss is counted", () => {
  const held = new HeldEvents(new Map([["@timestamp", 1_000n * MINUTE_NS]]), 0n, 6, AFTER_EVENTS);
  for (let i = 1; i <= 5; i++)
    held.note({ seq: i, storedAtMs: i, body: "{}" }, { "@timestamp": `2026-09-01T10:0${i}:00Z` });
  assert.deepEqual(
    held.messages().map((m) => m.seq),
    [3, 4, 5],
  );
  assert.equal(held.overflowed, 2);
});

test("held events of a rule ordered by its own timestamp_field: an event without that field neither stays nor moves the newest time", async (t) => {
  const rule = ruleToml({
    rule: { timestamp_field: '"event.created"', index: '["logs-test*"]' },
    query: "sequence by host.id with maxspan=2h [process where true] [file where true]",
  });
  const settings = { ...WORKER_DEFAULTS, replayLimitMs: 30_000 };
  const { longReach } = planRules(await loadRuleBundle([ruleDir(t, { "r.toml": rule })], []), settings).host;
  const held = new HeldEvents(longReach, 0n, 1000, AFTER_EVENTS);
  held.note(
    { seq: 1, storedAtMs: 1, body: "{}" },
    { "@timestamp": "2026-09-01T10:00:00Z", event: { created: "2026-09-01T10:00:00Z" } },
  );
  // another source's event, hours later by @timestamp, without event.created: none of the rule's
  held.note({ seq: 2, storedAtMs: 2, body: "{}" }, { "@timestamp": "2026-09-01T14:00:00Z" });
  assert.deepEqual(
    held.messages().map((m) => m.seq),
    [1],
  );
});
