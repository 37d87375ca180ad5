/**
 * `npm run bench:nats`: the NATS JetStream scale-out on this machine (issue 9): events/s with 1
 * and 2 workers, lag under load, and takeover time. Benchmarks measure; they never assert.
 *
 * Everything runs here, sharing the machine's cores: a single-node nats-server (JetStream, temp
 * store, free ports: the tests' launcher, test/nats/nats-server.ts), `eqlite worker` children
 * with the bundled rules and default settings (the tests' WorkerProcess: `node --import tsx
 * src/cli/entry.ts worker`), and the ingest side, played by this process: simulated
 * cloud_defend events encoded and published exactly as `eqlite serve --nats` publishes what it
 * accepts (nats/event-feed.ts). Progress is read from the checkpoints and leases buckets through
 * KV watches (nats/kv-mirror.ts): no polling of the server the workers share the cores with.
 *
 * 1. Throughput, 1 worker then 2, over the same stored events: the N events are encoded, then
 *    published to a fresh server before any worker runs (publish rate reported); then the
 *    workers start. Events/s = N / (spawn → every partition's checkpoint at its last event), and
 *    N / (first "worker started" log line → that moment), i.e. without process startup and rule
 *    loading. A checkpoint comes every second, so the end is known to within about a second. The
 *    alerts are read back; then everything the workers kept is removed (nats/worker-state.ts),
 *    2 workers run over the same events, and the two alert sets are compared by id (a warning if
 *    they differ).
 * 2. Lag under load: a fresh server, 1 worker owning every partition, events published at
 *    --lag-load × the 1-worker rate (without startup) for --lag-seconds; about every 500 ms, the
 *    events stored but not yet checkpointed and how long ago the oldest was sent (nats/backlog.ts),
 *    and the events its consumers have not delivered yet (num_pending: the lag without the
 *    checkpoint cadence). Then how long after the load every event is checkpointed.
 * 3. Takeover: a fresh server per lease TTL, 2 workers, a steady background load; `kill -9` the
 *    older worker, then time from the kill until every partition it held is leased by another
 *    worker ("owner"), until the new owners' checkpoints move past the dead worker's ("resumed"),
 *    and until they reach everything stored before the kill ("caught up"). A new worker joins,
 *    the partitions settle, and the next round kills the next older one.
 *
 *   npm run bench:nats [-- --events N] [--seed N] [--hosts N] [--attack-rate F] [--partitions N]
 *                      [--lag-seconds S] [--lag-load F] [--lease-ttl MS] [--takeovers N]
 *                      [--default-ttl-takeovers N] [--takeover-rate EV/S]
 */
import { cpus, totalmem } from "node:os";
import { setTimeout as sleep } from "node:timers/promises";
import { parseArgs } from "node:util";
import { jetstreamManager } from "@nats-io/jetstream";
import { Kvm } from "@nats-io/kv";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import type { EventMessage } from "../src/nats/event-message.ts";
import { Publisher } from "../src/nats/publisher.ts";
import {
  type CheckpointRecord,
  GLOBAL_PARTITION,
  type LeaseRecord,
  partitionKey,
} from "../src/nats/records.ts";
import { CHECKPOINTS_BUCKET, EVENTS_STREAM, LEASES_BUCKET, openTopology } from "../src/nats/topology.ts";
import { allPartitions } from "../src/worker/partition-list.ts";
import { rendezvousOwner } from "../src/worker/rendezvous.ts";
import { WORKER_DEFAULTS } from "../src/worker/worker-settings.ts";
import { launchNats, type NatsCluster, natsServerMissing } from "../test/nats/nats-server.ts";
import {
  alertId,
  BUNDLED_RULES,
  readAlerts,
  WorkerProcess,
  waitCaughtUp,
} from "../test/nats/worker-harness.ts";
import { Backlog, type BacklogSample } from "./nats/backlog.ts";
import { EventFeed, ingestMessages, type PublishRun, type SimulatedInput } from "./nats/event-feed.ts";
import { KvMirror } from "./nats/kv-mirror.ts";
import { removeWorkerState } from "./nats/worker-state.ts";
import { percentile } from "./percentiles.ts";
import { markdownTable, writeResults } from "./report.ts";

