import assert from "node:assert/strict";
import { test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { jetstreamManager } from "@nats-io/jetstream";
import type { AlertDocument } from "../../src/engine/alert.ts";
import { AlertFeed } from "../../src/nats/alert-feed.ts";
import { ALERTS_STREAM, alertSubject, openTopology } from "../../src/nats/topology.ts";
import { createLogger } from "../../src/server/logger.ts";
import { natsServerMissing, startNatsConnected } from "./nats-server.ts";

async function until(check: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    assert.ok(Date.now() < deadline, `${what}: not within ${timeoutMs} ms`);
    await sleep(50);
  }
}

test("an alert feed that cannot start keeps trying, logging each failure, and reads once the stream is there", {
  skip: natsServerMissing,
}, async (t) => {
  const { nc } = await startNatsConnected(t);
  const jsm = await jetstreamManager(nc);
  const logs: Array<{ level: number; msg: string; attempt?: number; retryInMs?: number }> = [];
  const logger = createLogger("info", { write: (line: string) => void logs.push(JSON.parse(line)) });
  const delivered: AlertDocument[] = [];
  const feed = new AlertFeed(jsm.jetstream(), jsm, {
    consumer: "retry-test",
    logger,
    startRetryMs: 100,
    deliver: async (alerts) => {
      delivered.push(...alerts);
      return true;
    },
  });
  t.after(() => feed.stop());

  // no alerts stream yet: nothing to read from
  const started = feed.keepStarting();
  const failures = () => logs.filter((l) => /cannot read the alerts stream/.test(l.msg));
  await until(() => failures().length >= 3, "three failed starts");
  assert.equal(feed.reading, false);
  assert.deepEqual(
    failures()
      .slice(0, 3)
      .map((l) => [l.level, l.attempt, l.retryInMs]),
    [
      [50, 1, 100],
      [50, 2, 200],
      [50, 3, 400],
    ],
  );

  const topology = await openTopology(nc, { partitions: 4 });
  const alert = { "@timestamp": "2026-09-01T10:00:00.000Z", "kibana.alert.uuid": "a-1" };
  await topology.js.publish(alertSubject("rule-1"), JSON.stringify(alert), { msgID: "a-1" });
  assert.equal(await started, true);
  assert.equal(feed.reading, true);
  await until(() => delivered.length === 1, "the alert delivered");
  assert.equal(delivered[0]["kibana.alert.uuid"], "a-1");
});

test("stopping a feed that is waiting to try again ends the tries at once", {
  skip: natsServerMissing,
}, async (t) => {
  const { nc } = await startNatsConnected(t);
  const jsm = await jetstreamManager(nc);
  const logs: Array<{ msg: string }> = [];
  const feed = new AlertFeed(jsm.jetstream(), jsm, {
    consumer: "stop-test",
    logger: createLogger("info", { write: (line: string) => void logs.push(JSON.parse(line)) }),
    startRetryMs: 60_000,
    deliver: async () => true,
  });
  const started = feed.keepStarting();
  await until(() => logs.length > 0, "the first failure");
  const before = Date.now();
  await feed.stop();
  assert.equal(await started, false);
  assert.ok(Date.now() - before < 5_000, "not the minute's wait");
  assert.equal(feed.reading, false);
});

test("a feed whose reading ends unasked says so, starts again and delivers what comes after", {
  skip: natsServerMissing,
}, async (t) => {
  const { nc } = await startNatsConnected(t);
  const topology = await openTopology(nc, { partitions: 4 });
  const logs: Array<{ level: number; msg: string }> = [];
  const delivered: string[] = [];
  const feed = new AlertFeed(topology.js, topology.jsm, {
    consumer: "restart-test",
    logger: createLogger("info", { write: (line: string) => void logs.push(JSON.parse(line)) }),
    startRetryMs: 100,
    deliver: async (alerts) => {
      delivered.push(...alerts.map((a) => String(a["kibana.alert.uuid"])));
      return true;
    },
  });
  t.after(() => feed.stop());
  const publish = (id: string) =>
    topology.js.publish(alertSubject("rule-1"), JSON.stringify({ "kibana.alert.uuid": id }), { msgID: id });

  assert.equal(await feed.keepStarting(), true);
  await publish("before");
  await until(() => delivered.includes("before"), "the first alert delivered");

  // what the client does when it gives up on a consumer (a refused request or subscription): the
  // messages iterator ends, without the feed's stop
  const { messages } = feed as unknown as { messages: { close(): Promise<unknown> } };
  await messages.close();
  await until(() => logs.some((l) => /reading the alerts stream again/.test(l.msg)), "reading again");
  const ended = logs.find((l) => /ended unasked/.test(l.msg));
  assert.equal(ended?.level, 50);
  assert.equal(feed.stats.restarts, 1);
  assert.equal(feed.reading, true);

  await publish("after");
  await until(() => delivered.includes("after"), "the alert published after the restart delivered");
  assert.deepEqual(delivered, ["before", "after"]);
});

test("stopping a feed whose reading ended while it starts again leaves nothing reading", {
  skip: natsServerMissing,
}, async (t) => {
  const { nc } = await startNatsConnected(t);
  const topology = await openTopology(nc, { partitions: 4 });
  const logs: Array<{ msg: string }> = [];
  let delivered = 0;
  let stopped: Promise<void> | undefined;
  const feed: AlertFeed = new AlertFeed(topology.js, topology.jsm, {
    consumer: "restart-stop-test",
    logger: createLogger("info", {
      write: (line: string) => {
        logs.push(JSON.parse(line));
        // stopped while it starts again: its first request to the server is under way
        if (/ended unasked/.test(line)) setImmediate(() => (stopped = feed.stop()));
      },
    }),
    deliver: async (alerts) => {
      delivered += alerts.length;
      return true;
    },
  });
  assert.equal(await feed.keepStarting(), true);
  const { messages } = feed as unknown as { messages: { close(): Promise<unknown> } };
  await messages.close();
  await until(() => stopped !== undefined, "stop called");
  await stopped;
  assert.equal(feed.reading, false);

  await topology.js.publish(alertSubject("rule-1"), JSON.stringify({ "kibana.alert.uuid": "late" }), {
    msgID: "late",
  });
  await sleep(1_000);
  assert.equal(delivered, 0, "nothing reads the stream after stop");
  const consumer = await topology.jsm.consumers.info(ALERTS_STREAM, "restart-stop-test");
  assert.equal(consumer.delivered.consumer_seq, 0, "not even to hand it back");
  assert.equal(consumer.num_pending, 1);
  assert.equal(logs.filter((l) => /reading the alerts stream again/.test(l.msg)).length, 0);
});
