import assert from "node:assert/strict";
import { test } from "node:test";
import { connect } from "@nats-io/transport-node";
import { eventPartition, fnv1a32, hostKey, NO_HOST_KEY, partitionOf } from "../../src/nats/partition.ts";
import { ALERTS_STREAM, EVENTS_STREAM, eventSubject, openTopology } from "../../src/nats/topology.ts";
import { natsServerMissing, startNats, startNatsConnected } from "./nats-server.ts";

test("FNV-1a 32 matches the published test vectors", () => {
  assert.equal(fnv1a32(""), 0x811c9dc5);
  assert.equal(fnv1a32("a"), 0xe40c292c);
  assert.equal(fnv1a32("foobar"), 0xbf9cf968);
  // over UTF-8 bytes (c3 a9), not the UTF-16 code unit
  assert.equal(fnv1a32("é"), 0x1e9de8c1);
});

test("the host key is host.id, else agent.id, else host.name, nested or dotted; else one shared key", () => {
  assert.equal(hostKey({ host: { id: "h1", name: "web" }, agent: { id: "a1" } }), "h1");
  assert.equal(hostKey({ "host.id": "h2" }), "h2");
  assert.equal(hostKey({ host: { name: "web.example" }, agent: { id: "a1" } }), "a1");
  assert.equal(hostKey({ host: { name: "web.example", id: "" } }), "web.example");
  assert.equal(hostKey({ host: { id: ["h3", "h4"] } }), "h3");
  assert.equal(hostKey({ message: "no host" }), NO_HOST_KEY);
  assert.equal(hostKey(JSON.parse('{"__proto__": {"id": "x"}}')), NO_HOST_KEY);
  const p = eventPartition({ host: { id: "h1" } }, 64);
  assert.equal(p, partitionOf("h1", 64));
  assert.ok(p >= 0 && p < 64);
});

test("nats-server's partition() mapping puts a host where eqlite's publisher does", {
  skip: natsServerMissing,
}, async (t) => {
  const cluster = await startNats(t, 1, [
    'mappings { "probe.*": "mapped.{{partition(8,1)}}.{{wildcard(1)}}" }',
  ]);
  const nc = await connect({ servers: cluster.urls });
  t.after(() => nc.close());
  const hosts = Array.from({ length: 100 }, (_, i) => `host-${i}-${(i * 7919).toString(36)}`);
  const sub = nc.subscribe("mapped.*.*", { max: hosts.length });
  for (const host of hosts) nc.publish(`probe.${host}`, "");
  const mapped = new Map<string, number>();
  for await (const m of sub) {
    const [, partition, host] = m.subject.split(".");
    mapped.set(host, Number(partition));
  }
  assert.equal(mapped.size, hosts.length);
  for (const host of hosts) assert.equal(partitionOf(host, 8), mapped.get(host), host);
});

test("openTopology creates the streams and buckets once and is idempotent", {
  skip: natsServerMissing,
}, async (t) => {
  const { nc } = await startNatsConnected(t);
  const first = await openTopology(nc, { partitions: 8, leaseTtlMs: 2_000 });
  const again = await openTopology(nc, { partitions: 8, leaseTtlMs: 2_000 });
  const events = await again.jsm.streams.info(EVENTS_STREAM);
  assert.deepEqual(events.config.subjects, ["eqlite.events.*"]);
  assert.equal(events.config.discard, "new");
  assert.equal((await again.jsm.streams.info(ALERTS_STREAM)).config.num_replicas, 1);
  const ack = await first.js.publish(eventSubject(3), "{}", { msgID: "e1" });
  const dup = await again.js.publish(eventSubject(3), "{}", { msgID: "e1" });
  assert.equal(dup.duplicate, true);
  assert.equal(dup.seq, ack.seq);
  const rev = await first.leases.create("p3", "w1");
  await assert.rejects(again.leases.create("p3", "w2"), /wrong last sequence/);
  assert.ok(rev > 0);
});

test("processes starting at the same moment all open the topology (creation races are settled)", {
  skip: natsServerMissing,
}, async (t) => {
  const cluster = await startNats(t);
  const connections = await Promise.all(Array.from({ length: 6 }, () => connect({ servers: cluster.urls })));
  t.after(() => Promise.all(connections.map((nc) => nc.close())));
  const opened = await Promise.allSettled(
    connections.map((nc) => openTopology(nc, { partitions: 8, leaseTtlMs: 2_000 })),
  );
  const failed = opened.filter((o) => o.status === "rejected") as PromiseRejectedResult[];
  assert.deepEqual(
    failed.map((f) => String(f.reason)),
    [],
  );
  const names = await connections[0].request("$JS.API.STREAM.NAMES", "");
  assert.match(names.string(), new RegExp(EVENTS_STREAM));
});
