import assert from "node:assert/strict";
import { test } from "node:test";
import { jetstream } from "@nats-io/jetstream";
import type { Event } from "../../src/eql/field-access.ts";
import { encodeEventMessage } from "../../src/nats/event-message.ts";
import { openTopology } from "../../src/nats/topology.ts";
import { TICK_HEADER } from "../../src/worker/idle-tick.ts";
import { ruleToml } from "../rules/fixtures.ts";
import { natsServerMissing, startNatsConnected } from "./nats-server.ts";
import { readAlerts, ruleDir, WorkerProcess, waitCaughtUp } from "./worker-harness.ts";

test("an event carrying the idle-tick header is run as an event and reported, not taken for a tick (its body was ignored, uncounted)", {
  skip: natsServerMissing,
  timeout: 90_000,
}, async (t) => {
  const { cluster, nc } = await startNatsConnected(t);
  await openTopology(nc, { partitions: 1 });
  const dir = ruleDir(t, {
    "one.toml": ruleToml({
      rule: { index: '["logs-test*"]' },
      query: 'process where process.name == "hidden"',
    }),
  });
  const worker = WorkerProcess.start(t, "w-tick-header", [
    ...["--nats", cluster.urls[0], "--partitions", "1", "--rules", dir],
    ...["--checkpoint-interval", "200", "--no-watch-rules"],
  ]);
  await worker.waitFor(/partition taken over/);
  const event: Event = {
    "@timestamp": "2026-09-01T10:00:00.000Z",
    event: { category: ["process"], type: ["start"] },
    host: { id: "h1" },
    process: { name: "hidden" },
  };
  const message = encodeEventMessage(event, { source: "test", line: 1 }, 1);
  message.headers.set(TICK_HEADER, "not-a-worker");
  await jetstream(nc).publish(message.subject, message.body, { headers: message.headers });

  await waitCaughtUp(nc, 1, false);
  const alerts = await readAlerts(nc);
  assert.deepEqual(
    alerts.map((a) => a.alert["process.name"] ?? (a.alert.process as { name?: string })?.name),
    ["hidden"],
  );
  await worker.waitFor(/idle-tick header and a body: run as an event/);
  assert.equal(await worker.stop(), 0);
  const handedOver = worker.logs(/partition handed over/)[0] as { stats?: Record<string, number> };
  assert.equal(handedOver.stats?.ticks, 0);
  assert.equal(handedOver.stats?.events, 1);
  assert.equal(handedOver.stats?.tickHeaderEvents, 1);
});
