import assert from "node:assert/strict";
import { test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { Kvm } from "@nats-io/kv";
import { LEASES_BUCKET } from "../../src/nats/topology.ts";
import { rendezvousOwner } from "../../src/worker/rendezvous.ts";
import { natsServerMissing, startNatsConnected } from "./nats-server.ts";
import {
  assertSameAlerts,
  BUNDLED_RULES,
  globalRuleToml,
  leaseHolders,
  publishEvents,
  publishRetries,
  readAlerts,
  ruleDir,
  scanOracle,
  simulatedEvents,
  untilRetaken,
  WorkerProcess,
  waitCaughtUp,
} from "./worker-harness.ts";

const PARTITIONS = 16;
const TTL_MS = 3_000;
const KILLS = 3;

test("3-node cluster, 3 workers, kill -9 and restart a worker mid-stream three times: the alerts stream equals scan, once each", {
  skip: natsServerMissing,
  // 75 s in a CI run, 85-125 s on a loaded machine (every worker's start, replay and takeover
  // slows with it): room for the waits' own deadlines (a start, a takeover, catching up: 45 s
  // each), so that a stuck step fails naming itself rather than the whole test timing out
  timeout: 300_000,
}, async (t) => {
  const { cluster, nc } = await startNatsConnected(t, 3);
  const rules = [BUNDLED_RULES, ruleDir(t, { "global_namespace_burst.toml": globalRuleToml() })];
  const args = [
    ...["--nats", cluster.urls.join(","), "--partitions", String(PARTITIONS), "--replicas", "3"],
    ...["--lease-ttl", String(TTL_MS), "--checkpoint-interval", "250", "--no-watch-rules"],
    ...rules.flatMap((r) => ["--rules", r]),
  ];
  const names = ["w1", "w2", "w3"];
  // the first creates the streams and buckets (R3), then the others join
  const workers = new Map<string, WorkerProcess>();
  workers.set("w1", WorkerProcess.start(t, "w1", args));
  await workers.get("w1")!.waitFor(/worker started/, 1, 45_000);
  for (const name of names.slice(1)) workers.set(name, WorkerProcess.start(t, name, args));
  const started = workers.get("w1")!.logs(/worker started/)[0] as {
    rules: { global: number; globalRules: string[] };
  };
  assert.equal(started.rules.global, 1, "the namespace rule runs on the global partition");

  const leases = await new Kvm(nc).open(LEASES_BUCKET);
  const keys = [...Array.from({ length: PARTITIONS }, (_, p) => `p${p}`), "global"];
  for (let i = 0; ; i++) {
    const holders = await leaseHolders(leases);
    if (keys.every((key) => holders.get(key)?.worker === rendezvousOwner(key, names))) break;
    assert.ok(i < 400, "every partition is owned by its rendezvous winner");
    await sleep(100);
  }

  const events = simulatedEvents(16_000, 3, 12);
  const takeovers: number[] = [];
  const retaking: Promise<void>[] = [];
  const killAt = new Set(
    Array.from({ length: KILLS }, (_, k) => Math.floor(((k + 1) * events.length) / (KILLS + 1))),
  );
  let victim = 0;
  const kill = async () => {
    const name = names[victim++ % names.length];
    const held = new Map([...(await leaseHolders(leases))].filter(([, h]) => h.worker === name));
    const killedAt = Date.now();
    await workers.get(name)!.kill();
    retaking.push(
      untilRetaken(leases, held, killedAt, 45_000).then(() => {
        takeovers.push(Date.now() - killedAt);
      }),
    );
    // the orchestrator restarts it a moment later, under the same name
    await sleep(300 + Math.floor(Math.random() * 700));
    workers.set(name, WorkerProcess.start(t, name, args));
  };
  const kills: Promise<void>[] = [];
  await publishEvents(nc, events, PARTITIONS, {
    ratePerSecond: 2_000,
    onProgress: (n) => {
      if (killAt.has(n)) kills.push(kill());
    },
  });
  await Promise.all(kills);
  await Promise.all(retaking);
  t.diagnostic(`publish retries: ${publishRetries}`);
  t.diagnostic(`takeover after kill -9 (lease TTL ${TTL_MS} ms): ${takeovers.join(", ")} ms`);
  await waitCaughtUp(nc, PARTITIONS, true, 45_000);

  const stored = await readAlerts(nc);
  const expected = scanOracle(t, events, rules);
  assert.ok(
    expected.some((a) => a["kibana.alert.rule.name"] === "Namespace Burst: kubectl Then a Download Tool"),
  );
  assert.ok(
    expected.some(
      (a) =>
        a["kibana.alert.rule.name"] ===
        "File Downloaded then Executed from a Temporary Directory in a Container",
    ),
  );
  const fenced = [...workers.values()].reduce((n, w) => n + w.logs(/partition fenced/).length, 0);
  assertSameAlerts(
    stored,
    expected,
    `${events.length} events, ${KILLS} kills, takeovers ${takeovers.join("/")} ms, ${fenced} fenced`,
  );
  for (const w of workers.values()) assert.equal(await w.stop(), 0, w.stderr.slice(-2000));
});
