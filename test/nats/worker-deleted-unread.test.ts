import assert from "node:assert/strict";
import { test } from "node:test";
import type { Event } from "../../src/eql/field-access.ts";
import { EVENTS_STREAM } from "../../src/nats/topology.ts";
import { checkpointGap } from "../../src/worker/checkpoint-gap.ts";
import { natsServerMissing } from "./nats-server.ts";
import {
  metricValue,
  onePartitionOneRule,
  publishEvents,
  scrape,
  WorkerProcess,
  waitCaughtUp,
} from "./worker-harness.ts";

test("checkpointGap: the sequences deleted past a checkpoint; none for a partition never checkpointed", () => {
  assert.equal(checkpointGap(10, 11), undefined);
  assert.equal(checkpointGap(10, 5), undefined);
  assert.deepEqual(checkpointGap(10, 15), { from: 11, to: 14, sequences: 4 });
  assert.equal(checkpointGap(0, 500), undefined);
});

test("events deleted from the stream past a partition's checkpoint before any worker read them: the worker resuming says which, and counts them (it skipped them without a word)", {
  skip: natsServerMissing,
  timeout: 120_000,
}, async (t) => {
  const { nc, jsm, args } = await onePartitionOneRule(t, ["--metrics", "127.0.0.1:0"]);
  const event = (i: number): Event => ({
    "@timestamp": new Date(Date.parse("2026-09-01T10:00:00Z") + i * 1000).toISOString(),
    event: { category: ["process"], type: ["start"] },
    host: { id: "h1" },
    process: { name: "x", pid: i },
  });

  const first = WorkerProcess.start(t, "w-gap-1", args);
  await first.waitFor(/partition taken over/);
  await publishEvents(nc, [event(1)], 1);
  await waitCaughtUp(nc, 1, false);
  assert.equal(await first.stop(), 0);
  assert.equal(first.logs(/deleted .* before any worker read them/).length, 0);

  // stored while no worker runs, then deleted (as the max age would) but the last one
  await publishEvents(nc, [event(2), event(3), event(4)], 1);
  await jsm.streams.purge(EVENTS_STREAM, { seq: 4 });
  assert.equal((await jsm.streams.info(EVENTS_STREAM)).state.first_seq, 4);

  const second = WorkerProcess.start(t, "w-gap-2", args);
  const [warning] = await second.waitFor(/deleted 2 messages \(seq 2-3\) after this partition's checkpoint/);
  assert.equal(warning.partition, "p0");
  assert.deepEqual(warning.deleted, { from: 2, to: 3, sequences: 2 });
  const [listening] = (await second.waitFor(/^metrics at /)) as Array<{ url: string }>;
  await waitCaughtUp(nc, 1, false);
  const text = await scrape(listening.url);
  assert.equal(metricValue(text, "eqlite_worker_takeover_gaps_total"), 1);
  assert.equal(metricValue(text, "eqlite_worker_takeover_gap_sequences_total"), 2);
  assert.equal(await second.stop(), 0);
});
