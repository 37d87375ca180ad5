import assert from "node:assert/strict";
import { test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { pino } from "pino";
import { type CheckpointRecord, parseRecord } from "../../src/nats/records.ts";
import { openTopology, type Topology } from "../../src/nats/topology.ts";
import { loadRuleBundle } from "../../src/server/rule-bundle.ts";
import { PartitionRunner, type RunnerContext } from "../../src/worker/partition-runner.ts";
import { planRules, type ScopeRules } from "../../src/worker/rule-plan.ts";
import { decodeSnapshot } from "../../src/worker/snapshot.ts";
import { WORKER_DEFAULTS } from "../../src/worker/worker-settings.ts";
import { ruleToml } from "../rules/fixtures.ts";
import { natsServerMissing, startNatsConnected } from "./nats-server.ts";
import { publishEvents, ruleDir } from "./worker-harness.ts";

// a 30 s replay limit makes a 2 h sequence "long": its events are snapshotted
const SETTINGS = {
  ...WORKER_DEFAULTS,
  replayLimitMs: 30_000,
  ingestLagMs: 0,
  snapshotIntervalMs: 0,
  checkpointIntervalMs: 100,
};

const longRule = (id: string, first: string) =>
  ruleToml({
    rule: { rule_id: `"${id}"`, name: `"Slow ${first}"`, index: '["logs-test*"]' },
    query: `sequence by host.id with maxspan=2h [process where process.name == "${first}"] [process where process.name == "b"]`,
  });

async function hostScope(
  t: Parameters<typeof ruleDir>[0],
  files: Record<string, string>,
): Promise<ScopeRules> {
  return planRules(await loadRuleBundle([ruleDir(t, files)], []), SETTINGS).host;
}

test("a snapshot written while the rules are reloaded is labelled with the rules its events were kept for", {
  skip: natsServerMissing,
  timeout: 60_000,
}, async (t) => {
  const { nc } = await startNatsConnected(t);
  const topology = await openTopology(nc, { partitions: 1 });
  const before = await hostScope(t, { "a.toml": longRule("00000000-0000-4000-8000-00000000000a", "a") });
  const after = await hostScope(t, {
    "a.toml": longRule("00000000-0000-4000-8000-00000000000a", "a"),
    "c.toml": longRule("00000000-0000-4000-8000-00000000000c", "c"),
  });
  assert.notEqual(before.longHash, after.longHash);

  let runner: PartitionRunner | undefined;
  // the reload lands while the first snapshot is being stored
  const snapshots = new Proxy(topology.snapshots, {
    get(target, name, receiver) {
      if (name !== "putBlob") return Reflect.get(target, name, receiver);
      return (...args: Parameters<typeof target.putBlob>) => {
        runner?.reload(after);
        return target.putBlob(...args);
      };
    },
  });
  const ctx = {
    worker: "w1",
    topology: { ...topology, snapshots } as Topology,
    settings: SETTINGS,
    logger: pino({ level: "silent" }),
    leaseFresh: () => true,
    leaseStaleReason: () => "",
  } as unknown as RunnerContext;
  runner = new PartitionRunner(0, 1, before, ctx);
  void runner.run();
  await runner.takenOver;
  await publishEvents(
    nc,
    [
      {
        "@timestamp": "2026-09-01T10:00:00Z",
        event: { category: ["process"], type: ["start"] },
        host: { id: "h1" },
        process: { name: "a" },
      },
    ],
    1,
  );

  let record: CheckpointRecord | undefined;
  for (let i = 0; i < 200 && !record?.snapshot; i++) {
    await sleep(50);
    record = parseRecord<CheckpointRecord>((await topology.checkpoints.get("p0"))?.value);
  }
  assert.ok(record?.snapshot, "a checkpoint names a snapshot");
  const bytes = await topology.snapshots.getBlob(record.snapshot);
  assert.ok(bytes);
  const snapshot = await decodeSnapshot(bytes);
  assert.equal(snapshot.messages.length, 1, "the event kept for the long rule");
  assert.equal(snapshot.ruleSetHash, before.longHash, "taken of the events kept for the rules before");
  assert.equal(record.ruleSetHash, snapshot.ruleSetHash, "and the checkpoint says so");
  await runner.stop();
});
