import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { Kvm } from "@nats-io/kv";
import type { Event } from "../../src/eql/field-access.ts";
import { MEMBERS_BUCKET } from "../../src/nats/topology.ts";
import { parseMemberRecord } from "../../src/worker/membership.ts";
import { ruleToml } from "../rules/fixtures.ts";
import { natsServerMissing, startNatsConnected } from "./nats-server.ts";
import {
  assertSameAlerts,
  perRule,
  publishEvents,
  readAlerts,
  ruleDir,
  scanOracle,
  scrape,
  WorkerProcess,
  waitCaughtUp,
} from "./worker-harness.ts";

const PARTITIONS = 8;
const HOSTS = 12;
const T0 = Date.UTC(2026, 8, 1, 10, 0, 0);

function testRule(id: string, name: string, query: string, severity = "low", from?: string): string {
  return ruleToml({
    rule: {
      description: `"${name}."`,
      index: '["logs-test*"]',
      from: from && `"${from}"`,
      name: `"${name}"`,
      rule_id: `"${id}"`,
      severity: `"${severity}"`,
    },
    query,
  });
}

const SEQUENCE = testRule(
  "7e0f4a52-1c3b-4d8e-a9f6-2b5c8d0e1f23",
  "Stage One Then Stage Two",
  'sequence by host.id with maxspan=1h [process where process.name == "stage-one"] [process where process.name == "stage-two"]',
  "low",
  // a window as long as maxspan: a shorter one cuts it, as one Kibana run sees no longer sequence
  "now-1h",
);
const single = (severity: string) =>
  testRule(
    "1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d",
    "Stage Two Seen",
    'process where process.name == "stage-two"',
    severity,
  );
const ADDED = testRule(
  "5d4c3b2a-1f0e-4d9c-8b7a-6f5e4d3c2b1a",
  "Stage Three Seen",
  'process where process.name == "stage-three"',
);

function event(host: number, minute: number, name: string): Event {
  return {
    "@timestamp": new Date(T0 + minute * 60_000 + host).toISOString(),
    event: { category: ["process"], type: ["start"], kind: "event" },
    data_stream: { type: "logs", dataset: "test", namespace: "default" },
    host: { id: `reload-host-${host}` },
    process: { name, pid: 100 + host, entity_id: `${host}-${minute}` },
  };
}

test("a rule reload on every worker keeps the partial sequences of unchanged rules, and each worker shows the rule set it runs", {
  skip: natsServerMissing,
  timeout: 110_000,
}, async (t) => {
  const { cluster, nc } = await startNatsConnected(t, 1);
  const dir = ruleDir(t, { "sequence.toml": SEQUENCE, "single.toml": single("low") });
  const args = [
    ...["--nats", cluster.urls[0], "--partitions", String(PARTITIONS), "--lease-ttl", "2000"],
    ...["--checkpoint-interval", "200", "--no-watch-rules", "--rules", dir, "--metrics", "127.0.0.1:0"],
  ];
  const workers = [WorkerProcess.start(t, "w-a", args), WorkerProcess.start(t, "w-b", args)];
  await Promise.all(workers.map((w) => w.waitFor(/worker started/)));
  const metricsUrls = await Promise.all(
    workers.map(async (w) => (await w.waitFor(/^metrics at /))[0].url as string),
  );
  const members = await new Kvm(nc).open(MEMBERS_BUCKET);
  const records = async () =>
    Promise.all(workers.map(async (w) => parseMemberRecord((await members.get(w.name))?.value)));
  // both own partitions: the first stage reaches both
  for (let i = 0; ; i++) {
    const owned = (await records()).map((r) => r?.owned.length ?? 0);
    if (owned[0] + owned[1] === PARTITIONS && owned[0] > 0 && owned[1] > 0) break;
    assert.ok(i < 200, `the partitions are shared: ${owned}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }

  const first = Array.from({ length: HOSTS }, (_, h) => event(h, 0, "stage-one"));
  await publishEvents(nc, first, PARTITIONS);
  await waitCaughtUp(nc, PARTITIONS, false);
  const before = (await records()).map((r) => r?.rules.hash);
  assert.equal(before[0], before[1]);
  const busy = (await records()).map((r) => r?.counters.events ?? 0);
  assert.ok(busy[0] > 0 && busy[1] > 0, `both workers hold first stages: ${busy}`);

  // one rule changes, one is added, the sequence rule stays as it was
  writeFileSync(join(dir, "single.toml"), single("high"));
  writeFileSync(join(dir, "added.toml"), ADDED);
  for (const w of workers) w.signal("SIGHUP");
  const reloaded = await Promise.all(workers.map((w) => w.waitFor(/rules reloaded/)));
  for (const [line] of reloaded) {
    assert.equal(line.kept, 1);
    assert.deepEqual(line.changed, ["1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d"]);
    assert.deepEqual(line.added, ["5d4c3b2a-1f0e-4d9c-8b7a-6f5e4d3c2b1a"]);
  }
  for (let i = 0; ; i++) {
    const hashes = (await records()).map((r) => r?.rules.hash);
    if (hashes[0] === hashes[1] && hashes[0] !== before[0]) break;
    assert.ok(i < 100, `the membership records show the new rule set: ${hashes}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }

  const second = Array.from({ length: HOSTS }, (_, h) => [
    event(h, 30, "stage-two"),
    event(h, 31, "stage-three"),
  ]).flat();
  await publishEvents(nc, second, PARTITIONS);
  await waitCaughtUp(nc, PARTITIONS, false);
  const expected = scanOracle(t, [...first, ...second], [dir]);
  assert.equal(
    expected.filter((a) => a["kibana.alert.rule.name"] === "Stage One Then Stage Two").length,
    HOSTS * 3,
  );
  assertSameAlerts(await readAlerts(nc), expected, "after a reload on every worker");

  // the workers' rule metrics, summed: every rule alerted once per host, the changed one included
  const fleet = async (family: string) => {
    const sum = new Map<string, number>();
    for (const url of metricsUrls)
      for (const [rule, n] of perRule(await scrape(url), family)) sum.set(rule, (sum.get(rule) ?? 0) + n);
    return sum;
  };
  assert.deepEqual(
    await fleet("eqlite_rule_alerts_total"),
    new Map([
      ["7e0f4a52-1c3b-4d8e-a9f6-2b5c8d0e1f23", HOSTS],
      ["1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d", HOSTS],
      ["5d4c3b2a-1f0e-4d9c-8b7a-6f5e4d3c2b1a", HOSTS],
    ]),
  );

  // a rule set that does not load is refused, counted, and the running rules keep running
  writeFileSync(join(dir, "broken.toml"), "[rule\nname = ");
  for (const w of workers) w.signal("SIGHUP");
  await Promise.all(workers.map((w) => w.waitFor(/rule reload refused/)));
  for (const url of metricsUrls) {
    const text = await scrape(url);
    assert.match(text, /^eqlite_rule_reloads_total\{result="ok"\} 1$/m);
    assert.match(text, /^eqlite_rule_reloads_total\{result="rejected"\} 1$/m);
    assert.equal(perRule(text, "eqlite_rule_alerts_total").size, 3);
  }
  for (const w of workers) assert.equal(await w.stop(), 0, w.stderr.slice(-2000));
});
