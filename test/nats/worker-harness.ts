/**
 * What the worker tests share: `eqlite worker` child processes with their logs, a publisher of
 * events into the events stream (retrying with the same message id, as ingest does), the alerts
 * stream read back, the `eqlite scan` oracle over the same events, and a wait for every
 * partition's checkpoint to reach the end of its messages.
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestContext } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { DeliverPolicy, DiscardPolicy, jetstream, jetstreamManager } from "@nats-io/jetstream";
import { type KV, Kvm } from "@nats-io/kv";
import type { NatsConnection } from "@nats-io/transport-node";
import type { Event } from "../../src/eql/field-access.ts";
import { isPut, readBucket } from "../../src/nats/bucket-read.ts";
import { encodeEventMessage } from "../../src/nats/event-message.ts";
import { Publisher } from "../../src/nats/publisher.ts";
import { type CheckpointRecord, type LeaseRecord, parseRecord } from "../../src/nats/records.ts";
import {
  ALERTS_STREAM,
  CHECKPOINTS_BUCKET,
  EVENTS_STREAM,
  eventSubject,
  MEMBERS_BUCKET,
  openTopology,
} from "../../src/nats/topology.ts";
import { simulate } from "../../src/sim/index.ts";
import { parseMemberRecord } from "../../src/worker/membership.ts";
import { ruleToml } from "../rules/fixtures.ts";
import { startNatsConnected } from "./nats-server.ts";

const entry = fileURLToPath(new URL("../../src/cli/entry.ts", import.meta.url));
export const BUNDLED_RULES = fileURLToPath(new URL("../../rules", import.meta.url));

/** Publishes sent again after a failure (they may land behind later events). */
export let publishRetries = 0;

export type LogLine = Record<string, unknown> & { msg?: string };

/** What cleans up after a helper: a test, or a script's own list (bench/chaos.ts). */
export type Cleanup = Pick<TestContext, "after">;

/** `eqlite worker` as an operator runs it: a child process, its JSON log lines kept. */
export class WorkerProcess {
  readonly lines: LogLine[] = [];
  stderr = "";
  readonly exited: Promise<number | null>;
  private constructor(
    readonly name: string,
    readonly child: ChildProcess,
  ) {
    let partial = "";
    child.stderr!.on("data", (chunk: Buffer) => {
      const text = chunk.toString();
      this.stderr += text;
      partial += text;
      const parts = partial.split("\n");
      partial = parts.pop() ?? "";
      for (const line of parts) {
        try {
          this.lines.push(JSON.parse(line) as LogLine);
        } catch {
          // not a log line (a crash report): kept in stderr
        }
      }
    });
    this.exited = once(child, "exit").then(([code]) => code as number | null);
  }

  static start(t: TestContext, name: string, args: string[]): WorkerProcess {
    const worker = WorkerProcess.spawn(name, args);
    t.after(() => worker.kill());
    return worker;
  }

  /** As `start`, for callers outside a test (the benchmarks): they must `kill()` it themselves. */
  static spawn(name: string, args: string[]): WorkerProcess {
    const child = spawn(process.execPath, ["--import", "tsx", entry, "worker", "--id", name, ...args], {
      env: { ...process.env, EQLITE_LOG_LEVEL: "info" },
      stdio: ["ignore", "ignore", "pipe"],
    });
    const worker = new WorkerProcess(name, child);
    // set EQLITE_TEST_LOGS to a directory to keep every worker's log
    const keep = process.env.EQLITE_TEST_LOGS;
    if (keep)
      void worker.exited.then(() => writeFileSync(join(keep, `${name}-${child.pid}.log`), worker.stderr));
    return worker;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  signal(signal: NodeJS.Signals): void {
    if (this.running) this.child.kill(signal);
  }

  /** SIGKILL, as a crash; resolves once the process is gone. */
  async kill(): Promise<void> {
    if (!this.running) return;
    this.child.kill("SIGCONT");
    this.child.kill("SIGKILL");
    await this.exited;
  }

  /**
   * SIGTERM: a clean handover; resolves with the exit code. A worker still running after
   * `timeoutMs` is killed and the wait fails with its log, rather than the test timing out
   * without saying where.
   */
  async stop(timeoutMs = 30_000): Promise<number | null> {
    if (this.running) this.child.kill("SIGTERM");
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<"late">((resolve) => {
      timer = setTimeout(() => resolve("late"), timeoutMs);
    });
    const code = await Promise.race([this.exited, late]).finally(() => clearTimeout(timer));
    if (code !== "late") return code;
    await this.kill();
    throw new Error(
      `worker ${this.name} still ran ${timeoutMs} ms after SIGTERM:\n${this.stderr.slice(-3000)}`,
    );
  }

  /** Log lines whose message matches. */
  logs(msg: RegExp): LogLine[] {
    return this.lines.filter((l) => typeof l.msg === "string" && msg.test(l.msg));
  }

  async waitFor(msg: RegExp, count = 1, timeoutMs = 30_000, from = 0): Promise<LogLine[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.lines.slice(from).filter((l) => typeof l.msg === "string" && msg.test(l.msg));
      if (found.length >= count) return found;
      if (!this.running)
        throw new Error(`worker ${this.name} exited waiting for ${msg}:\n${this.stderr.slice(-3000)}`);
      if (Date.now() > deadline)
        throw new Error(
          `worker ${this.name}: no ${count} × ${msg} in ${timeoutMs} ms:\n${this.stderr.slice(-3000)}`,
        );
      await sleep(50);
    }
  }
}