const { values } = parseArgs({
  options: {
    events: { type: "string", default: "100000" },
    seed: { type: "string", default: "1" },
    hosts: { type: "string", default: "6" },
    "attack-rate": { type: "string", default: "0.001" },
    partitions: { type: "string", default: String(WORKER_DEFAULTS.partitions) },
    "lag-seconds": { type: "string", default: "20" },
    "lag-load": { type: "string", default: "0.5" },
    "lease-ttl": { type: "string", default: "3000" },
    takeovers: { type: "string", default: "3" },
    "default-ttl-takeovers": { type: "string", default: "3" },
    "takeover-rate": { type: "string", default: "1000" },
  },
});
const input: SimulatedInput = {
  seed: Number(values.seed),
  events: Number(values.events),
  hosts: Number(values.hosts),
  attackRate: Number(values["attack-rate"]),
  partitions: Number(values.partitions),
};
const lagSeconds = Number(values["lag-seconds"]);
const lagLoad = Number(values["lag-load"]);
const leaseTtl = Number(values["lease-ttl"]);
const takeovers = Number(values.takeovers);
const defaultTtlTakeovers = Number(values["default-ttl-takeovers"]);
const takeoverRate = Number(values["takeover-rate"]);
const DEFAULT_TTL = WORKER_DEFAULTS.leaseTtlMs;
/** how often the lag is sampled */
const SAMPLE_MS = 500;
/** how long a round of the takeover phase lets settled partitions run before the kill */
const SETTLED_RUN_MS = 1_500;

const k = (n: number) => `${(n / 1000).toFixed(1)}k ev/s`;
const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const median = (xs: number[]) =>
  percentile(
    [...xs].sort((a, b) => a - b),
    50,
  ) ?? Number.NaN;

// --- children: every server and worker is stopped when this process ends, however it ends --
const clusters = new Set<NatsCluster>();
const workers = new Set<WorkerProcess>();
async function cleanUp(): Promise<void> {
  await Promise.all([...workers].map((w) => w.kill()));
  await Promise.all([...clusters].map((c) => c.stop()));
}
process.on("exit", () => {
  for (const w of workers) if (w.running) w.child.kill("SIGKILL");
  for (const c of clusters) for (const n of c.nodes) n.process?.kill("SIGKILL");
});
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const)
  process.on(signal, () => void cleanUp().finally(() => process.exit(130)));

/** One fresh nats-server, the streams and buckets as the first ingest node would create them. */
interface Session {
  url: string;
  nc: NatsConnection;
  feed: EventFeed;
  leaseTtlMs: number;
  leases: KvMirror<LeaseRecord>;
  checkpoints: KvMirror<CheckpointRecord>;
}

async function withSession<T>(leaseTtlMs: number, run: (session: Session) => Promise<T>): Promise<T> {
  const cluster = await launchNats(1);
  clusters.add(cluster);
  const nc = await connect({ servers: cluster.urls });
  const publisher = new Publisher(nc);
  let session: Session | undefined;
  try {
    session = {
      url: cluster.urls[0],
      nc,
      feed: new EventFeed(publisher),
      leaseTtlMs,
      ...(await topology(nc, leaseTtlMs)),
    };
    return await run(session);
  } finally {
    session?.leases.stop();
    session?.checkpoints.stop();
    await stopWorkers();
    await publisher.close().catch(() => undefined);
    await nc.close().catch(() => undefined);
    await cluster.stop();
    clusters.delete(cluster);
  }
}

/** The streams and buckets, created as the workers ask (the leases bucket's TTL is its creator's), and watched. */
async function topology(
  nc: NatsConnection,
  leaseTtlMs: number,
): Promise<Pick<Session, "leases" | "checkpoints">> {
  await openTopology(nc, { partitions: input.partitions, leaseTtlMs });
  const kvm = new Kvm(nc);
  return {
    leases: await KvMirror.open<LeaseRecord>(await kvm.open(LEASES_BUCKET)),
    checkpoints: await KvMirror.open<CheckpointRecord>(await kvm.open(CHECKPOINTS_BUCKET)),
  };
}

