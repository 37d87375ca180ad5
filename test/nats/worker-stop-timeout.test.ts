import assert from "node:assert/strict";
import { test } from "node:test";
import { Kvm } from "@nats-io/kv";
import { type CheckpointRecord, parseRecord } from "../../src/nats/records.ts";
import { CHECKPOINTS_BUCKET } from "../../src/nats/topology.ts";
import { natsServerMissing } from "./nats-server.ts";
import { readAlerts, WorkerProcess, waitCaughtUp, workerRetryingAnAlert } from "./worker-harness.ts";

test("SIGTERM while the alerts stream refuses alerts: the stop ends after --stop-timeout (exit 1) without checkpointing past the unstored alert, and the next owner publishes it (the worker retried for ever)", {
  skip: natsServerMissing,
  timeout: 120_000,
}, async (t) => {
  // the alerts stream full, refusing new alerts
  const {
    nc,
    args,
    worker: first,
    storeAlerts,
  } = await workerRetryingAnAlert(t, "w-stop-1", ["--stop-timeout", "3000"]);

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
  await storeAlerts();
  const second = WorkerProcess.start(t, "w-stop-2", args);
  await second.waitFor(/partition taken over/);
  await waitCaughtUp(nc, 1, false);
  const alerts = await readAlerts(nc);
  assert.equal(alerts.filter((a) => a.alert["kibana.alert.rule.rule_id"] !== undefined).length, 1);
  assert.equal(await second.stop(), 0);
});
