/**
 * `npm run chaos -- --seed N`: eqlite workers on NATS JetStream under random failure, checked
 * against `eqlite scan`. Not part of CI (it is random and takes minutes); docs/chaos.md says how
 * to run it and read it.
 *
 * A single-node nats-server (free ports, a temp store kept across its restarts) and --workers
 * `eqlite worker` children run the bundled rules, a global sequence rule and a sample rule over
 * simulated cloud_defend telemetry with attack stories (`eqlite simulate --seed N`), published
 * at --rate events/s the way ingest publishes. While it is published, every 1-3 s a fault drawn
 * from the seed is injected (chaos/faults.ts). Then every worker is let run, and the run waits
 * until every partition's checkpoint is at its last message and no worker holds events: a worker
 * fleet that never gets there "never recovers". The alerts stream is then compared with `eqlite
 * scan` over the same events (chaos/alert-diff.ts), every worker is stopped with SIGTERM (each
 * must exit 0 within its stop timeout), and the report lists the faults, every difference, each
 * worker's memory and every distinct warning and error its log said.
 *
 *   npm run chaos -- [--seed N] [--events N] [--rate EV/S] [--workers N] [--partitions N]
 *                    [--lease-ttl MS] [--faults kill,term,natsRestart,pause,reload,ruleChange,duplicates]
 *                    [--logs DIR]
 *
 * Exit 0 when the alerts equal scan's and nothing else was found, 1 otherwise.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { parseArgs } from "node:util";
import { connect } from "@nats-io/transport-node";
import { encodeEventMessage } from "../src/nats/event-message.ts";
import type { Publisher } from "../src/nats/publisher.ts";
import { EVENTS_STREAM } from "../src/nats/topology.ts";
import { launchNats, natsServerMissing } from "../test/nats/nats-server.ts";
import { readStream } from "../test/nats/stream-reader.ts";
import {
  BUNDLED_RULES,
  type Cleanup,
  globalRuleToml,
  harnessPublisher,
  type LogLine,
  publishEvents,
  readAlerts,
  ruleDir,
  scanOracle,
  simulatedEvents,
  type WorkerProcess,
  waitCaughtUp,
} from "../test/nats/worker-harness.ts";
import { ruleToml } from "../test/rules/fixtures.ts";
import { type AlertDiff, diffAlerts, differences } from "./chaos/alert-diff.ts";
import { FAULTS, type Fault, type Finding, inject } from "./chaos/faults.ts";
import { Fleet } from "./chaos/fleet.ts";
import { seededRandom } from "./chaos/random.ts";
import { eventsStoredOutOfOrder } from "./chaos/stream-order.ts";

const { values: flags } = parseArgs({
  options: {
    seed: { type: "string" },
    events: { type: "string", default: "20000" },
    rate: { type: "string", default: "700" },
    workers: { type: "string", default: "3" },
    partitions: { type: "string", default: "8" },
    "lease-ttl": { type: "string", default: "3000" },
    faults: { type: "string", default: FAULTS.join(",") },
    logs: { type: "string" },
  },
});

const seed = flags.seed === undefined ? Math.floor(Math.random() * 1_000_000) : Number(flags.seed);
const EVENTS = Number(flags.events);
const RATE = Number(flags.rate);
const WORKERS = Number(flags.workers);
const PARTITIONS = Number(flags.partitions);
const LEASE_TTL_MS = Number(flags["lease-ttl"]);
const STOP_TIMEOUT_MS = 5_000;
const enabled = flags.faults.split(",").filter((f): f is Fault => (FAULTS as readonly string[]).includes(f));

/** Per host, a shell started and a file written: a sample, whatever their order. */
const SAMPLE_RULE = ruleToml({
  metadata: `[metadata]
creation_date = "2026/12/01"
integration = ["cloud_defend"]
maturity = "production"
updated_date = "2026/12/01"
`,
  rule: {
    name: '"Chaos: Shell And File Write On One Host"',
    rule_id: '"c4a05000-0000-4000-8000-0000000005a1"',
    index: '["logs-cloud_defend*"]',
    // the whole input is one window: the workers' samples are then the ones scan finds
    from: '"now-24h"',
    max_signals: "1000",
  },
  query: `sample by host.id
  [process where event.type == "start" and process.name in ("bash", "sh")]
  [file where event.action == "creation"]`,
});

