import assert from "node:assert/strict";
import { test } from "node:test";
import { natsServerMissing } from "./nats-server.ts";
import { readAlerts, workerRetryingAnAlert } from "./worker-harness.ts";

test("a SIGHUP while a worker stops does not end it: the stop goes on and ends clean (exit 0)", {
  skip: natsServerMissing,
  timeout: 120_000,
}, async (t) => {
  // the stop waits for an alert the full alerts stream refuses, as long as the test wants
  const { nc, worker, storeAlerts } = await workerRetryingAnAlert(t, "w-stop-hup", [
    "--stop-timeout",
    "60000",
  ]);

  worker.signal("SIGTERM");
  await worker.waitFor(/stop requested: handing partitions over/);
  worker.signal("SIGHUP");
  await worker.waitFor(/SIGHUP while stopping: ignored/, 1, 10_000);
  await storeAlerts();
  assert.equal(await worker.exited, 0, worker.stderr.slice(-2000));
  assert.equal(worker.logs(/partition handed over/).length, 1);
  const alerts = await readAlerts(nc);
  assert.equal(alerts.filter((a) => a.alert["kibana.alert.rule.rule_id"] !== undefined).length, 1);
});
