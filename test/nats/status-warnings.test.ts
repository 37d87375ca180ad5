import assert from "node:assert/strict";
import { test } from "node:test";
import type { PartitionStatus } from "../../src/nats/cluster-status.ts";
import { deploymentWarnings, STALLED_AFTER_MS } from "../../src/nats/status-warnings.ts";
import type { MemberRecord } from "../../src/worker/membership.ts";

function row(p: number, lag: number, extra: Partial<PartitionStatus> = {}): PartitionStatus {
  return { partition: p, key: `p${p}`, messages: lag, lag, lagExact: true, ...extra };
}

const owner = (worker: string) => ({ worker, since: 0, revision: 1, renewedAgoMs: 1_000 });
const checkpoint = (writtenAgoMs: number) => ({
  seq: 10,
  storedAtMs: 0,
  epoch: 1,
  worker: "w1",
  writtenAgoMs,
});

function worker(name: string, hash: string): MemberRecord {
  return {
    worker: name,
    since: 0,
    beatAt: 0,
    pid: 1,
    hostname: "h",
    version: "0.1.0",
    partitions: 4,
    owned: [],
    rules: {
      hash,
      rules: 1,
      hostRules: 1,
      globalRules: 0,
      global: [],
      long: [],
      hostLookbackMs: 0,
      globalLookbackMs: 0,
    },
    counters: { events: 0, alerts: 0, suppressed: 0, bad: 0, fenced: 0 },
  };
}

test("a healthy deployment: owned, checkpointing, one rule set; unowned partitions without events are fine", () => {
  const rows = [
    row(0, 12, { owner: owner("w1"), checkpoint: checkpoint(800) }),
    row(1, 0, { owner: owner("w2"), checkpoint: checkpoint(STALLED_AFTER_MS * 10) }),
    row(2, 0),
  ];
  assert.deepEqual(
    deploymentWarnings(rows, [worker("w1", "a".repeat(64)), worker("w2", "a".repeat(64))]),
    [],
  );
});

test("events that no worker owns are named, with how many wait (an estimate as an upper bound)", () => {
  const rows = [
    row(0, 5, { owner: owner("w1"), checkpoint: checkpoint(500) }),
    row(1, 3),
    row(2, 0),
    row(3, 4, { lagExact: false, checkpoint: checkpoint(500) }),
  ];
  assert.deepEqual(deploymentWarnings(rows, [worker("w1", "abc")]), [
    `events wait in 2 partitions (p1, p3: up to 7 events) that no worker owns: look for "partition failed" or "taking the lease failed" in the workers' logs`,
  ]);
  // none running at all
  assert.deepEqual(deploymentWarnings([row(0, 1), row(1, 0)], []), [
    "events wait in 1 partition (p0: 1 event) and no worker is running: start eqlite worker",
  ]);
  // many: the first eight by name
  const many = Array.from({ length: 20 }, (_, p) => row(p, 1_000));
  assert.match(
    deploymentWarnings(many, [worker("w1", "abc")])[0],
    /^events wait in 20 partitions \(p0, p1, p2, p3, p4, p5, p6, p7 and 12 more: 20,000 events\)/,
  );
});

test("an owner that has not checkpointed for minutes while events wait is called out", () => {
  const rows = [
    row(0, 250, { owner: owner("w1"), checkpoint: checkpoint(STALLED_AFTER_MS + 65_000) }),
    row(1, 250, { owner: owner("w1"), checkpoint: checkpoint(STALLED_AFTER_MS - 1) }),
  ];
  assert.deepEqual(deploymentWarnings(rows, [worker("w1", "abc")]), [
    "p0: 250 events wait, and its owner w1 has not checkpointed for 3m05s: it is stuck or slower than its input",
  ]);
});

test("workers on different rule sets: each set's hash with its workers", () => {
  const a = "0123456789abcdef".repeat(4);
  const b = "fedcba9876543210".repeat(4);
  const warnings = deploymentWarnings([], [worker("w1", a), worker("w2", b), worker("w3", a)]);
  assert.deepEqual(warnings, [
    `the workers run 2 different rule sets (0123456789ab on w1, w3; fedcba987654 on w2): a rollout under way, or a reload refused on some ("rule reload refused" in their logs)`,
  ]);
  // a record of another version, without a rule summary, is a set of its own
  const odd = { ...worker("w4", a), rules: undefined } as unknown as MemberRecord;
  assert.match(deploymentWarnings([], [worker("w1", a), odd])[0], /\(unknown\) on w4/);
});
