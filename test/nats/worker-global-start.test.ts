import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { ruleToml } from "../rules/fixtures.ts";
import { natsServerMissing, startNatsConnected } from "./nats-server.ts";
import {
  alertId,
  globalRuleToml,
  publishEvents,
  readAlerts,
  ruleDir,
  scanOracle,
  simulatedEvents,
  WorkerProcess,
  waitCaughtUp,
} from "./worker-harness.ts";

const PARTITIONS = 4;
const GLOBAL_RULE = "Namespace Burst: kubectl Then a Download Tool";

test("a global rule added to a running deployment starts at its first run less its look-back, not at the stream's first event", {
  skip: natsServerMissing,
  // above the sum of its waits' own deadlines, so that a slow step fails naming itself
  timeout: 300_000,
}, async (t) => {
  const { cluster, nc } = await startNatsConnected(t);
  const dir = ruleDir(t, { "host.toml": ruleToml() });
  // look-back of the global rule: its maxspan alone (no lateness, no ingest lag)
  const args = [
    ...["--nats", cluster.urls[0], "--partitions", String(PARTITIONS), "--lease-ttl", "2000"],
    ...["--checkpoint-interval", "200", "--no-watch-rules", "--allowed-lateness", "0", "--ingest-lag", "0"],
    ...["--rules", dir],
  ];
  const worker = WorkerProcess.start(t, "w-global", args);
  await worker.waitFor(/worker started/);

  const backlog = simulatedEvents(6000, 11);
  await publishEvents(nc, backlog, PARTITIONS);
  await waitCaughtUp(nc, PARTITIONS, false);
  const globalRule = globalRuleToml({ maxspan: "5s" });
  const globalDir = ruleDir(t, { "global.toml": globalRule });
  const inBacklog = scanOracle(t, backlog, [globalDir]);
  assert.ok(inBacklog.length > 0, "the backlog holds sequences the global rule finds");
  // the backlog's store times fall behind the global look-back (5 s) and the clock margin (5 s)
  await sleep(11_000);

  writeFileSync(join(dir, "global.toml"), globalRule);
  worker.signal("SIGHUP");
  await worker.waitFor(/rules reloaded/);
  const globalTakeover = () =>
    worker.lines.find((l) => l.msg === "partition taken over" && l.partition === "global");
  for (let waited = 0; !globalTakeover(); waited += 100) {
    assert.ok(waited < 30_000, "the worker takes the global partition after the reload");
    await sleep(100);
  }
  assert.equal(globalTakeover()?.firstRun, true, JSON.stringify(globalTakeover()));

  // an hour later in event time, as traffic after a pause would be
  const fresh = simulatedEvents(6000, 12).map((e) => ({
    ...e,
    "@timestamp": new Date(Date.parse(e["@timestamp"] as string) + 3_600_000).toISOString(),
  }));
  await publishEvents(nc, fresh, PARTITIONS);
  await waitCaughtUp(nc, PARTITIONS, true);
  const globalAlerts = (await readAlerts(nc))
    .map((a) => a.alert)
    .filter((a) => a["kibana.alert.rule.name"] === GLOBAL_RULE);
  const expected = scanOracle(t, fresh, [globalDir]);
  assert.ok(expected.length > 0, "the new events hold sequences the global rule finds");
  assert.deepEqual(
    globalAlerts.map(alertId).sort(),
    expected.map(alertId).sort(),
    "only the new events' alerts",
  );
  assert.equal(await worker.stop(), 0, worker.stderr.slice(-2000));
});
