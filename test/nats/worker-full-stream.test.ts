import assert from "node:assert/strict";
import { test } from "node:test";
import { jetstreamManager } from "@nats-io/jetstream";
import type { Event } from "../../src/eql/field-access.ts";
import { EVENTS_STREAM, openTopology } from "../../src/nats/topology.ts";
import { ruleToml } from "../rules/fixtures.ts";
import { natsServerMissing, startNatsConnected } from "./nats-server.ts";
import { publishEvents, readAlerts, ruleDir, WorkerProcess } from "./worker-harness.ts";

test("a full events stream refuses the idle tick that would release a sequence's last event: the worker says so, once, and the alert comes once the stream takes messages again", {
  skip: natsServerMissing,
  timeout: 90_000,
}, async (t) => {
  const { cluster, nc } = await startNatsConnected(t);
  await openTopology(nc, { partitions: 1 });
  const jsm = await jetstreamManager(nc);
  // room for the two events of the sequence and nothing more
  const config = (await jsm.streams.info(EVENTS_STREAM)).config;
  await jsm.streams.update(EVENTS_STREAM, { ...config, max_msgs: 2 });
  const dir = ruleDir(t, {
    "pair.toml": ruleToml({
      rule: { index: '["logs-test*"]' },
      query: 'sequence by host.id [process where process.name == "a"] [process where process.name == "b"]',
    }),
  });
  const worker = WorkerProcess.start(t, "w-full", [
    ...["--nats", cluster.urls[0], "--partitions", "1", "--rules", dir],
    ...["--checkpoint-interval", "200", "--idle-flush", "200", "--no-watch-rules"],
  ]);
  await worker.waitFor(/partition taken over/);
  const at = Date.parse("2026-09-01T10:00:00Z");
  const event = (name: string, ms: number): Event => ({
    "@timestamp": new Date(at + ms).toISOString(),
    event: { category: ["process"], type: ["start"] },
    host: { id: "h1" },
    process: { name },
  });
  await publishEvents(nc, [event("a", 0), event("b", 1_000)], 1);

  await worker.waitFor(/an idle tick was not stored/, 1, 20_000);
  assert.equal((await jsm.streams.info(EVENTS_STREAM)).state.messages, 2);
  assert.equal((await jsm.streams.info("EQLITE_ALERTS")).state.messages, 0, "the held event waits");
  // said once while the stream stays full, not at every tick
  await new Promise((resolve) => setTimeout(resolve, 2_000));
  assert.equal(worker.logs(/an idle tick was not stored/).length, 1);

  await jsm.streams.update(EVENTS_STREAM, { ...config, max_msgs: -1 });
  const deadline = Date.now() + 20_000;
  while ((await jsm.streams.info("EQLITE_ALERTS")).state.messages < 3 && Date.now() < deadline)
    await new Promise((resolve) => setTimeout(resolve, 200));
  const alerts = await readAlerts(nc);
  assert.equal(alerts.filter((a) => a.alert["kibana.alert.building_block_type"] === undefined).length, 1);
  assert.equal(await worker.stop(), 0);
});