async function stopWorkers(): Promise<void> {
  await Promise.all([...workers].map((w) => w.kill()));
  workers.clear();
}

/** Kills the workers and removes all they kept; the stored events stay (nats/worker-state.ts). */
async function freshWorkerState(session: Session): Promise<void> {
  await stopWorkers();
  session.leases.stop();
  session.checkpoints.stop();
  await removeWorkerState(session.nc, await jetstreamManager(session.nc));
  Object.assign(session, await topology(session.nc, session.leaseTtlMs));
}

interface StartedWorker {
  process: WorkerProcess;
  name: string;
  spawnedAt: number;
  /** the "worker started" log line's time: rules loaded, connected, about to take partitions */
  startedAt: number;
  globalRules: number;
}

function spawnWorker(session: Session, name: string): { process: WorkerProcess; spawnedAt: number } {
  const spawnedAt = Date.now();
  const process = WorkerProcess.spawn(name, [
    "--nats",
    session.url,
    "--rules",
    BUNDLED_RULES,
    "--partitions",
    String(input.partitions),
    "--lease-ttl",
    String(session.leaseTtlMs),
  ]);
  workers.add(process);
  return { process, spawnedAt };
}

async function started(spawned: { process: WorkerProcess; spawnedAt: number }): Promise<StartedWorker> {
  const [line] = await spawned.process.waitFor(/^worker started/, 1, 120_000);
  const rules = line.rules as { global?: number } | undefined;
  return {
    ...spawned,
    name: spawned.process.name,
    startedAt: typeof line.time === "number" ? line.time : Date.now(),
    globalRules: rules?.global ?? 0,
  };
}

/** The partitions' KV keys: every host partition, and the global one when rules run there. */
function partitionKeys(withGlobal: boolean): string[] {
  return allPartitions(input.partitions)
    .filter((p) => p !== GLOBAL_PARTITION || withGlobal)
    .map(partitionKey);
}

/** Every partition leased by the worker rendezvous hashing gives it among `live`, and claimed by it. */
function settled(session: Session, keys: string[], live: string[]): boolean {
  return keys.every((key) => {
    const owner = rendezvousOwner(key, live);
    return session.leases.get(key)?.worker === owner && session.checkpoints.get(key)?.worker === owner;
  });
}

/** The last stream sequence of what each partition reads, as stored now. */
function tails(session: Session, keys: string[]): Map<string, number> {
  return new Map(
    keys.map((key) => [
      key,
      key === GLOBAL_PARTITION ? session.feed.lastStreamSeq : (session.feed.lastSeq.get(key) ?? 0),
    ]),
  );
}

// --- 1. throughput -------------------------------------------------------------------------
interface ThroughputResult {
  workers: number;
  /** spawn → every checkpoint at its partition's last event */
  ms: number;
  eventsPerSecond: number;
  /** the first "worker started" line → the same moment */
  processingMs: number;
  eventsPerSecondWithoutStartup: number;
  startupMs: number[];
  /** events of each worker's partitions, at the end */
  eventsByWorker: Record<string, number>;
  /** partitions handed from one worker to another on the way (a worker alone at first takes all) */
  handovers: number;
  globalRules: number;
  alerts: number;
  alertIds: string[];
}

/** The events published once; then each worker count in turn over them, from a fresh worker state. */
async function throughput(
  messages: readonly EventMessage[],
  counts: number[],
): Promise<{ publish: PublishRun; runs: ThroughputResult[] }> {
  return withSession(DEFAULT_TTL, async (session) => {
    const publish = await session.feed.publishAll(messages);
    console.log(`  published at ${k(publish.eventsPerSecond)} (${s(publish.ms)})`);
    const runs: ThroughputResult[] = [];
    for (const count of counts) {
      if (runs.length > 0) await freshWorkerState(session);
      const r = await workersOver(session, count);
      runs.push(r);
      console.log(
        `  ${count} worker${count > 1 ? "s" : ""}: processed in ${s(r.ms)} → ${k(r.eventsPerSecond)}; ${k(r.eventsPerSecondWithoutStartup)} without startup (${r.startupMs.map(s).join(", ")}); events by worker ${JSON.stringify(r.eventsByWorker)}, ${r.handovers} partitions handed over; ${r.alerts} alerts`,
      );
    }
    return { publish, runs };
  });
}

