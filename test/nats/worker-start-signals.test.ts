import assert from "node:assert/strict";
import { test } from "node:test";
import { natsServerMissing, startNats } from "./nats-server.ts";
import { WorkerProcess } from "./worker-harness.ts";

/**
 * A worker takes seconds to start, and up to a minute while its JetStream cluster has no leader.
 * The signals an operator sends meanwhile must do what they do to a running worker, or say why
 * not: a SIGHUP (a reload right after a restart) is remembered, a SIGTERM ends it with a word.
 * Two nodes of three are down here, so the worker waits for a leader as long as the test needs.
 */

async function leaderlessCluster(t: Parameters<typeof startNats>[0]) {
  const cluster = await startNats(t, 3);
  await Promise.all([cluster.nodes[1].kill(), cluster.nodes[2].kill()]);
  const args = [
    ...["--nats", cluster.nodes[0].url, "--replicas", "3", "--partitions", "2"],
    ...["--lease-ttl", "2000", "--checkpoint-interval", "200", "--no-watch-rules"],
  ];
  return { cluster, args };
}

test("a SIGHUP while a worker starts is remembered, not its end: the rules are reloaded once it runs", {
  skip: natsServerMissing,
  timeout: 90_000,
}, async (t) => {
  const { cluster, args } = await leaderlessCluster(t);
  const worker = WorkerProcess.start(t, "w-hup", args);
  await worker.waitFor(/JetStream did not answer the set-up/, 1, 45_000);
  worker.signal("SIGHUP");
  await worker.waitFor(/SIGHUP while starting/, 1, 10_000);
  await Promise.all([cluster.nodes[1].start(), cluster.nodes[2].start()]);
  await worker.waitFor(/worker started/, 1, 60_000);
  await worker.waitFor(/^rules reloaded$/, 1, 30_000);
  assert.equal(await worker.stop(), 0, worker.stderr.slice(-2000));
});

test("a SIGTERM while a worker starts ends it at once, by the signal, and its log says so", {
  skip: natsServerMissing,
  timeout: 90_000,
}, async (t) => {
  const { args } = await leaderlessCluster(t);
  const worker = WorkerProcess.start(t, "w-term", args);
  await worker.waitFor(/JetStream did not answer the set-up/, 1, 45_000);
  assert.equal(await worker.stop(10_000), null, worker.stderr);
  assert.equal(worker.child.signalCode, "SIGTERM");
  assert.match(worker.stderr, /"msg":"stop requested while starting: nothing is owned yet; ending now"/);
});
