import assert from "node:assert/strict";
import { test } from "node:test";
import { jetstreamManager } from "@nats-io/jetstream";
import type { Event } from "../../src/eql/field-access.ts";
import { GLOBAL_PARTITION, partitionKey } from "../../src/nats/records.ts";
import { EVENTS_STREAM, openTopology } from "../../src/nats/topology.ts";
import { allPartitions } from "../../src/worker/partition-list.ts";
import { rendezvousShare } from "../../src/worker/rendezvous.ts";
import { kvSignalLedger, ledgerKey } from "../../src/worker/signal-ledger.ts";
import { ruleToml } from "../rules/fixtures.ts";
import { natsServerMissing, startNatsConnected } from "./nats-server.ts";
import {
  metricValue,
  perRule,
  publishEvents,
  readAlerts,
  ruleDir,
  scrape,
  WorkerProcess,
  waitCaughtUp,
} from "./worker-harness.ts";

const skip = natsServerMissing;

test("the max_signals ledger: the first `limit` matches of a window, however many partitions ask at once; an admitted match again; windows apart", {
  skip,
}, async (t) => {
  const { nc } = await startNatsConnected(t);
  const topology = await openTopology(nc, { partitions: 4 });
  const ledger = kvSignalLedger(topology.signals);
  const ruleId = "a rule id with spaces & dots.";
  const answers = await Promise.all(
    Array.from({ length: 12 }, (_, i) => ledger.admit(ruleId, 7, `match-${i}`, 3)),
  );
  assert.equal(answers.filter(Boolean).length, 3, String(answers));
  const admitted = answers.flatMap((ok, i) => (ok ? [`match-${i}`] : []));
  const stored = await topology.signals.get(ledgerKey(ruleId, 7));
  assert.deepEqual(JSON.parse(stored?.string() ?? "[]").sort(), admitted.sort());
  // a replay or a retry of an admitted match keeps its place; a new one does not get in
  assert.equal(await ledger.admit(ruleId, 7, admitted[0], 3), true);
  assert.equal(await ledger.admit(ruleId, 7, "match-late", 3), false);
  // the next window, and another rule, count afresh
  assert.equal(await ledger.admit(ruleId, 8, "match-late", 3), true);
  assert.equal(await ledger.admit("another rule", 7, "match-late", 3), true);
  // a record that is not a list of ids (by hand, another version) is replaced
  await topology.signals.put(ledgerKey(ruleId, 9), "garbage");
  assert.equal(await ledger.admit(ruleId, 9, "match-0", 1), true);
  assert.equal(await ledger.admit(ruleId, 9, "match-1", 1), false);
});

test("two workers' ledgers on one window: each remembers what it saw, and a compare-and-set that fails is read again", {
  skip,
}, async (t) => {
  const { nc } = await startNatsConnected(t);
  const topology = await openTopology(nc, { partitions: 4 });
  let reads = 0;
  const counted = new Proxy(topology.signals, {
    get(target, name, receiver) {
      const value = Reflect.get(target, name, receiver);
      if (name !== "get") return typeof value === "function" ? value.bind(target) : value;
      return (...args: Parameters<typeof target.get>) => {
        reads++;
        return target.get(...args);
      };
    },
  });
  const a = kvSignalLedger(counted);
  const b = kvSignalLedger(topology.signals);
  assert.equal(await a.admit("rule", 1, "a1", 3), true);
  assert.equal(reads, 1, "a window never seen is read once");
  assert.equal(await b.admit("rule", 1, "b1", 3), true);
  // a's revision is stale now: its write fails, it reads again and gets the last place
  assert.equal(await a.admit("rule", 1, "a2", 3), true);
  assert.equal(reads, 2);
  assert.equal(await b.admit("rule", 1, "b2", 3), false);
  // a wrote the window full itself: refused without asking again, an admitted match let through
  assert.equal(await a.admit("rule", 1, "a3", 3), false);
  assert.equal(await a.admit("rule", 1, "a1", 3), true);
  assert.equal(reads, 2);
  const stored = await topology.signals.get(ledgerKey("rule", 1));
  assert.deepEqual(JSON.parse(stored?.string() ?? "[]"), ["a1", "b1", "a2"]);
});

const PARTITIONS = 8;
const HOSTS = 40;
const LIMIT = 5;
const RULE_ID = "3c9e2b1a-7d4f-4e8a-9b6c-5d2e1f0a3b4c";
// a window of a week: the events' store times fall in one (checked below)
const INTERVAL_MS = 7 * 24 * 3_600_000;

