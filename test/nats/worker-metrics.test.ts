import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { GLOBAL_PARTITION, partitionKey } from "../../src/nats/records.ts";
import { startOpsServer } from "../../src/worker/ops-server.ts";
import { allPartitions } from "../../src/worker/partition-list.ts";
import { rendezvousShare } from "../../src/worker/rendezvous.ts";
import { natsServerMissing, startNatsConnected } from "./nats-server.ts";
import {
  BUNDLED_RULES,
  metricValue,
  perRule,
  publishEvents,
  readAlerts,
  scrape,
  simulatedEvents,
  WorkerProcess,
  waitCaughtUp,
} from "./worker-harness.ts";

/** One sample's value from Prometheus text, by its name and label text. */
test("the ops server: /metrics in Prometheus text, /healthz 200 or 503 with the reason, nothing else", async (t) => {
  let problem: string | undefined;
  const ops = await startOpsServer("127.0.0.1", 0, {
    metrics: () => "# TYPE x gauge\nx 1\n",
    unhealthy: () => problem,
  });
  t.after(() => ops.close());
  const metrics = await fetch(`${ops.url}/metrics`);
  assert.equal(metrics.status, 200);
  assert.match(metrics.headers.get("content-type") ?? "", /^text\/plain; version=0\.0\.4/);
  assert.equal(await metrics.text(), "# TYPE x gauge\nx 1\n");
  assert.equal((await fetch(`${ops.url}/healthz`)).status, 200);
  problem = "stopping: handing the partitions over";
  const unhealthy = await fetch(`${ops.url}/healthz`);
  assert.equal(unhealthy.status, 503);
  assert.equal(await unhealthy.text(), "stopping: handing the partitions over\n");
  assert.equal((await fetch(`${ops.url}/other`)).status, 404);
  assert.equal((await fetch(`${ops.url}/metrics`, { method: "POST", body: "x" })).status, 405);
});

test("eqlite worker --metrics refuses an address it cannot read, with exit 2", () => {
  const entry = fileURLToPath(new URL("../../src/cli/entry.ts", import.meta.url));
  const r = spawnSync(process.execPath, ["--import", "tsx", entry, "worker", "--metrics", "localhost:http"], {
    encoding: "utf8",
    timeout: 30_000,
  });
  assert.equal(r.status, 2);
  assert.match(r.stderr, /--metrics: "localhost:http" is not \[host:\]port/);
});

test("a worker's /metrics counts the events it ran and each rule's alerts, across a handover; /healthz says it is up", {
  skip: natsServerMissing,
  // above the sum of the waits below, so that a slow step fails with its own message
  timeout: 360_000,
}, async (t) => {
  const { cluster, nc } = await startNatsConnected(t);
  const partitions = 4;
  const worker = WorkerProcess.start(t, "w1", [
    ...["--nats", cluster.urls.join(","), "--partitions", String(partitions), "--rules", BUNDLED_RULES],
    ...["--checkpoint-interval", "250", "--no-watch-rules", "--metrics", "127.0.0.1:0"],
  ]);
  const [started] = (await worker.waitFor(/worker started/, 1, 45_000)) as Array<{
    rules: { global: number; total: number };
  }>;
  const [listening] = (await worker.waitFor(/^metrics at /)) as Array<{ url: string }>;
  assert.match(listening.url, /^http:\/\/127\.0\.0\.1:\d+$/);
  assert.equal(
    (await fetch(`${listening.url}/healthz`, { signal: AbortSignal.timeout(10_000) })).status,
    200,
  );

  const events = simulatedEvents(800, 5, 3);
  await publishEvents(nc, events, partitions);
  await waitCaughtUp(nc, partitions, started.rules.global > 0, 60_000);
  const alerts = await readAlerts(nc);
  assert.ok(alerts.length > 0, "the simulated attack stories raise alerts");

  const text = await scrape(listening.url);
  // every event runs on its host partition, and again on global when global rules run
  assert.equal(
    metricValue(text, "eqlite_worker_events_processed_total"),
    events.length * (started.rules.global > 0 ? 2 : 1),
  );
  assert.equal(metricValue(text, "eqlite_worker_alerts_published_total"), alerts.length);
  assert.equal(
    metricValue(text, "eqlite_worker_partitions_owned"),
    partitions + (started.rules.global > 0 ? 1 : 0),
  );
  assert.equal(metricValue(text, "eqlite_worker_nats_connected"), 1);
  assert.match(text, /^eqlite_worker_info\{worker="w1",version="[^"]+",rules_hash="[0-9a-f]+"\} 1$/m);
  assert.equal(metricValue(text, "eqlite_worker_pending_events"), 0, "caught up");
  assert.equal(
    text.match(/^eqlite_worker_partition_pending_events\{partition="[^"]+"\} 0$/gm)?.length,
    partitions + (started.rules.global > 0 ? 1 : 0),
  );

  // each rule's alerts, as stored: single events and sequence shells, not building blocks
  const stored = new Map<string, number>();
  for (const { alert } of alerts) {
    if (alert["kibana.alert.building_block_type"] !== undefined) continue;
    const ruleId = alert["kibana.alert.rule.rule_id"] as string;
    stored.set(ruleId, (stored.get(ruleId) ?? 0) + 1);
  }
  const ruleAlerts = perRule(text, "eqlite_rule_alerts_total");
  assert.equal(ruleAlerts.size, started.rules.total, "one series per rule");
  assert.deepEqual(new Map([...ruleAlerts].filter(([, n]) => n > 0)), stored);
  assert.equal(metricValue(text, "eqlite_rules"), started.rules.total);
  assert.ok([...perRule(text, "eqlite_rule_evaluations_total").values()].some((n) => n > 0));
  assert.deepEqual(new Set(perRule(text, "eqlite_rule_disabled").values()), new Set([0]));

  // a second worker takes its share by handover: what the first counted stays counted
  const second = WorkerProcess.start(t, "w2", [
    ...["--nats", cluster.urls.join(","), "--partitions", String(partitions), "--rules", BUNDLED_RULES],
    ...["--checkpoint-interval", "250", "--no-watch-rules"],
  ]);
  const keys = allPartitions(partitions)
    .filter((p) => p !== GLOBAL_PARTITION || started.rules.global > 0)
    .map(partitionKey);
  const share = rendezvousShare("w2", keys, ["w1", "w2"]);
  assert.ok(share.length > 0 && share.length < keys.length, `w2's share: ${share}`);
  await second.waitFor(/partition taken over/, share.length, 45_000);
  await worker.waitFor(/partition handed over/, share.length, 30_000);
  const after = await scrape(listening.url);
  assert.equal(metricValue(after, "eqlite_worker_partitions_handed_over_total"), share.length);
  assert.equal(metricValue(after, "eqlite_worker_partitions_failed_total"), 0);
  assert.ok(
    metricValue(after, "eqlite_worker_partitions_owned") <
      metricValue(text, "eqlite_worker_partitions_owned"),
  );
  assert.deepEqual(perRule(after, "eqlite_rule_alerts_total"), ruleAlerts);
  assert.deepEqual(
    perRule(after, "eqlite_rule_evaluations_total"),
    perRule(text, "eqlite_rule_evaluations_total"),
  );
});
