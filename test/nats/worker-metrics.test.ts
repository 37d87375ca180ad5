import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { startOpsServer } from "../../src/worker/ops-server.ts";
import { natsServerMissing, startNatsConnected } from "./nats-server.ts";
import {
  BUNDLED_RULES,
  publishEvents,
  readAlerts,
  simulatedEvents,
  WorkerProcess,
  waitCaughtUp,
} from "./worker-harness.ts";

/** One sample's value from Prometheus text, by its name and label text. */
function sample(text: string, name: string): number {
  const line = text.split("\n").find((l) => l.startsWith(`${name} `));
  assert.ok(line, `${name} not in:\n${text}`);
  return Number(line.slice(name.length + 1));
}

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

test("a worker's /metrics counts the events it ran and the alerts it stored; /healthz says it is up", {
  skip: natsServerMissing,
  // above the sum of the waits below, so that a slow step fails with its own message
  timeout: 150_000,
}, async (t) => {
  const { cluster, nc } = await startNatsConnected(t);
  const partitions = 4;
  const worker = WorkerProcess.start(t, "w1", [
    ...["--nats", cluster.urls.join(","), "--partitions", String(partitions), "--rules", BUNDLED_RULES],
    ...["--checkpoint-interval", "250", "--no-watch-rules", "--metrics", "127.0.0.1:0"],
  ]);
  const [started] = (await worker.waitFor(/worker started/, 1, 45_000)) as Array<{
    rules: { global: number };
  }>;
  const [listening] = (await worker.waitFor(/^metrics at /)) as Array<{ url: string }>;
  assert.match(listening.url, /^http:\/\/127\.0\.0\.1:\d+$/);
  assert.equal((await fetch(`${listening.url}/healthz`)).status, 200);

  const events = simulatedEvents(800, 5, 3);
  await publishEvents(nc, events, partitions);
  await waitCaughtUp(nc, partitions, started.rules.global > 0, 60_000);
  const alerts = await readAlerts(nc);
  assert.ok(alerts.length > 0, "the simulated attack stories raise alerts");

  const text = await (await fetch(`${listening.url}/metrics`)).text();
  // every event runs on its host partition, and again on global when global rules run
  assert.equal(
    sample(text, "eqlite_worker_events_processed_total"),
    events.length * (started.rules.global > 0 ? 2 : 1),
  );
  assert.equal(sample(text, "eqlite_worker_alerts_published_total"), alerts.length);
  assert.equal(
    sample(text, "eqlite_worker_partitions_owned"),
    partitions + (started.rules.global > 0 ? 1 : 0),
  );
  assert.equal(sample(text, "eqlite_worker_nats_connected"), 1);
  assert.match(text, /^eqlite_worker_info\{worker="w1",version="[^"]+",rules_hash="[0-9a-f]+"\} 1$/m);
});