async function workersOver(session: Session, count: number): Promise<ThroughputResult> {
  const events = session.feed.stored.length;
  const names = Array.from({ length: count }, (_, i) => `bench-w${i + 1}`);
  const spawned = names.map((name) => spawnWorker(session, name));
  const first = await started(spawned[0]);
  const withGlobal = first.globalRules > 0;
  const last = tails(session, partitionKeys(withGlobal));
  const done = session.checkpoints.until(
    () => [...last].every(([key, seq]) => seq === 0 || (session.checkpoints.get(key)?.seq ?? 0) >= seq),
    600_000,
    "every partition checkpointed at its last event",
  );
  const all = [first, ...(await Promise.all(spawned.slice(1).map(started)))];
  const doneAt = await done;
  const spawnedAt = Math.min(...all.map((w) => w.spawnedAt));
  const startedAt = Math.min(...all.map((w) => w.startedAt));
  const eventsByWorker: Record<string, number> = Object.fromEntries(names.map((n) => [n, 0]));
  for (const e of session.feed.stored) {
    const owner = session.checkpoints.get(e.key)?.worker ?? "?";
    eventsByWorker[owner] = (eventsByWorker[owner] ?? 0) + 1;
  }
  // every alert out: the held events (a sequence's last one waits for a later one or an idle tick)
  await waitCaughtUp(session.nc, input.partitions, withGlobal, 120_000);
  const alertIds = (await readAlerts(session.nc)).map((a) => alertId(a.alert)).sort();
  return {
    workers: count,
    ms: doneAt - spawnedAt,
    eventsPerSecond: (events / (doneAt - spawnedAt)) * 1000,
    processingMs: doneAt - startedAt,
    eventsPerSecondWithoutStartup: (events / (doneAt - startedAt)) * 1000,
    startupMs: all.map((w) => w.startedAt - w.spawnedAt),
    eventsByWorker,
    handovers: all.reduce((n, w) => n + w.process.logs(/^partition handed over/).length, 0),
    globalRules: first.globalRules,
    alerts: alertIds.length,
    alertIds,
  };
}

// --- 2. lag under load ---------------------------------------------------------------------
interface LagSample extends BacklogSample {
  /** events its consumers have not yet delivered to the worker (num_pending): behind without the checkpoint cadence */
  undelivered: number;
}

type Spread = { p50: number; p99: number; max: number };

interface LagResult {
  targetEventsPerSecond: number;
  publish: PublishRun;
  samples: LagSample[];
  events: Spread;
  behindMs: Spread;
  undelivered: Spread;
  /** the last publish → every stored event checkpointed */
  drainMs: number;
}

