import assert from "node:assert/strict";
import { test } from "node:test";
import { Kvm } from "@nats-io/kv";
import { connect } from "@nats-io/transport-node";
import { LEASES_BUCKET } from "../../src/nats/topology.ts";
import { allPartitions } from "../../src/worker/partition-list.ts";
import { rendezvousShare } from "../../src/worker/rendezvous.ts";
import { natsServerMissing, startNats } from "./nats-server.ts";
import {
  assertSameAlerts,
  BUNDLED_RULES,
  leaseHolders,
  publishEvents,
  readAlerts,
  scanOracle,
  simulatedEvents,
  untilRetaken,
  WorkerProcess,
  waitCaughtUp,
} from "./worker-harness.ts";

const PARTITIONS = 8;
const TTL_MS = 2_000;
const KEYS = allPartitions(PARTITIONS)
  .filter((p) => p !== "global")
  .map((p) => `p${p}`);

function workerArgs(url: string, ...extra: string[]): string[] {
  return [
    ...["--nats", url, "--partitions", String(PARTITIONS), "--lease-ttl", String(TTL_MS)],
    ...["--checkpoint-interval", "200", "--no-watch-rules", "--rules", BUNDLED_RULES],
    ...extra,
  ];
}

const logTime = (line: Record<string, unknown>) => line.time as number;

test("rendezvous: a joining worker takes its share by clean handover; a killed one's partitions are taken over after the lease TTL; alerts equal scan, once each", {
  skip: natsServerMissing,
  timeout: 110_000,
}, async (t) => {
  const cluster = await startNats(t, 1);
  const url = cluster.urls[0];
  const nc = await connect({ servers: cluster.urls });
  t.after(() => nc.close());
  const events = simulatedEvents(6_000);
  const third = Math.floor(events.length / 3);

  const a = WorkerProcess.start(t, "w-a", workerArgs(url));
  await a.waitFor(/partition taken over/, PARTITIONS);
  await publishEvents(nc, events.slice(0, third), PARTITIONS);

  const b = WorkerProcess.start(t, "w-b", workerArgs(url));
  const share = rendezvousShare("w-b", KEYS, ["w-a", "w-b"]);
  assert.ok(share.length > 0 && share.length < PARTITIONS);
  await b.waitFor(/partition taken over/, share.length);
  // w-a says it handed a partition over once the lease is released, when w-b may already have
  // taken it: its lines can come after w-b's
  await a.waitFor(/partition handed over/, share.length);
  assert.equal(a.logs(/partition handed over/).length, share.length, "w-a hands over exactly w-b's share");
  const takenByB = new Set(b.logs(/partition taken over/).map((l) => l.partition));
  assert.deepEqual([...takenByB].sort(), [...share].sort());

  await publishEvents(nc, events.slice(third, 2 * third), PARTITIONS);
  const leases = await new Kvm(nc).open(LEASES_BUCKET);
  const heldByA = new Map([...(await leaseHolders(leases))].filter(([, held]) => held.worker === "w-a"));
  // kill w-a half-way through the last third
  let killedAt = 0;
  await publishEvents(nc, events.slice(2 * third), PARTITIONS, {
    ratePerSecond: 2_000,
    onProgress: (n) => {
      if (n === Math.floor(third / 2) && killedAt === 0) {
        killedAt = Date.now();
        void a.kill();
      }
    },
  });
  assert.ok(killedAt > 0);
  // w-a's leases, not w-b's log lines: on a loaded machine w-b can also take a partition of its
  // own share again, whose lease it could not renew in time (it fences itself and retakes it)
  await untilRetaken(leases, heldByA, killedAt, 30_000);
  const retaken = await leaseHolders(leases);
  const takeoverMs = Math.max(...[...heldByA.keys()].map((key) => retaken.get(key)!.since)) - killedAt;
  t.diagnostic(`takeover after kill -9: ${takeoverMs} ms (lease TTL ${TTL_MS} ms)`);
  assert.ok(takeoverMs >= TTL_MS * 0.5, `not before the lease could expire: ${takeoverMs} ms`);

  await waitCaughtUp(nc, PARTITIONS, false);
  const stored = await readAlerts(nc);
  const expected = scanOracle(t, events, [BUNDLED_RULES]);
  assert.ok(
    expected.some((a) => a["kibana.alert.building_block_type"]),
    "the events make a sequence rule fire",
  );
  assertSameAlerts(stored, expected, `${events.length} events, takeover ${takeoverMs} ms`);
  assert.equal(await b.stop(), 0, b.stderr.slice(-2000));
});

test("a stalled owner is fenced: SIGSTOP past its TTL, a standby takes over, SIGCONT: its compare-and-set fails, it stops the partitions; the alerts stream holds each alert once", {
  skip: natsServerMissing,
  timeout: 110_000,
}, async (t) => {
  const cluster = await startNats(t, 1);
  const url = cluster.urls[0];
  const nc = await connect({ servers: cluster.urls });
  t.after(() => nc.close());
  const events = simulatedEvents(6_000, 11);
  const third = Math.floor(events.length / 3);
  const own = ["--own", `0-${PARTITIONS - 1}`];

  const a = WorkerProcess.start(t, "w-a", workerArgs(url, ...own));
  await a.waitFor(/partition taken over/, PARTITIONS);
  const b = WorkerProcess.start(t, "w-b", workerArgs(url, ...own));
  await b.waitFor(/worker started/);
  await publishEvents(nc, events.slice(0, third), PARTITIONS);
  await waitCaughtUp(nc, PARTITIONS, false);
  assert.equal(b.logs(/partition taken over/).length, 0, "the standby waits while the owner renews");

  a.signal("SIGSTOP");
  const stoppedAt = Date.now();
  await publishEvents(nc, events.slice(third, 2 * third), PARTITIONS);
  await b.waitFor(/partition taken over/, PARTITIONS, 30_000);
  const takeoverMs = Math.max(...b.logs(/partition taken over/).map(logTime)) - stoppedAt;
  t.diagnostic(`takeover from a stalled owner: ${takeoverMs} ms (lease TTL ${TTL_MS} ms)`);
  await waitCaughtUp(nc, PARTITIONS, false);

  const before = a.lines.length;
  a.signal("SIGCONT");
  const fenced = await a.waitFor(/partition fenced/, PARTITIONS, 20_000, before);
  assert.equal(new Set(fenced.map((l) => l.partition)).size, PARTITIONS);
  const lost = a.lines.slice(before).filter((l) => /compare-and-set failed/.test(String(l.reason ?? "")));
  assert.ok(lost.length > 0, `the stale owner's compare-and-set fails:\n${a.stderr.slice(-3000)}`);
  assert.equal(
    a.logs(/partition taken over/).length,
    PARTITIONS,
    "the stale owner takes nothing back while the new one renews",
  );

  await publishEvents(nc, events.slice(2 * third), PARTITIONS);
  await waitCaughtUp(nc, PARTITIONS, false);
  const stored = await readAlerts(nc);
  assertSameAlerts(stored, scanOracle(t, events, [BUNDLED_RULES]), `takeover ${takeoverMs} ms`);
  assert.equal(await a.stop(), 0, a.stderr.slice(-2000));
  assert.equal(await b.stop(), 0, b.stderr.slice(-2000));
});