async function main(): Promise<number> {
  if (natsServerMissing) {
    console.error(natsServerMissing);
    return 2;
  }
  const cleanups: Array<() => unknown> = [];
  const cleanup: Cleanup = { after: (fn: () => unknown) => void cleanups.push(fn) } as Cleanup;
  const started = Date.now();
  const since = () => `${((Date.now() - started) / 1000).toFixed(1)}s`;
  const say = (line: string) => console.log(`[${since()}] ${line}`);
  const findings: Finding[] = [];
  const faultLog: string[] = [];

  say(
    `chaos seed ${seed}: ${EVENTS} events at ${RATE}/s, ${WORKERS} workers, ${PARTITIONS} partitions, lease TTL ${LEASE_TTL_MS} ms, faults ${enabled.join(",")}`,
  );
  const cluster = await launchNats(1);
  const nats = cluster.nodes[0];
  const nc = await connect({ servers: cluster.urls, maxReconnectAttempts: -1, reconnectTimeWait: 250 });
  const chaosRules = ruleDir(cleanup, {
    "global_namespace_burst.toml": globalRuleToml(),
    "sample.toml": SAMPLE_RULE,
  });
  const rules = [BUNDLED_RULES, chaosRules];
  const args = [
    ...["--nats", cluster.urls[0], "--partitions", String(PARTITIONS), "--lease-ttl", String(LEASE_TTL_MS)],
    ...["--checkpoint-interval", "250", "--stop-timeout", String(STOP_TIMEOUT_MS), "--no-watch-rules"],
    ...rules.flatMap((r) => ["--rules", r]),
  ];
  const fleet = new Fleet(args, (worker, code) => {
    const said = worker.stderr.trim().split("\n").slice(-3).join(" | ").slice(0, 1500);
    // documented (README, Workers): a worker that cannot reach NATS at start exits 1, for its
    // supervisor to start again
    const connect = code === 1 && /cannot connect to NATS at/.test(said);
    const finding = {
      kind: connect ? "exit at start, NATS unreachable (documented)" : "worker ended unasked",
      detail: `${worker.name} (pid ${worker.child.pid}) exited ${code ?? worker.child.signalCode}: ${said || "(nothing in its log)"}`,
    };
    if (connect) faultLog.push(`${since()} note: ${finding.kind}: ${finding.detail}`);
    else findings.push(finding);
    say(`${connect ? "note" : "FINDING"} ${finding.kind}: ${finding.detail}`);
  });
  const random = seededRandom(seed);
  let published = 0;
  const events = simulatedEvents(EVENTS, seed, 12);
  // one ingest node: the events, and a shipper's re-sent ones, in one order
  let publisher: Publisher | undefined;
  try {
    publisher = harnessPublisher(nc, 128, (EVENTS / RATE) * 1000 + 120_000);
    fleet.start();
    await fleet.all[0].waitFor(/worker started/, 1, 60_000);
    for (let i = 1; i < WORKERS; i++) fleet.start();
    await Promise.all(fleet.all.map((w) => w.waitFor(/worker started/, 1, 60_000)));
    say("workers started; publishing");

    const pending = new Set<Promise<void>>();
    const ctx = {
      random,
      fleet,
      nats,
      nc,
      partitions: PARTITIONS,
      leaseTtlMs: LEASE_TTL_MS,
      stopTimeoutMs: STOP_TIMEOUT_MS,
      ruleDir: chaosRules,
      publisher,
      published: () => events.slice(0, published),
      note: (fault: string, detail: string) => {
        faultLog.push(`${since()} ${fault}: ${detail}`);
        say(`${fault}: ${detail}`);
      },
      find: (finding: Finding) => {
        findings.push(finding);
        say(`FINDING ${finding.kind}: ${finding.detail.slice(0, 300)}`);
      },
      pending,
    };
    let publishing = true;
    const publish = publishEvents(nc, events, PARTITIONS, {
      publisher,
      ratePerSecond: RATE,
      onProgress: (n) => {
        published = n;
      },
    }).finally(() => {
      publishing = false;
    });
    const weights = Object.fromEntries(enabled.map((f) => [f, f === "natsRestart" ? 1 : 2])) as Record<
      Fault,
      number
    >;
    while (publishing) {
      await Promise.race([sleep(random.int(1_000, 3_000)), publish.catch(() => undefined)]);
      if (!publishing || enabled.length === 0) break;
      await inject(random.weighted(weights), ctx);
    }
    await publish;
    say(`published ${events.length} events; letting the faults end`);
    while (pending.size > 0) await Promise.all([...pending]);
    for (const w of fleet.all) if (w.running) w.signal("SIGCONT");
    if (fleet.running.length === 0) fleet.start();

    say("waiting for every partition to catch up");
    try {
      await waitCaughtUp(nc, PARTITIONS, true, 180_000);
    } catch (error) {
      findings.push({ kind: "never recovers", detail: (error as Error).message });
      say(`FINDING never recovers: ${(error as Error).message}`);
    }
    // nats-server acknowledges a message before its store has written it out: one killed then
    // can lose what it acknowledged (a single node; replicas keep it). Such events are not
    // eqlite's loss, and the alerts they would give are told apart
    const streamed = await readStream(nc, EVENTS_STREAM);
    const inStream = new Set(streamed.map((m) => m.msgId));
    const sent = events.map((e, i) => ({
      line: i + 1,
      msgId: encodeEventMessage(e, { source: "chaos", line: i + 1 }, PARTITIONS).msgId,
    }));
    const gone = sent.filter((e) => !inStream.has(e.msgId));
    if (gone.length > 0)
      findings.push({
        kind: "acknowledged events missing from the events stream (nats-server killed before it wrote them)",
        detail: `${gone.length} events, lines ${gone
          .slice(0, 20)
          .map((e) => e.line)
          .join(", ")}${gone.length > 20 ? ", …" : ""}`,
      });
    const moved = eventsStoredOutOfOrder(sent, streamed);
    if (moved.length > 0)
      findings.push({
        kind: "events stored out of publish order (a lost publish: docs/scale-out.md, Limits); alerts of their hosts may differ from scan's for that",
        detail: `${moved.length} events, e.g. ${moved
          .slice(0, 10)
          .map((m) => `line ${m.line} behind line ${m.after} on ${m.subject}`)
          .join(", ")}${moved.length > 10 ? ", …" : ""}`,
      });
    const stored = await readAlerts(nc, 60_000);
    const expected = scanOracle(cleanup, events, rules);
    const diff = diffAlerts(stored, expected);
    report(diff);

    say("stopping every worker with SIGTERM");
    await Promise.all(
      fleet.running.map(async (w) => {
        fleet.ending(w);
        try {
          const code = await w.stop(STOP_TIMEOUT_MS + 15_000);
          if (code !== 0)
            findings.push({
              kind: "exit code at the end",
              detail: `${w.name} exited ${code}: ${w.stderr.slice(-1500)}`,
            });
        } catch (error) {
          findings.push({ kind: "hang on exit", detail: (error as Error).message.slice(0, 4000) });
        }
      }),
    );
    for (const w of fleet.all)
      if (/FATAL|Unhandled|TypeError|ReferenceError/.test(w.stderr.replace(/^\{.*\}$/gm, "")))
        findings.push({
          kind: "crash report",
          detail: `${w.name}: ${w.stderr
            .replace(/^\{.*\}$/gm, "")
            .trim()
            .slice(0, 2000)}`,
        });

    console.log("\n== faults");
    for (const line of faultLog) console.log(`  ${line}`);
    console.log("\n== memory (RSS MiB: first, peak, last)");
    for (const m of fleet.memoryPeaks())
      console.log(`  ${m.worker} pid ${m.pid}: ${m.firstMiB}, ${m.peakMiB}, ${m.lastMiB}`);
    console.log("\n== warnings and errors the workers logged (distinct messages)");
    for (const [msg, seen] of distinctProblems(fleet.all))
      console.log(`  ${seen.count} × [${seen.level}] ${msg}\n      e.g. ${seen.example}`);
    console.log("\n== findings");
    for (const f of findings) console.log(`  ${f.kind}: ${f.detail.slice(0, 1500)}`);
    const bad = differences(diff) + findings.length;
    console.log(`\nchaos seed ${seed}: ${bad === 0 ? "OK" : `${bad} problems`} (${since()})`);
    return bad === 0 ? 0 : 1;

    function report(d: AlertDiff): void {
      console.log(`\n== alerts: ${d.stored} stored, ${d.expected} from scan`);
      for (const [what, list] of [
        ["lost (scan finds, the stream lacks)", d.missing],
        ["extra (the stream has, scan does not find)", d.extra],
        ["stored more than once", d.duplicated],
        ["message id is not the alert id", d.misnamed],
        ["content differs from scan's (beyond write times)", d.changed],
      ] as const) {
        if (list.length === 0) continue;
        console.log(`  ${list.length} ${what}:`);
        for (const line of list.slice(0, 20)) console.log(`    ${line}`);
      }
    }
  } finally {
    if (flags.logs) {
      mkdirSync(flags.logs, { recursive: true });
      for (const w of fleet.all) writeFileSync(join(flags.logs, `${w.name}-${w.child.pid}.log`), w.stderr);
    }
    await fleet.killAll();
    await publisher?.close();
    await nc.close().catch(() => undefined);
    await cluster.stop();
    for (const fn of cleanups.reverse()) await fn();
  }
}

interface Seen {
  count: number;
  level: string;
  example: string;
}

/** Warnings and errors by message, with one example line each: what a responder would read. */
function distinctProblems(workers: readonly WorkerProcess[]): Map<string, Seen> {
  const seen = new Map<string, Seen>();
  for (const w of workers)
    for (const line of w.lines) {
      const level = Number((line as LogLine & { level?: number }).level ?? 0);
      if (level < 40 || typeof line.msg !== "string") continue;
      const entry = seen.get(line.msg);
      if (entry) entry.count++;
      else
        seen.set(line.msg, {
          count: 1,
          level: level >= 50 ? "error" : "warn",
          example: JSON.stringify({ worker: w.name, ...line }).slice(0, 600),
        });
    }
  return seen;
}

process.exitCode = await main();