async function lag(messages: readonly EventMessage[], rate: number): Promise<LagResult> {
  return withSession(DEFAULT_TTL, async (session) => {
    const worker = await started(spawnWorker(session, "bench-lag"));
    const keys = partitionKeys(worker.globalRules > 0);
    await session.leases.until(() => settled(session, keys, [worker.name]), 120_000, "one worker owns all");
    const backlog = new Backlog(session.feed, session.checkpoints, worker.globalRules > 0);
    const jsm = await jetstreamManager(session.nc);
    const samples: LagSample[] = [];
    const startedAt = Date.now();
    let loaded = true;
    const sampler = (async () => {
      while (loaded) {
        // jittered: checkpoints come every second, and a fixed 500 ms would only ever see two phases of that
        await sleep(SAMPLE_MS * (0.8 + 0.4 * Math.random()));
        const sample = backlog.sample(startedAt);
        let undelivered = 0;
        for await (const c of jsm.consumers.list(EVENTS_STREAM)) undelivered += c.num_pending;
        samples.push({ ...sample, undelivered });
      }
    })();
    let publish: PublishRun;
    try {
      publish = await session.feed.publishPaced(
        messages[Symbol.iterator](),
        rate,
        () => Date.now() - startedAt >= lagSeconds * 1000,
      );
    } finally {
      loaded = false;
      await sampler;
    }
    const lastSent = Date.now();
    const drainedAt = await session.checkpoints.until(
      () => backlog.sample(startedAt).events === 0,
      120_000,
      "every event checkpointed after the load",
    );
    const spread = (pick: (x: LagSample) => number): Spread => {
      const sorted = samples.map(pick).sort((a, b) => a - b);
      return { p50: percentile(sorted, 50) ?? 0, p99: percentile(sorted, 99) ?? 0, max: sorted.at(-1) ?? 0 };
    };
    return {
      targetEventsPerSecond: rate,
      publish,
      samples,
      events: spread((x) => x.events),
      behindMs: spread((x) => x.behindMs),
      undelivered: spread((x) => x.undelivered),
      drainMs: Math.max(0, drainedAt - lastSent),
    };
  });
}

// --- 3. takeover ---------------------------------------------------------------------------
interface TakeoverRound {
  victim: string;
  partitions: number;
  /** of them, partitions with events */
  withEvents: number;
  ownerMs: number;
  resumedMs: number;
  caughtUpMs: number;
}

interface TakeoverResult {
  leaseTtlMs: number;
  backgroundEventsPerSecond: number;
  rounds: TakeoverRound[];
  median: { ownerMs: number; resumedMs: number; caughtUpMs: number };
}

async function takeover(leaseTtlMs: number, rounds: number): Promise<TakeoverResult> {
  return withSession(leaseTtlMs, async (session) => {
    const background = ingestMessages({ ...input, seed: input.seed + 2, events: 0 });
    let loaded = true;
    const load = session.feed.publishPaced(background, takeoverRate, () => !loaded);
    let spawnedWorkers = 0;
    const next = () => started(spawnWorker(session, `bench-t${++spawnedWorkers}`));
    const live: StartedWorker[] = await Promise.all([next(), next()]);
    const keys = partitionKeys(live[0].globalRules > 0);
    const results: TakeoverRound[] = [];
    const limit = leaseTtlMs * 3 + 60_000;
    try {
      for (let round = 1; round <= rounds; round++) {
        await session.leases.until(
          () =>
            settled(
              session,
              keys,
              live.map((w) => w.name),
            ),
          120_000,
          "the partitions settled over the live workers",
        );
        await sleep(SETTLED_RUN_MS);
        const victim = live.shift()!;
        const held = keys.filter((key) => session.leases.get(key)?.worker === victim.name);
        const tail = tails(session, held);
        const checkpointed = new Map(held.map((key) => [key, session.checkpoints.get(key)?.seq ?? 0]));
        const busy = held.filter((key) => (tail.get(key) ?? 0) > 0);
        const killedAt = Date.now();
        await victim.process.kill();
        workers.delete(victim.process);
        const newCheckpoint = (key: string) => {
          const c = session.checkpoints.get(key);
          return c !== undefined && c.worker !== victim.name ? c : undefined;
        };
        const ownerAt = await session.leases.until(
          () => held.every((key) => (session.leases.get(key)?.worker ?? victim.name) !== victim.name),
          limit,
          `${victim.name}'s partitions leased by others`,
        );
        const resumedAt = await session.checkpoints.until(
          () => busy.every((key) => (newCheckpoint(key)?.seq ?? 0) > (checkpointed.get(key) ?? 0)),
          limit,
          `${victim.name}'s partitions checkpointed by their new owners`,
        );
        const caughtUpAt = await session.checkpoints.until(
          () => busy.every((key) => (newCheckpoint(key)?.seq ?? 0) >= (tail.get(key) ?? 0)),
          limit,
          `${victim.name}'s partitions caught up with the kill`,
        );
        const result = {
          victim: victim.name,
          partitions: held.length,
          withEvents: busy.length,
          ownerMs: ownerAt - killedAt,
          resumedMs: resumedAt - killedAt,
          caughtUpMs: caughtUpAt - killedAt,
        };
        results.push(result);
        console.log(
          `  round ${round}: killed ${result.victim} (${result.partitions} partitions, ${result.withEvents} with events): owner ${s(result.ownerMs)}, resumed ${s(result.resumedMs)}, caught up ${s(result.caughtUpMs)}`,
        );
        if (round < rounds) live.push(await next());
      }
    } finally {
      loaded = false;
      await load;
    }
    const publish = await load;
    return {
      leaseTtlMs,
      backgroundEventsPerSecond: publish.eventsPerSecond,
      rounds: results,
      median: {
        ownerMs: median(results.map((r) => r.ownerMs)),
        resumedMs: median(results.map((r) => r.resumedMs)),
        caughtUpMs: median(results.map((r) => r.caughtUpMs)),
      },
    };
  });
}

