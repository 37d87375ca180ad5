import assert from "node:assert/strict";
import { test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { Kvm } from "@nats-io/kv";
import type { Event } from "../../src/eql/field-access.ts";
import { type CheckpointRecord, parseRecord } from "../../src/nats/records.ts";
import { CHECKPOINTS_BUCKET } from "../../src/nats/topology.ts";
import { snapshotNeeded } from "../../src/worker/snapshot-need.ts";
import { ruleToml } from "../rules/fixtures.ts";
import { natsServerMissing, startNatsConnected } from "./nats-server.ts";
import {
  assertSameAlerts,
  bucketKeys,
  publishEvents,
  readAlerts,
  ruleDir,
  scanOracle,
  WorkerProcess,
  waitCaughtUp,
} from "./worker-harness.ts";

const PARTITIONS = 4;
const HOSTS = 6;
const T0 = Date.UTC(2026, 8, 1, 10, 0, 0);

function longRule(maxspan: string): string {
  return ruleToml({
    rule: {
      description: '"A probe, then its follow-up within hours on the same host."',
      index: '["logs-test*"]',
      // a window as long as maxspan: a shorter one cuts it, as one Kibana run sees no longer sequence
      from: '"now-4h"',
      name: '"Slow Two-Step Probe"',
      rule_id: '"3c1d8f0e-2b7a-4e59-9d13-6f4a0b2c7e91"',
    },
    query: `sequence by host.id with maxspan=${maxspan}
  [process where process.name == "probe-a"]
  [process where process.name == "probe-b"]`,
  });
}

function event(host: number, minute: number, name: string, n: number): Event {
  return {
    "@timestamp": new Date(T0 + minute * 60_000 + n).toISOString(),
    event: { category: ["process"], type: ["start"], kind: "event" },
    data_stream: { type: "logs", dataset: "test", namespace: "default" },
    host: { id: `host-${host}`, name: `node-${host}` },
    process: { name, pid: 1000 + n, entity_id: `${host}-${minute}-${n}` },
  };
}

test("snapshotNeeded: only when the former owner passed events and the replay starts after the stream's first message", () => {
  const stream = { messages: 10, firstMs: 1_000 };
  assert.equal(snapshotNeeded({ seq: 5 }, 1_001, stream), true, "the replay misses the first event");
  assert.equal(snapshotNeeded({ seq: 5 }, 1_000, stream), false, "the replay starts at the first event");
  assert.equal(snapshotNeeded({ seq: 5 }, -4_000, stream), false, "a stream younger than the replay limit");
  assert.equal(snapshotNeeded({ seq: 0 }, 9_000, stream), false, "the former owner passed no event");
  assert.equal(
    snapshotNeeded({ seq: 5 }, -4_000, { messages: 0, firstMs: Date.parse("0001-01-01T00:00:00Z") }),
    true,
    "what it passed has been deleted since",
  );
});

test("a rule with a long window is restored from the snapshot at takeover, not replayed; another rule set ignores the snapshot", {
  skip: natsServerMissing,
  // above the sum of its waits' own deadlines (about 340 s), so that a slow step fails naming
  // itself: once, in a full run, the whole test hit 110 s, where it takes 17 s alone
  timeout: 360_000,
}, async (t) => {
  const { cluster, nc } = await startNatsConnected(t, 1);
  const rules = ruleDir(t, { "slow_probe.toml": longRule("2h") });
  // a 30 s replay limit makes the 2 h rule "long"; a snapshot at every checkpoint
  const args = (rulesDir: string) => [
    ...["--nats", cluster.urls[0], "--partitions", String(PARTITIONS), "--lease-ttl", "2000"],
    ...["--checkpoint-interval", "200", "--no-watch-rules", "--rules", rulesDir],
    ...["--replay-limit", "30000", "--ingest-lag", "0", "--snapshot-interval", "0"],
  ];

  // first half: the probes, then noise, an hour of event time before the probes' follow-ups
  const probes = Array.from({ length: HOSTS }, (_, h) => event(h, 0, "probe-a", h));
  const noise: Event[] = [];
  for (let n = 0; n < 40; n++) for (let h = 0; h < HOSTS; h++) noise.push(event(h, 1 + n, "noise", n));
  const first = [...probes, ...noise];
  const a = WorkerProcess.start(t, "w-a", args(rules));
  const started = (await a.waitFor(/worker started/))[0] as { rules: { long: string[] } };
  assert.deepEqual(started.rules.long.length, 1, "the 2 h rule is restored from snapshots");
  await publishEvents(nc, probes, PARTITIONS);
  // the probes are stored well before the checkpoint: a replay by time would not reach them
  await sleep(6_000);
  await publishEvents(nc, noise, PARTITIONS);
  await waitCaughtUp(nc, PARTITIONS, false);
  const checkpoints = await new Kvm(nc).open(CHECKPOINTS_BUCKET);
  const withSnapshot: CheckpointRecord[] = [];
  for (const key of await bucketKeys(checkpoints, "the checkpoints bucket")) {
    const record = parseRecord<CheckpointRecord>((await checkpoints.get(key))?.value);
    if (record?.snapshot) withSnapshot.push(record);
  }
  assert.ok(withSnapshot.length > 0, "checkpoints name their snapshots");
  await a.kill();

  // second half, after the owner died: the follow-ups, 90 minutes later in event time
  const second: Event[] = [];
  for (let h = 0; h < HOSTS; h++) second.push(event(h, 90, "probe-b", h));
  await publishEvents(nc, second, PARTITIONS);
  const b = WorkerProcess.start(t, "w-b", args(rules));
  const takeovers = await b.waitFor(/partition taken over/, PARTITIONS, 30_000);
  const restored = takeovers.filter((l) => (l.snapshot as { messages: number } | undefined)?.messages);
  assert.ok(restored.length > 0, "the new owner restores the held probes from snapshots");
  for (const l of restored) assert.equal(l.lookbackMs, 0, "and replays nothing for them");
  await waitCaughtUp(nc, PARTITIONS, false);
  const expected = scanOracle(t, [...first, ...second], [rules]);
  assert.equal(expected.length, HOSTS * 3, "one sequence (two building blocks and a shell) per host");
  assertSameAlerts(await readAlerts(nc), expected, "after a takeover from snapshots");
  assert.equal(await b.stop(), 0, b.stderr.slice(-2000));
  const stats = b.logs(/partition handed over/).map((l) => l.stats as { replayed: number; restored: number });
  const replayed = stats.reduce((n, s) => n + s.replayed, 0);
  const fromSnapshots = stats.reduce((n, s) => n + s.restored, 0);
  t.diagnostic(
    `after the takeover: ${fromSnapshots} events from snapshots, ${replayed} of ${first.length} replayed`,
  );
  assert.equal(fromSnapshots, HOSTS, "the snapshots hold the probes, not the noise");
  assert.ok(replayed <= noise.length, `the probes are not replayed: ${replayed} events were`);

  // the same rule with another window is another rule set: the snapshot is not used. With the
  // 30 s replay limit every partition replays the whole stream (a few seconds old): nothing lost
  const changed = ruleDir(t, { "slow_probe.toml": longRule("3h") });
  const c = WorkerProcess.start(t, "w-c", args(changed));
  const unneeded = await c.waitFor(/no snapshot for these long-window rules, none needed/, 1, 30_000);
  assert.equal(unneeded[0].level, 30, "said, not warned");
  assert.equal(await c.stop(), 0, c.stderr.slice(-2000));
  assert.deepEqual(c.logs(/what they held from before it is lost/), []);

  // a third rule set (c's snapshots are for the second), with a replay limit shorter than the
  // stream's history: the checkpoints are of events stored 6 s after the probes, and the replay
  // starts 5.1 s before them (the limit and the margin for the servers' clocks)
  const third = ruleDir(t, { "slow_probe.toml": longRule("4h") });
  const d = WorkerProcess.start(t, "w-d", [...args(third), "--replay-limit", "100"]);
  const lost = await d.waitFor(/what they held from before it is lost/, 1, 30_000);
  assert.equal(lost[0].level, 40);
  assert.equal(await d.stop(), 0, d.stderr.slice(-2000));
});
