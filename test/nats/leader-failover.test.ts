import assert from "node:assert/strict";
import { test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { connect } from "@nats-io/transport-node";
import { readClusterStatus } from "../../src/nats/cluster-status.ts";
import { encodeEventMessage } from "../../src/nats/event-message.ts";
import { Publisher } from "../../src/nats/publisher.ts";
import { EVENTS_STREAM, eventSubject, openTopology } from "../../src/nats/topology.ts";
import { type NatsNode, natsServerMissing, startNats } from "./nats-server.ts";
import { readStream } from "./stream-reader.ts";

const PARTITIONS = 8;
const HOSTS = 24;

test("the events stream's leader is killed while publishing: every acknowledged event is stored once, each host's in publish order", {
  skip: natsServerMissing,
  timeout: 110_000,
}, async (t) => {
  const cluster = await startNats(t, 3);
  const nc = await connect({ servers: cluster.urls, maxReconnectAttempts: -1, reconnectTimeWait: 200 });
  t.after(() => nc.close());
  const topology = await openTopology(nc, { partitions: PARTITIONS, replicas: 3 });
  const publisher = new Publisher(nc, {
    window: 512,
    ackTimeoutMs: 2000,
    deadlineMs: 60_000,
    // the senders wait out the election, as a shipper whose request is not answered yet
    roomWaitMs: 60_000,
  });
  t.after(() => publisher.close());

  const acks: Array<Promise<unknown>> = [];
  const sent = new Map<string, number>();
  let killed: NatsNode | undefined;
  // a fixed rate, as shippers send: 20 events every 20 ms for 5 s; the leader dies after 1.5 s
  for (let i = 0; i < 5000; i++) {
    const host = `host-${i % HOSTS}`;
    const event = { "@timestamp": new Date().toISOString(), host: { id: host }, n: i };
    const message = encodeEventMessage(event, { source: "test", line: i, id: `e-${i}` }, PARTITIONS);
    sent.set(message.msgId, i);
    acks.push(publisher.publish(message));
    if (i % 20 === 19) await sleep(20);
    if (i === 1500) {
      const leader = (await topology.jsm.streams.info(EVENTS_STREAM)).cluster?.leader;
      const node = cluster.nodes.find((n) => n.name === leader);
      assert.ok(node, `the stream leader ${leader} is one of the nodes`);
      killed = node;
      await node.kill();
    }
  }
  const publishedAt = Date.now();
  const settled = await Promise.allSettled(acks);
  t.diagnostic(`acknowledged ${Date.now() - publishedAt} ms after the last publish`);
  const rejected = settled.filter((s) => s.status === "rejected") as PromiseRejectedResult[];
  assert.equal(rejected.length, 0, String(rejected[0]?.reason));
  const stats = publisher.stats;
  t.diagnostic(
    `killed ${killed?.name}; stored ${stats.published}, duplicates ${stats.duplicates}, attempts again ${stats.retries}`,
  );

  // the killed node rejoins: reading back needs the cluster whole again (consumer placement)
  const readFrom = Date.now();
  await killed?.start();
  const perId = new Map<string, number>();
  for (let p = 0; p < PARTITIONS; p++) {
    const last = new Map<string, number>();
    for (const m of await readStream(nc, EVENTS_STREAM, eventSubject(p))) {
      perId.set(m.msgId!, (perId.get(m.msgId!) ?? 0) + 1);
      const { host, n } = JSON.parse(m.text) as { host: { id: string }; n: number };
      assert.ok(n > (last.get(host.id) ?? -1), `${host.id}: event ${n} stored after ${last.get(host.id)}`);
      last.set(host.id, n);
    }
  }
  t.diagnostic(`read back in ${Date.now() - readFrom} ms`);
  assert.equal(perId.size, sent.size, "every acknowledged event is stored");
  const twice = [...perId].filter(([, count]) => count > 1);
  assert.deepEqual(twice, [], "no event is stored twice");

  // eqlite status sees the cluster: three copies, a leader, every follower caught up in the end
  const status = await readClusterStatus(nc, { partitions: PARTITIONS });
  assert.equal(status.events?.replicas, 3);
  assert.ok(status.events?.leader, "the events stream has a leader");
  assert.equal(status.events?.messages, sent.size);
});