// --- the run -------------------------------------------------------------------------------
async function main() {
  if (natsServerMissing) throw new Error(natsServerMissing);
  const began = Date.now();
  console.log(
    `machine: ${cpus().length} CPUs (${cpus()[0]?.model ?? "?"}), ${(totalmem() / 2 ** 30).toFixed(1)} GB, Node ${process.version}; workers: node --import tsx src/cli/entry.ts worker --rules rules/`,
  );
  const encodeStarted = performance.now();
  const messages = [...ingestMessages(input)];
  const encodeMs = performance.now() - encodeStarted;
  const bytes = messages.reduce((n, m) => n + m.body.length, 0);
  const partitionsWithEvents = new Set(messages.map((m) => m.partition)).size;
  console.log(
    `input: ${messages.length.toLocaleString()} simulated cloud_defend events (seed ${input.seed}, ${input.hosts} hosts → ${partitionsWithEvents} of ${input.partitions} partitions, attack rate ${input.attackRate}), ${(bytes / messages.length).toFixed(0)} B each; encoded as ingest does in ${s(encodeMs)} (${k((messages.length / encodeMs) * 1000)})`,
  );

  console.log("\n1. throughput: events published first, then the workers started");
  const { publish, runs } = await throughput(messages, [1, 2]);
  const [one, two] = runs;
  const twoIds = new Set(two.alertIds);
  const onlyOne = one.alertIds.filter((id) => !twoIds.has(id));
  const onlyTwo = two.alertIds.length - (one.alertIds.length - onlyOne.length);
  const alertsEqual = onlyOne.length === 0 && onlyTwo === 0;
  if (!alertsEqual)
    console.warn(
      `  WARNING: the alerts differ between 1 and 2 workers: ${onlyOne.length} only with 1, ${onlyTwo} only with 2`,
    );
  else console.log(`  alerts: the same ${one.alerts} ids with 1 and 2 workers`);

  const lagRate = lagLoad * one.eventsPerSecondWithoutStartup;
  console.log(`\n2. lag: 1 worker, ${k(lagRate)} (${lagLoad * 100}% of its rate) for ${lagSeconds} s`);
  const lagMessages = topUp(messages, Math.ceil(lagRate * lagSeconds) + 1000);
  const lg = await lag(lagMessages, lagRate);
  console.log(
    `  sent at ${k(lg.publish.eventsPerSecond)}; behind (${lg.samples.length} samples): p50 ${lg.events.p50} events / ${lg.behindMs.p50} ms, p99 ${lg.events.p99} / ${lg.behindMs.p99} ms, max ${lg.events.max} / ${lg.behindMs.max} ms; undelivered p50 ${lg.undelivered.p50}, p99 ${lg.undelivered.p99}, max ${lg.undelivered.max}; drained ${s(lg.drainMs)} after the last publish`,
  );

  const tk: TakeoverResult[] = [];
  for (const [ttl, rounds] of [
    [leaseTtl, takeovers],
    [DEFAULT_TTL, defaultTtlTakeovers],
  ]) {
    if (rounds <= 0) continue;
    console.log(
      `\n3. takeover: 2 workers, lease TTL ${ttl} ms, ${k(takeoverRate)} background load, kill -9 × ${rounds}`,
    );
    tk.push(await takeover(ttl, rounds));
  }

  // --- table -------------------------------------------------------------------------------
  const each = (xs: number[]) => xs.map(s).join(", ");
  const share = (r: ThroughputResult) =>
    Object.values(r.eventsByWorker)
      .map((n) => `${((n / messages.length) * 100).toFixed(0)}%`)
      .join(" / ");
  const rows: string[][] = [
    ["measure", "result"],
    ["publish (ingest's Publisher, 1 connection)", `${k(publish.eventsPerSecond)} (${s(publish.ms)})`],
    ...runs.map((r) => [
      `${r.workers} worker${r.workers > 1 ? "s" : ""}: events/s`,
      `${k(r.eventsPerSecond)} (${s(r.ms)}); ${k(r.eventsPerSecondWithoutStartup)} without startup (${each(r.startupMs)})${r.workers > 1 ? `; events split ${share(r)}, ${r.handovers} partitions handed over at start` : ""}`,
    ]),
    [
      "alerts, 1 vs 2 workers",
      alertsEqual
        ? `${one.alerts} = ${two.alerts}, same ids`
        : `DIFFERENT: ${one.alerts} vs ${two.alerts}; ${onlyOne.length} only with 1, ${onlyTwo} only with 2`,
    ],
    [
      `lag at ${k(lg.publish.eventsPerSecond)}: events not checkpointed`,
      `p50 ${lg.events.p50}, p99 ${lg.events.p99}, max ${lg.events.max}`,
    ],
    [
      `lag at ${k(lg.publish.eventsPerSecond)}: oldest not checkpointed`,
      `p50 ${lg.behindMs.p50} ms, p99 ${lg.behindMs.p99} ms, max ${lg.behindMs.max} ms`,
    ],
    [
      `lag at ${k(lg.publish.eventsPerSecond)}: events not delivered`,
      `p50 ${lg.undelivered.p50}, p99 ${lg.undelivered.p99}, max ${lg.undelivered.max}; drained ${s(lg.drainMs)} after the load`,
    ],
    ...tk.flatMap((t) => [
      [
        `takeover, TTL ${t.leaseTtlMs / 1000} s: new owner`,
        `${each(t.rounds.map((r) => r.ownerMs))} (median ${s(t.median.ownerMs)})`,
      ],
      [
        `takeover, TTL ${t.leaseTtlMs / 1000} s: resumed`,
        `${each(t.rounds.map((r) => r.resumedMs))} (median ${s(t.median.resumedMs)})`,
      ],
      [
        `takeover, TTL ${t.leaseTtlMs / 1000} s: caught up`,
        `${each(t.rounds.map((r) => r.caughtUpMs))} (median ${s(t.median.caughtUpMs)})`,
      ],
    ]),
  ];
  console.log(`\n${markdownTable(rows)}`);
  const durationMs = Date.now() - began;
  console.log(`\nwhole run: ${s(durationMs)}`);
  const out = writeResults("nats", {
    eqlite: "node --import tsx src/cli/entry.ts worker",
    input: { ...input, bytes, partitionsWithEvents, encodeMs },
    publish,
    throughput: runs.map(({ alertIds, ...r }) => r),
    alerts: { equal: alertsEqual, onlyWithOneWorker: onlyOne.length, onlyWithTwoWorkers: onlyTwo },
    lag: lg,
    takeover: tk,
    durationMs,
  });
  console.log(`→ ${out}`);
}

/** `messages`, and more (the next seed) when a phase needs more events than the input has. */
function topUp(messages: readonly EventMessage[], count: number): readonly EventMessage[] {
  if (count <= messages.length) return messages.slice(0, count);
  const more = [...ingestMessages({ ...input, seed: input.seed + 1, events: count - messages.length })];
  return [...messages, ...more];
}

try {
  await main();
} catch (error) {
  console.error(`bench:nats failed: ${(error as Error).stack ?? error}`);
  process.exitCode = 1;
} finally {
  await cleanUp();
}