/** Simulated container telemetry with attack stories (so the sequence rules fire). */
export function simulatedEvents(events: number, seed = 7, hosts = 6): Event[] {
  return [...simulate({ seed, events, hosts, attackRate: 0.01 })].map((line) => JSON.parse(line) as Event);
}

/**
 * A rule whose join key is not host-scoped: kubectl then a download or package tool in the same
 * Kubernetes namespace, on any node. It runs on the global partition, and finds sequences that
 * span hosts (the host partitions could not).
 */
export function globalRuleToml(options: { maxspan?: string; severity?: string } = {}): string {
  return `[metadata]
creation_date = "2026/11/28"
integration = ["cloud_defend"]
maturity = "production"
updated_date = "2026/11/28"

[rule]
author = ["eqlite tests"]
description = "kubectl, then a download or package tool, in one namespace."
from = "now-9m"
index = ["logs-cloud_defend*"]
interval = "5m"
language = "eql"
license = "Apache-2.0"
max_signals = 1000
name = "Namespace Burst: kubectl Then a Download Tool"
risk_score = 47
rule_id = "9f3d1d9e-5a7c-4b0e-8f43-0a1b2c3d4e5f"
severity = "${options.severity ?? "medium"}"
type = "eql"

query = '''
sequence by orchestrator.namespace with maxspan=${options.maxspan ?? "30s"}
  [process where event.type == "start" and process.name == "kubectl"]
  [process where event.type == "start" and process.name in ("apt", "apt-get", "apk", "yum", "dnf", "pip", "npm", "curl", "wget")]
'''
`;
}

