import assert from "node:assert/strict";
import { test } from "node:test";
import { DiscardPolicy, jetstream } from "@nats-io/jetstream";
import { Kvm } from "@nats-io/kv";
import type { Event } from "../../src/eql/field-access.ts";
import { type CheckpointRecord, parseRecord } from "../../src/nats/records.ts";
import { ALERTS_STREAM, CHECKPOINTS_BUCKET } from "../../src/nats/topology.ts";
import { natsServerMissing } from "./nats-server.ts";
import {
  onePartitionOneRule,
  publishEvents,
  readAlerts,
  WorkerProcess,
  waitCaughtUp,
} from "./worker-harness.ts";

test("SIGTERM while the alerts stream refuses alerts: the stop ends after --stop-timeout (exit 1) without checkpointing past the unstored alert, and the next owner publishes it (the worker retried for ever)", {
  skip: natsServerMissing,
  timeout: 120_000,
}, async (t) => {
  const { nc, jsm, args } = await onePartitionOneRule(t, ["--stop-timeout", "3000"]);
  const first = WorkerProcess.start(t, "w-stop-1", args);
  await first.waitFor(/partition taken over/);

  // the alerts stream full, refusing new alerts
  const config = (await jsm.streams.info(ALERTS_STREAM)).config;
  await jsm.streams.update(ALERTS_STREAM, { ...config, max_msgs: 1, discard: DiscardPolicy.New });
  await jetstream(nc).publish("eqlite.alerts.filler", "{}");
  const event: Event = {
    "@timestamp": "2026-09-01T10:00:00.000Z",
    event: { category: ["process"], type: ["start"] },
    host: { id: "h1" },
    process: { name: "x" },
  };
  await publishEvents(nc, [event], 1);
  await first.waitFor(/publishing an alert failed; retrying/, 1, 20_000);

  const stoppedAt = Date.now();
  assert.equal(await first.stop(20_000), 1, "a stop cut short is not a clean one");
  assert.ok(Date.now() - stoppedAt < 15_000, `the stop took ${Date.now() - stoppedAt} ms`);
  const [failed] = first.logs(/partition failed/) as Array<{ reason?: string }>;
  assert.match(failed.reason ?? "", /did not finish within 3000 ms \(1 alerts not stored yet\)/);
  assert.equal(first.logs(/the stop did not finish in time/).length, 1);
  const checkpoints = await new Kvm(nc).open(CHECKPOINTS_BUCKET);
  const checkpoint = parseRecord<CheckpointRecord>((await checkpoints.get("p0"))?.value);
  assert.equal(checkpoint?.seq ?? 0, 0, "not checkpointed past the event whose alert is not stored");

  // room again: the next owner replays the event and publishes its alert
  await jsm.streams.update(ALERTS_STREAM, { ...config, max_msgs: -1, discard: DiscardPolicy.Old });
  const second = WorkerProcess.start(t, "w-stop-2", args);
  await second.waitFor(/partition taken over/);
  await waitCaughtUp(nc, 1, false);
  const alerts = await readAlerts(nc);
  assert.equal(alerts.filter((a) => a.alert["kibana.alert.rule.rule_id"] !== undefined).length, 1);
  assert.equal(await second.stop(), 0);
});
