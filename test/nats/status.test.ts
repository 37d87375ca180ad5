import assert from "node:assert/strict";
import { test } from "node:test";
import { AckPolicy, DeliverPolicy } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { readClusterStatus } from "../../src/nats/cluster-status.ts";
import {
  type CheckpointRecord,
  consumerName,
  encodeRecord,
  type LeaseRecord,
} from "../../src/nats/records.ts";
import { groupRuns, renderStatus } from "../../src/nats/status-table.ts";
import { EVENTS_STREAM, eventSubject, openTopology } from "../../src/nats/topology.ts";
import { runCli } from "../cli/run-cli.ts";
import { natsServerMissing, startNats, startNatsConnected } from "./nats-server.ts";

const skip = natsServerMissing;

test("status of a hand-made deployment: owners, epochs, checkpoints and lag per partition, grouped by owner", {
  skip,
}, async (t) => {
  const { cluster, nc } = await startNatsConnected(t);
  const topology = await openTopology(nc, { partitions: 8 });
  const now = Date.now();
  // events: 5 on p0, 3 on p2, 4 on p5
  for (const [p, n] of [
    [0, 5],
    [2, 3],
    [5, 4],
  ])
    for (let i = 0; i < n; i++)
      await topology.js.publish(eventSubject(p), `{"n":${i}}`, { msgID: `p${p}-${i}` });

  // worker-a owns 0-1 and global, worker-b 2-3; 4-7 are unowned
  const lease = async (key: string, worker: string) =>
    topology.leases.create(key, encodeRecord({ worker, since: now - 65_000 } satisfies LeaseRecord));
  const epoch0 = await lease("p0", "worker-a");
  await lease("p1", "worker-a");
  const epoch2 = await lease("p2", "worker-b");
  await lease("p3", "worker-b");
  const checkpoint = (key: string, record: CheckpointRecord) =>
    topology.checkpoints.put(key, encodeRecord(record));
  // p0: checkpoint at seq 3 and the owner's consumer, which has delivered nothing yet
  await checkpoint("p0", { seq: 3, storedAtMs: now, epoch: epoch0, worker: "worker-a" });
  await topology.jsm.consumers.add(EVENTS_STREAM, {
    durable_name: consumerName(0, epoch0),
    filter_subject: eventSubject(0),
    ack_policy: AckPolicy.All,
    deliver_policy: DeliverPolicy.All,
  });
  // p2: a checkpoint with a snapshot, no consumer: lag estimated from the stream
  await checkpoint("p2", { seq: 6, storedAtMs: now, epoch: epoch2, worker: "worker-b", snapshot: "p2/6" });
  // p5: nobody ever read it: lag is every message on its subject

  // before anything ran on it, `global` is not listed: no worker has a rule for it
  const early = await readClusterStatus(nc, { partitions: 8 });
  assert.deepEqual(
    early.rows.map((r) => r.key),
    ["p0", "p1", "p2", "p3", "p4", "p5", "p6", "p7"],
  );
  await lease("global", "worker-a");

  const status = await readClusterStatus(nc, { partitions: 8 });
  // p5 has events and no owner; p4, p6 and p7 have none
  assert.deepEqual(status.warnings, [
    `events wait in 1 partition (p5: 4 events) that no worker owns: look for "partition failed" or "taking the lease failed" in the workers' logs`,
  ]);
  assert.equal(status.events?.messages, 12);
  assert.equal(status.events?.lastSeq, 12);
  assert.equal(status.rows.length, 9);
  const row = (key: string) => status.rows.find((r) => r.key === key)!;
  assert.equal(row("p0").owner?.worker, "worker-a");
  assert.equal(row("p0").epoch, epoch0);
  assert.equal(row("p0").consumer?.name, `part-0-e${epoch0}`);
  assert.equal(row("p0").lag, 5);
  assert.equal(row("p0").checkpoint?.seq, 3);
  assert.equal(row("p2").epoch, epoch2);
  assert.equal(row("p2").checkpoint?.snapshot, "p2/6");
  // p2's last message is seq 8, its checkpoint seq 6: at most 2 behind
  assert.equal(row("p2").lag, 2);
  assert.equal(row("p2").lagExact, false);
  assert.equal(row("p5").owner, undefined);
  assert.equal(row("p5").lag, 4);
  assert.equal(row("p5").lagExact, true);
  assert.equal(row("global").owner?.worker, "worker-a");
  assert.equal(row("global").messages, 12);

  assert.deepEqual(
    groupRuns(status.rows).map((g) => g.map((r) => r.key).join(",")),
    ["p0,p1", "p2,p3", "p4,p5,p6,p7", "global"],
  );
  const table = renderStatus(status);
  const lines = table.split("\n");
  const line = (start: string) => lines.find((l) => l.startsWith(start)) ?? "";
  assert.match(line("EQLITE_EVENTS"), /^EQLITE_EVENTS {2}12 messages, .*, seq 1-12, R1/);
  assert.match(line("PARTITIONS"), /^PARTITIONS +OWNER +HELD +EPOCH +CHECKPOINT +LAG$/);
  assert.match(line("0-1 "), new RegExp(`^0-1 +worker-a +1m0\\ds +e${epoch0} +\\d+\\.\\ds ago, 1 never +5$`));
  assert.match(line("2-3 "), /worker-b .* 1 never, 1 snapshot +≤2$/);
  assert.match(line("4-7 "), /^4-7 +\(unowned\) +- +- +never +4$/);
  assert.match(line("global "), /^global +worker-a /);

  const ungrouped = renderStatus(status, { ungrouped: true });
  assert.match(ungrouped, /\n0 +worker-a .* seq 3, \d+\.\ds ago +5\n/);

  // the command: JSON, and the table grouped
  const json = runCli(["status", "--nats", cluster.urls.join(","), "--partitions", "8", "--json"]);
  assert.equal(json.code, 0, json.stderr);
  const parsed = JSON.parse(json.stdout);
  assert.equal(parsed.partitions, 8);
  assert.equal(parsed.rows[0].consumer.pending, 5);
  const text = runCli(["status", "--nats", cluster.urls[0], "--partitions", "8"]);
  assert.equal(text.code, 0, text.stderr);
  assert.match(text.stdout, /\n4-7 +\(unowned\)/);
  assert.match(text.stdout, /\nwarning: events wait in 1 partition \(p5: 4 events\) that no worker owns/);
});