function noisy(host: number): Event {
  return {
    "@timestamp": new Date(Date.UTC(2026, 8, 1, 10, 0, 0) + host * 1_000).toISOString(),
    event: { category: ["process"], type: ["start"], kind: "event" },
    data_stream: { type: "logs", dataset: "test", namespace: "default" },
    host: { id: `noisy-host-${host}` },
    process: { name: "noisy", pid: 100 + host, entity_id: `noisy-${host}` },
  };
}

test("workers hold a rule to max_signals per interval across every partition, and count the rest as over the limit", {
  skip,
  timeout: 240_000,
}, async (t) => {
  const { cluster, nc } = await startNatsConnected(t);
  const dir = ruleDir(t, {
    "noisy.toml": ruleToml({
      rule: {
        rule_id: `"${RULE_ID}"`,
        name: '"Noisy Process"',
        index: '["logs-test*"]',
        from: undefined,
        interval: '"7d"',
        max_signals: String(LIMIT),
      },
      query: 'process where process.name == "noisy"',
    }),
  });
  const args = [
    ...["--nats", cluster.urls[0], "--partitions", String(PARTITIONS), "--lease-ttl", "2000", "--rules", dir],
    ...["--checkpoint-interval", "200", "--no-watch-rules", "--metrics", "127.0.0.1:0"],
  ];
  const workers = [WorkerProcess.start(t, "w-a", args), WorkerProcess.start(t, "w-b", args)];
  const urls = await Promise.all(
    workers.map(async (w) => {
      await w.waitFor(/worker started/, 1, 45_000);
      return (await w.waitFor(/^metrics at /))[0].url as string;
    }),
  );

  // every partition with its final owner first: a handover after the events would replay them,
  // and a replay counts its matches again. Owned as the worker counts it, and as its log tells
  // it once every takeover finished: a partition handed over while still being taken over
  // (workers starting together) says so, since no takeover line came before it
  const keys = allPartitions(PARTITIONS)
    .filter((p) => p !== GLOBAL_PARTITION)
    .map(partitionKey);
  const shares = workers.map((w) => rendezvousShare(w.name, keys, ["w-a", "w-b"]).length);
  const ownedByLog = (w: WorkerProcess) =>
    w.logs(/partition taken over/).length -
    w.logs(/partition handed over/).filter((l) => l.beforeTakeover !== true).length;
  for (let i = 0; ; i++) {
    const owned = await Promise.all(
      urls.map(async (url) => metricValue(await scrape(url), "eqlite_worker_partitions_owned")),
    );
    const logged = workers.map(ownedByLog);
    if (shares.every((share, k) => owned[k] === share && logged[k] === share)) break;
    assert.ok(
      i < 600,
      `the workers own ${owned.join(" and ")} partitions (${logged.join(" and ")} by their logs), not ${shares.join(" and ")}, after a minute:\n` +
        workers.map((w) => `${w.name}'s log ends:\n${w.stderr.slice(-2000)}`).join("\n"),
    );
    await new Promise((resolve) => setTimeout(resolve, 100));
  }

  const events = Array.from({ length: HOSTS }, (_, h) => noisy(h));
  await publishEvents(nc, events, PARTITIONS);
  await waitCaughtUp(nc, PARTITIONS, false);

  const state = (await (await jetstreamManager(nc)).streams.info(EVENTS_STREAM)).state;
  const windows = new Set(
    [state.first_ts, state.last_ts].map((ts) => Math.floor(Date.parse(ts) / INTERVAL_MS)),
  ).size;
  const alerts = await readAlerts(nc);
  assert.equal(alerts.length, LIMIT * windows, `${alerts.length} alerts over ${windows} window(s)`);
  const hostsAlerted = new Set(
    alerts.map(({ alert }) => alert["host.id"] ?? (alert.host as { id: string })?.id),
  );
  assert.equal(hostsAlerted.size, alerts.length, "each alert a different match");

  const fleet = async (family: string) => {
    let sum = 0;
    for (const url of urls) sum += perRule(await scrape(url), family).get(RULE_ID) ?? 0;
    return sum;
  };
  assert.equal(await fleet("eqlite_rule_matches_total"), HOSTS);
  assert.equal(await fleet("eqlite_rule_alerts_total"), alerts.length);
  assert.equal(await fleet("eqlite_rule_over_max_signals_total"), HOSTS - alerts.length);
  for (const w of workers) assert.equal(await w.stop(), 0, w.stderr.slice(-2000));
});
