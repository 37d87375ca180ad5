import assert from "node:assert/strict";
import { test } from "node:test";
import { DiscardPolicy, jetstream } from "@nats-io/jetstream";
import type { Event } from "../../src/eql/field-access.ts";
import { ALERTS_STREAM } from "../../src/nats/topology.ts";
import { natsServerMissing } from "./nats-server.ts";
import { onePartitionOneRule, publishEvents, readAlerts, WorkerProcess } from "./worker-harness.ts";

test("a SIGHUP while a worker stops does not end it: the stop goes on and ends clean (exit 0)", {
  skip: natsServerMissing,
  timeout: 120_000,
}, async (t) => {
  const { nc, jsm, args } = await onePartitionOneRule(t, ["--stop-timeout", "60000"]);
  const worker = WorkerProcess.start(t, "w-stop-hup", args);
  await worker.waitFor(/partition taken over/);

  // the alerts stream refuses alerts: the stop waits for its alert, as long as the test wants
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
  await worker.waitFor(/publishing an alert failed; retrying/, 1, 20_000);

  worker.signal("SIGTERM");
  await worker.waitFor(/stop requested: handing partitions over/);
  worker.signal("SIGHUP");
  await worker.waitFor(/SIGHUP while stopping: ignored/, 1, 10_000);
  await jsm.streams.update(ALERTS_STREAM, { ...config, max_msgs: -1, discard: DiscardPolicy.Old });
  assert.equal(await worker.exited, 0, worker.stderr.slice(-2000));
  assert.equal(worker.logs(/partition handed over/).length, 1);
  const alerts = await readAlerts(nc);
  assert.equal(alerts.filter((a) => a.alert["kibana.alert.rule.rule_id"] !== undefined).length, 1);
});