test("status before any worker ran: every partition unowned; on an empty server, says nothing has started", {
  skip,
}, async (t) => {
  const cluster = await startNats(t);
  const empty = runCli(["status", "--nats", cluster.urls[0], "--partitions", "4"]);
  assert.equal(empty.code, 0, empty.stderr);
  assert.match(empty.stdout, /^0-3 +\(unowned\) +- +- +never +0$/m);
  assert.match(empty.stdout, /warning: no stream EQLITE_EVENTS yet: no ingest node/);

  const nc = await connect({ servers: cluster.urls });
  t.after(() => nc.close());
  const topology = await openTopology(nc, { partitions: 4 });
  await topology.js.publish(eventSubject(1), "{}", { msgID: "one" });
  await topology.leases.create("p9", encodeRecord({ worker: "odd", since: Date.now() }));
  const status = await readClusterStatus(nc, { partitions: 4 });
  assert.ok(status.rows.every((r) => r.owner === undefined));
  assert.equal(status.rows.find((r) => r.key === "p1")?.lag, 1);
  assert.match(
    status.warnings.join("\n"),
    /p9 has a lease or a checkpoint, but the deployment is read as 4 partitions/,
  );
  // p9's lease is not one of the four partitions: nothing runs p1's event
  assert.match(
    status.warnings.join("\n"),
    /events wait in 1 partition \(p1: 1 event\) and no worker is running/,
  );

  const unreachable = runCli(["status", "--nats", "nats://127.0.0.1:1"]);
  assert.equal(unreachable.code, 1);
  assert.match(unreachable.stderr, /^eqlite status: cannot connect to NATS at nats:\/\/127\.0\.0\.1:1: /);
});
