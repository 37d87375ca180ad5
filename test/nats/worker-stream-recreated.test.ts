import assert from "node:assert/strict";
import { test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import type { Event } from "../../src/eql/field-access.ts";
import { EVENTS_STREAM, openTopology } from "../../src/nats/topology.ts";
import { checkpointPredatesStream } from "../../src/worker/checkpoint-gap.ts";
import { natsServerMissing } from "./nats-server.ts";
import {
  alertId,
  metricValue,
  onePartitionOneRule,
  publishEvents,
  readAlerts,
  scrape,
  WorkerProcess,
  waitCaughtUp,
} from "./worker-harness.ts";

test("checkpointPredatesStream: past the stream's last message, or stored before the stream was made", () => {
  const stream = { lastSeq: 3, createdMs: 1_000_000 };
  assert.equal(checkpointPredatesStream({ seq: 5, storedAtMs: 2_000_000 }, stream, 5_000), true);
  assert.equal(checkpointPredatesStream({ seq: 2, storedAtMs: 900_000 }, stream, 5_000), true);
  // within the clocks' margin, and a partition never checkpointed: not judged
  assert.equal(checkpointPredatesStream({ seq: 2, storedAtMs: 997_000 }, stream, 5_000), false);
  assert.equal(checkpointPredatesStream({ seq: 3, storedAtMs: 1_500_000 }, stream, 5_000), false);
  assert.equal(checkpointPredatesStream({ seq: 0, storedAtMs: 0 }, stream, 5_000), false);
});

test("a partition resumed over an events stream deleted and created again alerts on the new stream's events (its checkpoint's sequences had made them a replay, alerts suppressed)", {
  skip: natsServerMissing,
  timeout: 120_000,
}, async (t) => {
  const { nc, jsm, args } = await onePartitionOneRule(t, ["--metrics", "127.0.0.1:0"]);
  const event = (pid: number): Event => ({
    "@timestamp": new Date(Date.now() - 60_000 + pid * 100).toISOString(),
    event: { category: ["process"], type: ["start"] },
    host: { id: "h1" },
    process: { name: "x", pid },
  });

  const first = WorkerProcess.start(t, "w-recreated-1", args);
  await first.waitFor(/partition taken over/);
  await publishEvents(nc, [1, 2, 3, 4, 5].map(event), 1);
  await waitCaughtUp(nc, 1, false);
  assert.equal(await first.stop(), 0);
  assert.equal((await readAlerts(nc)).length, 5);

  // the events stream deleted and made again: its sequences start at 1 again
  await jsm.streams.delete(EVENTS_STREAM);
  await openTopology(nc, { partitions: 1 });
  await publishEvents(nc, [11, 12, 13].map(event), 1);
  assert.equal((await jsm.streams.info(EVENTS_STREAM)).state.last_seq, 3);

  const second = WorkerProcess.start(t, "w-recreated-2", args);
  const [warning] = await second.waitFor(/checkpoint counted an earlier events stream/);
  assert.equal(warning.partition, "p0");
  const [listening] = (await second.waitFor(/^metrics at /)) as Array<{ url: string }>;
  await waitCaughtUp(nc, 1, false);
  let alerts = await readAlerts(nc);
  for (let i = 0; i < 50 && alerts.length < 8; i++) {
    await sleep(200);
    alerts = await readAlerts(nc);
  }
  const pids = alerts.map((a) => (a.alert.process as { pid: number }).pid).sort((a, b) => a - b);
  assert.deepEqual(pids, [1, 2, 3, 4, 5, 11, 12, 13]);
  assert.equal(new Set(alerts.map((a) => alertId(a.alert))).size, 8);
  assert.equal(metricValue(await scrape(listening.url), "eqlite_worker_takeover_stream_recreated_total"), 1);
  assert.equal(await second.stop(), 0);
});