/** A directory of rule files, removed when the test ends. */
export function ruleDir(t: Cleanup, files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "eqlite-rules-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

/**
 * One NATS server with a one-partition topology, and a worker's arguments for one rule that
 * alerts on every process event named "x": the set-up of the tests of one partition's life.
 */
export async function onePartitionOneRule(t: TestContext, extraArgs: readonly string[] = []) {
  const { cluster, nc } = await startNatsConnected(t);
  await openTopology(nc, { partitions: 1 });
  const jsm = await jetstreamManager(nc);
  const dir = ruleDir(t, {
    "one.toml": ruleToml({ rule: { index: '["logs-test*"]' }, query: 'process where process.name == "x"' }),
  });
  const args = [
    ...["--nats", cluster.urls[0], "--partitions", "1", "--rules", dir],
    ...["--checkpoint-interval", "200", "--no-watch-rules", ...extraArgs],
  ];
  return { cluster, nc, jsm, args };
}

/**
 * A worker (`name`) owning the one partition of onePartitionOneRule, retrying an alert that the
 * alerts stream, full and refusing new messages, will not store: a stop then waits on it.
 * `storeAlerts` lets the stream take alerts again.
 */
export async function workerRetryingAnAlert(t: TestContext, name: string, extraArgs: readonly string[]) {
  const { nc, jsm, args } = await onePartitionOneRule(t, extraArgs);
  const worker = WorkerProcess.start(t, name, args);
  await worker.waitFor(/partition taken over/);
  const config = (await jsm.streams.info(ALERTS_STREAM)).config;
  await jsm.streams.update(ALERTS_STREAM, { ...config, max_msgs: 1, discard: DiscardPolicy.New });
  await jetstream(nc).publish("eqlite.alerts.filler", "{}");
  const event: Event = {
    "@timestamp": "2026-09-01T10:00:00.000Z",
    event: { category: ["process"], type: ["start"] },
    host: { id: "h1" },
    process: { name: "x" },
  };
  await publishEvents(nc, [event], 1);
  await worker.waitFor(/publishing an alert failed; retrying/, 1, 20_000);
  const storeAlerts = async () => {
    await jsm.streams.update(ALERTS_STREAM, { ...config, max_msgs: -1, discard: DiscardPolicy.Old });
  };
  return { nc, args, worker, storeAlerts };
}

/**
 * Publishes the events in order, as an ingest node does: through ingest's own publisher, which
 * after a failed publish sends nothing new until the failed events are stored again in order
 * (src/nats/publisher.ts), so that each host's events are stored in the order they were sent.
 * Retrying each event on its own would store one refused during a restart behind later events
 * of its host, and the workers would rightly find other samples and sequences than a scan of
 * the events in order. `publisher`: one shared with other sends (a shipper's retry through the
 * same node), left open; otherwise one of its own. Resolves once every event is acknowledged.
 */
export async function publishEvents(
  nc: NatsConnection,
  events: readonly Event[],
  partitions: number,
  options: {
    window?: number;
    ratePerSecond?: number;
    onProgress?: (published: number) => void;
    publisher?: Publisher;
  } = {},
): Promise<void> {
  const window = options.window ?? 128;
  const started = Date.now();
  // a stalled JetStream fails the test here, saying so, rather than at the test's own limit
  const patienceMs = (options.ratePerSecond ? (events.length / options.ratePerSecond) * 1000 : 0) + 60_000;
  const publisher = options.publisher ?? harnessPublisher(nc, window, patienceMs);
  const retriesBefore = publisher.stats.retries;
  let stored = 0;
  let failure: unknown;
  const inFlight = new Set<Promise<unknown>>();
  try {
    for (let i = 0; i < events.length && failure === undefined; i++) {
      const message = encodeEventMessage(events[i], { source: "test", line: i + 1 }, partitions);
      const sent = publisher.publish(message).then(
        () => {
          stored++;
        },
        (error: unknown) => {
          failure ??= error;
        },
      );
      inFlight.add(sent);
      void sent.finally(() => inFlight.delete(sent));
      if (inFlight.size >= window) await Promise.race(inFlight);
      if (options.ratePerSecond) {
        const due = started + ((i + 1) * 1000) / options.ratePerSecond;
        if (due > Date.now()) await sleep(due - Date.now());
      }
      options.onProgress?.(i + 1);
    }
    await Promise.all(inFlight);
  } finally {
    publishRetries += publisher.stats.retries - retriesBefore;
    if (!options.publisher) await publisher.close();
  }
  if (failure !== undefined)
    throw new Error(
      `publishing stalled: ${stored} of ${events.length} events stored after ${Date.now() - started} ms (${(failure as Error).message})`,
    );
}

/** Ingest's publisher, patient enough for a test: it gives an event up only after `patienceMs`. */
export function harnessPublisher(nc: NatsConnection, window: number, patienceMs: number): Publisher {
  return new Publisher(nc, { window, deadlineMs: patienceMs, roomWaitMs: patienceMs });
}

export interface StoredAlert {
  seq: number;
  msgId: string;
  alert: Record<string, unknown>;
}

/** Every message of the alerts stream, in order. */
export async function readAlerts(nc: NatsConnection, timeoutMs = 30_000): Promise<StoredAlert[]> {
  const jsm = await jetstreamManager(nc);
  const total = (await jsm.streams.info(ALERTS_STREAM)).state.messages;
  const out: StoredAlert[] = [];
  if (total === 0) return out;
  const consumer = await jetstream(nc).consumers.get(ALERTS_STREAM, { deliver_policy: DeliverPolicy.All });
  const messages = await consumer.consume({ max_messages: 1000 });
  // the stream said `total`; fewer arriving must fail here, naming the count, not hang the test
  let late = false;
  const timer = setTimeout(() => {
    late = true;
    void messages.close();
  }, timeoutMs);
  try {
    for await (const m of messages) {
      out.push({
        seq: m.seq,
        msgId: m.headers?.get("Nats-Msg-Id") ?? "",
        alert: m.json<Record<string, unknown>>(),
      });
      if (out.length >= total) break;
    }
  } finally {
    clearTimeout(timer);
  }
  if (late) throw new Error(`read ${out.length} of the ${total} stored alerts in ${timeoutMs} ms`);
  await messages.close();
  return out;
}

export const alertId = (a: Record<string, unknown>): string => a["kibana.alert.uuid"] as string;
export const describeAlert = (a: Record<string, unknown>): string =>
  `${a["kibana.alert.rule.name"]} @ ${a["kibana.alert.original_time"]}${a["kibana.alert.building_block_type"] ? " (building block)" : ""}`;

/** `eqlite scan` over the same events: the alerts the workers must have published, once each. */
export function scanOracle(
  t: Cleanup,
  events: readonly Event[],
  rules: string[],
  /** more of scan's flags, as the workers were given them (`--space`, `--kibana-url`) */
  flags: string[] = [],
): Record<string, unknown>[] {
  const dir = mkdtempSync(join(tmpdir(), "eqlite-oracle-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, "events.ndjson");
  writeFileSync(file, events.map((e) => `${JSON.stringify(e)}\n`).join(""));
  const scan = spawnSync(
    process.execPath,
    [
      "--import",
      "tsx",
      entry,
      "scan",
      "--format",
      "ndjson",
      "-q",
      ...rules.flatMap((r) => ["--rules", r]),
      ...flags,
      file,
    ],
    // a scan that stalls fails the test here, saying so, rather than at the test's own limit
    { encoding: "utf8", maxBuffer: 512 * 1024 * 1024, timeout: 120_000 },
  );
  assert.equal(
    scan.error,
    undefined,
    `eqlite scan, the oracle, did not finish: ${scan.error} ${scan.stderr}`,
  );
  assert.equal(scan.status, 0, scan.stderr);
  return scan.stdout
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

/** The alerts stream holds each expected alert exactly once, and nothing else. */
export function assertSameAlerts(
  stored: StoredAlert[],
  expected: Record<string, unknown>[],
  context: string,
): void {
  const storedIds = stored.map((s) => s.msgId);
  assert.equal(new Set(storedIds).size, storedIds.length, `an alert is stored once (${context})`);
  for (const s of stored) assert.equal(s.msgId, alertId(s.alert), "the message id is the alert id");
  const expectedById = new Map(expected.map((a) => [alertId(a), a]));
  const storedById = new Map(stored.map((s) => [s.msgId, s.alert]));
  const missing = [...expectedById.keys()].filter((id) => !storedById.has(id));
  const extra = [...storedById.keys()].filter((id) => !expectedById.has(id));
  assert.deepEqual(
    missing.map((id) => describeAlert(expectedById.get(id)!)),
    [],
    `alerts scan finds that the stream lacks (${context})`,
  );
  assert.deepEqual(
    extra.map((id) => describeAlert(storedById.get(id)!)),
    [],
    `alerts the stream has that scan does not find (${context})`,
  );
  assert.equal(stored.length, expected.length, context);
}

/**
 * Waits until every partition's checkpoint has reached the last message of its subject (the
 * global partition: of the whole stream), twice in a row: then every alert is published.
 */
export async function waitCaughtUp(
  nc: NatsConnection,
  partitions: number,
  withGlobal: boolean,
  timeoutMs = 60_000,
): Promise<void> {
  const jsm = await jetstreamManager(nc);
  const checkpoints = await new Kvm(nc).open(CHECKPOINTS_BUCKET);
  const deadline = Date.now() + timeoutMs;
  let streak = 0;
  let caughtUpAt = 0;
  let holding: string[] = [];
  let behind: string[] = [];
  while (Date.now() < deadline) {
    behind = [];
    const info = await jsm.streams.info(EVENTS_STREAM, { subjects_filter: "eqlite.events.*" });
    const lastBySubject = new Map<string, number>();
    for (let p = 0; p < partitions; p++) {
      if (!info.state.subjects?.[eventSubject(p)]) continue;
      const last = await jsm.streams
        .getMessage(EVENTS_STREAM, { last_by_subj: eventSubject(p) })
        .catch(() => null);
      if (last) lastBySubject.set(`p${p}`, last.seq);
    }
    if (withGlobal) lastBySubject.set("global", info.state.last_seq);
    for (const [key, last] of lastBySubject) {
      const entry = await checkpoints.get(key);
      const seq = entry?.operation === "PUT" ? (parseRecord<CheckpointRecord>(entry.value)?.seq ?? 0) : 0;
      if (seq < last) behind.push(`${key} ${seq}/${last}`);
    }
    streak = behind.length === 0 ? streak + 1 : 0;
    caughtUpAt = streak === 1 ? Date.now() : caughtUpAt;
    // caught up, and no worker holds events for order any more (a sequence's last event waits
    // for an idle tick): every alert is published
    if (streak >= 2) {
      holding = await heldEvents(nc, caughtUpAt);
      if (holding.length === 0) return;
      behind = holding;
    }
    await sleep(300);
  }
  throw new Error(`checkpoints did not reach the end of the stream: ${behind.join(", ")}`);
}

/** Workers whose engines still hold events for order, or that have not reported since `since`. */
async function heldEvents(nc: NatsConnection, since: number): Promise<string[]> {
  const members = await new Kvm(nc).open(MEMBERS_BUCKET);
  const found: string[] = [];
  for (const key of await bucketKeys(members, "the members bucket")) {
    const record = parseMemberRecord((await members.get(key))?.value);
    if (!record) continue;
    if (record.beatAt <= since) found.push(`${key} has not reported since`);
    else if ((record.holding?.buffered ?? 0) > 0)
      found.push(`${key} holds ${record.holding?.buffered} events`);
  }
  return found;
}

/**
 * A bucket's keys, as they stand (see readBucket). A stalled read fails here, naming the
 * bucket, rather than at the test's own limit without saying where.
 */
export async function bucketKeys(bucket: KV, what: string, timeoutMs = 30_000): Promise<string[]> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`listing ${what} stalled for ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    const records = await Promise.race([readBucket(bucket), late]);
    return records.filter(isPut).map((record) => record.key);
  } finally {
    clearTimeout(timer);
  }
}

/** A worker's /metrics text; a worker that does not answer fails the wait, saying so. */
export async function scrape(url: string): Promise<string> {
  const answer = await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(10_000) });
  assert.equal(answer.status, 200);
  return answer.text();
}

/** The value of a metric without labels in Prometheus text; fails when it is missing. */
export function metricValue(text: string, name: string): number {
  const line = text.split("\n").find((l) => l.startsWith(`${name} `));
  assert.ok(line, `${name} not in:\n${text}`);
  return Number(line.slice(name.length + 1));
}

/** One per-rule family of Prometheus text: value by rule_id. */
export function perRule(text: string, name: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const m of text.matchAll(new RegExp(`^${name}\\{rule_id="([^"]+)",rule="[^\\n]*"\\} (\\S+)$`, "gm")))
    out.set(m[1], Number(m[2]));
  return out;
}

export interface Held {
  worker: string;
  /** when that owner took the lease (its epoch began) */
  since: number;
}

/** Who holds each lease now, by partition key. */
export async function leaseHolders(leases: KV): Promise<Map<string, Held>> {
  const holders = new Map<string, Held>();
  for (const key of await bucketKeys(leases, "the leases bucket")) {
    const entry = await leases.get(key);
    if (entry?.operation !== "PUT") continue;
    const record = parseRecord<LeaseRecord>(entry.value);
    if (record) holders.set(key, { worker: record.worker, since: record.since });
  }
  return holders;
}

/** Until every one of `keys` has a lease of a new epoch (taken after `after`), polled. */
export async function untilRetaken(
  leases: KV,
  keys: Map<string, Held>,
  after: number,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const now = await leaseHolders(leases);
    const pending = [...keys].filter(([key, held]) => {
      const current = now.get(key);
      // a renewal keeps the record; a takeover writes a new one, after the old key expired
      return !current || (current.worker === held.worker && current.since <= after);
    });
    if (pending.length === 0) return;
    if (Date.now() > deadline) throw new Error(`not taken over: ${pending.map(([k]) => k).join(", ")}`);
    await sleep(100);
  }
}
