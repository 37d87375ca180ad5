import assert from "node:assert/strict";
import { test } from "node:test";
import { ruleToml } from "../rules/fixtures.ts";
import { natsServerMissing, startNatsConnected } from "./nats-server.ts";
import {
  assertSameAlerts,
  publishEvents,
  readAlerts,
  ruleDir,
  scanOracle,
  simulatedEvents,
  WorkerProcess,
  waitCaughtUp,
} from "./worker-harness.ts";

const PARTITIONS = 4;
const kibana = ["--space", "soc", "--kibana-url", "https://kibana.example.com/"];

/** Per host, a shell started and a file written: a sample, whatever their order. */
const sampleRule = ruleToml({
  metadata: `[metadata]
creation_date = "2026/11/29"
integration = ["cloud_defend"]
maturity = "production"
updated_date = "2026/11/29"
`,
  rule: {
    name: '"Shell And File Write On One Host"',
    rule_id: '"5b7c9e2a-3d41-4f6a-8b0c-1d2e3f4a5b6c"',
    index: '["logs-cloud_defend*"]',
    // the whole input is one window: the worker's samples are then the ones scan finds
    from: '"now-24h"',
    max_signals: "1000",
  },
  query: `sample by host.id
  [process where event.type == "start" and process.name in ("bash", "sh")]
  [file where event.action == "creation"]`,
});

test("a sample rule alerts on workers, with the alerts scan finds over the same window, in the workers' Kibana space", {
  skip: natsServerMissing,
  timeout: 120_000,
}, async (t) => {
  const { cluster, nc } = await startNatsConnected(t);
  const dir = ruleDir(t, { "sample.toml": sampleRule });
  const args = [
    ...["--nats", cluster.urls[0], "--partitions", String(PARTITIONS), "--lease-ttl", "2000"],
    ...["--checkpoint-interval", "200", "--no-watch-rules", "--rules", dir],
    ...kibana,
  ];
  const worker = WorkerProcess.start(t, "w-sample", args);
  await worker.waitFor(/worker started/);
  const events = simulatedEvents(3000, 21);
  const expected = scanOracle(t, events, [dir], kibana);
  const shells = expected.filter((a) => a["kibana.alert.building_block_type"] === undefined);
  assert.ok(shells.length >= 2, `scan finds samples on several hosts (${shells.length})`);
  await publishEvents(nc, events, PARTITIONS);
  await waitCaughtUp(nc, PARTITIONS, false);
  const stored = await readAlerts(nc);
  assertSameAlerts(stored, expected, "sample rule on workers");
  for (const { alert } of stored) {
    assert.deepEqual(alert["kibana.space_ids"], ["soc"]);
    assert.equal(
      alert["kibana.alert.url"],
      `https://kibana.example.com/s/soc/app/security/alerts/redirect/${alert["kibana.alert.uuid"]}?index=.alerts-security.alerts-soc&timestamp=${alert["@timestamp"]}`,
    );
  }
  assert.equal(await worker.stop(), 0, worker.stderr.slice(-2000));
});
