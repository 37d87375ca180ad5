import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { type AddressInfo, createServer } from "node:net";
import { join } from "node:path";
import { test } from "node:test";
import { openDurability } from "../../src/server/durability.ts";
import { createLogger } from "../../src/server/logger.ts";
import { startService } from "../../src/server/service.ts";
import { WriteAheadLog } from "../../src/server/wal.ts";
import type { WalItem } from "../../src/server/wal-replay.ts";
import { tempDir } from "./alerts.ts";
import { attackTraffic, type Shipped } from "./attack-traffic.ts";
import { scanOracle } from "./scan-oracle.ts";
import {
  CaptureSink,
  CLOUD_DEFEND_PROCESS,
  quiet,
  ruleToml,
  testConfig,
  writeRule,
} from "./serve-helpers.ts";
import { ServeProcess } from "./serve-process.ts";

type Alert = Record<string, unknown>;

/**
 * Events in the log before the start: replaying them takes about 3 s on a shared 2-core
 * machine (some 20,000 events a second through the bundled rules), against the milliseconds
 * a signal takes to arrive once the replay says it began.
 */
const EVENTS = 60_000;

/** A data directory whose log holds `traffic` not yet run through the rules, as a crash leaves it. */
async function logWith(dataDir: string, traffic: readonly Shipped[]): Promise<void> {
  const wal = await WriteAheadLog.open({ dir: join(dataDir, "wal") });
  for (let i = 0; i < traffic.length; i += 1000) {
    const items: WalItem[] = traffic
      .slice(i, i + 1000)
      .map(({ event, index }, k) => ({ event, origin: { source: "bulk", line: i + k + 1, index } }));
    await wal.append(items);
  }
  await wal.close();
}

async function storedAlerts(url: string): Promise<Alert[]> {
  const alerts: Alert[] = [];
  let cursor: string | null = null;
  do {
    const query = `size=500${cursor ? `&search_after=${encodeURIComponent(cursor)}` : ""}`;
    const page = (await (await fetch(`${url}/api/alerts?${query}`)).json()) as {
      alerts: Alert[];
      next_search_after: string | null;
    };
    alerts.push(...page.alerts);
    cursor = page.next_search_after;
  } while (cursor);
  return alerts;
}

const idOf = (a: Alert) => a["kibana.alert.uuid"] as string;
const describe = (a: Alert) => `${a["kibana.alert.rule.name"]} @ ${a["kibana.alert.original_time"]}`;
const REPLAYING = /"msg":"replaying events accepted before the last stop/;
const ARGS = ["--no-watch-rules", "--no-stdout"];

test("SIGTERM during a long replay stops it at a batch and exits 0; the next start replays the rest, and the store holds exactly scan's alerts", async (t) => {
  const dir = await tempDir(t, "eqlite-start-term-");
  const dataDir = join(dir, "data");
  const traffic = attackTraffic(EVENTS, 5, 200);
  await logWith(dataDir, traffic);

  // checkpoints often, so the replay moves the checkpoint before the stop comes
  const first = ServeProcess.spawn(["--data-dir", dataDir, "--checkpoint-interval", "50", ...ARGS]);
  t.after(() => first.stop("SIGKILL"));
  await first.waitFor(REPLAYING);
  assert.equal(await first.stop("SIGTERM"), 0, first.stderr);
  assert.match(first.stderr, /"signal":"SIGTERM","msg":"stop requested"/);
  const [cutAt] = await first.waitFor(/"events":(\d+),"msg":"replay stopped by the stop request/);
  assert.ok(Number(cutAt) < EVENTS, `the replay was cut short (${cutAt} of ${EVENTS})`);
  assert.match(first.stderr, /"msg":"eqlite serve stopped"/);
  assert.doesNotMatch(first.stderr, /listening/);

  // the rest is still in the log: the next start replays it, and the open sequences before it
  const second = await ServeProcess.start(["--data-dir", dataDir, ...ARGS]);
  t.after(() => second.stop("SIGKILL"));
  const [replayed] = await second.waitFor(
    /"events":(\d+),"msg":"replayed events accepted before the last stop"/,
  );
  assert.ok(Number(cutAt) + Number(replayed) >= EVENTS, `${cutAt} replayed, then ${replayed}`);
  const stored = await storedAlerts(second.url);
  assert.equal(await second.stop("SIGTERM"), 0, second.stderr);

  const expected = scanOracle(dir, traffic);
  assert.ok(expected.length > 100, `a realistic number of alerts (${expected.length})`);
  const storedIds = new Set(stored.map(idOf));
  const expectedIds = new Set(expected.map(idOf));
  assert.equal(storedIds.size, stored.length, "an alert is stored once");
  // nothing lost across the cut, nothing alerted that the whole log does not give
  assert.deepEqual(
    expected.filter((a) => !storedIds.has(idOf(a))).map(describe),
    [],
    "alerts the store lacks",
  );
  assert.deepEqual(
    stored.filter((a) => !expectedIds.has(idOf(a))).map(describe),
    [],
    "alerts scan does not find",
  );
});

test("SIGHUP during a long replay does not stop the service: the rules are reloaded once it listens", async (t) => {
  const dir = await tempDir(t, "eqlite-start-hup-");
  const dataDir = join(dir, "data");
  await logWith(dataDir, attackTraffic(EVENTS, 6, 200));

  const serve = ServeProcess.spawn(["--data-dir", dataDir, ...ARGS]);
  t.after(() => serve.stop("SIGKILL"));
  await serve.waitFor(REPLAYING);
  serve.child.kill("SIGHUP");
  await serve.waitFor(/"msg":"SIGHUP while starting: the rules are reloaded once the service listens"/);
  await serve.waitFor(/"msg":"eqlite serve listening"[\s\S]*"msg":"rules reloaded"/);
  assert.match(
    serve.stderr,
    new RegExp(`"events":${EVENTS},"msg":"replayed events accepted before the last stop"`),
  );
  assert.equal(await serve.stop("SIGTERM"), 0, serve.stderr);
});

test("a stop during the replay does not flush what sequences wait for: the events after the stop are still in the log, and decide them at the next start", async (t) => {
  const dir = await tempDir(t, "eqlite-start-halt-");
  const dataDir = join(dir, "data");
  const rules = join(dir, "rules");
  mkdirSync(rules);
  // a download not followed by a run within 10 s: a false alert when decided before the run is seen
  writeRule(
    rules,
    "unrun.toml",
    ruleToml(
      "9d0f3a52-52f1-4a3b-9b0e-3c1c1f6e0a11",
      "Download Never Run",
      'sequence by container.id with maxspan=10s [process where process.name == "curl"] ![process where process.name == "payload"]',
    ),
  );
  const at = (ms: number) => new Date(Date.UTC(2026, 8, 1, 10, 0, 0) + ms).toISOString();
  const exec = (name: string, ms: number) => ({
    event: {
      "@timestamp": at(ms),
      event: { category: ["process"], type: ["start"], action: "exec", ingested: at(ms) },
      container: { id: "c1" },
      process: { name, executable: `/usr/bin/${name}`, args: [name] },
    },
    index: CLOUD_DEFEND_PROCESS,
  });
  // the download, more than a replayed batch of other programs, then the run, all within 10 s
  const traffic = [
    exec("curl", 0),
    ...Array.from({ length: 400 }, (_, i) => exec("ls", 1 + i)),
    exec("payload", 500),
  ];
  await logWith(dataDir, traffic);
  const config = testConfig({ dataDir, rules: [rules], checkpointIntervalMs: 20 });

  // stopped once the first replayed batch (the download and what follows it) is queued
  const stop = new AbortController();
  const first = await openDurability(config, { logger: quiet() });
  const replay = first.extensions.replay!;
  const sink = new CaptureSink();
  await assert.rejects(
    startService(config, {
      logger: quiet(),
      stdoutSink: sink,
      signal: stop.signal,
      extensions: {
        ...first.extensions,
        replay: async function* () {
          for await (const batch of replay()) {
            yield batch;
            stop.abort(new Error("stopped"));
          }
        },
      },
    }),
    /^Error: stopped$/,
  );
  assert.deepEqual(sink.alerts, [], "no alert before the run is seen");
  assert.ok(
    first.wal.checkpointed <= 1,
    `the download is still in the log (checkpoint ${first.wal.checkpointed})`,
  );

  const second = await openDurability(config, { logger: quiet() });
  const again = new CaptureSink();
  const service = await startService(config, {
    logger: quiet(),
    stdoutSink: again,
    extensions: second.extensions,
  });
  await service.close();
  assert.equal(service.pipeline.stats.events, traffic.length, "the whole log was replayed");
  assert.deepEqual(again.alerts, []);
});

test("a rule file changed during the replay is seen: the rules are reloaded once the service listens", async (t) => {
  const dir = await tempDir(t, "eqlite-start-watch-");
  const dataDir = join(dir, "data");
  const rules = join(dir, "rules");
  mkdirSync(rules);
  const rule = (id: string, name: string) => ruleToml(id, name, 'process where process.name == "curl"');
  writeRule(rules, "first.toml", rule("3e7c1a0b-6b1f-4c55-8f0e-0a6d2c1b9e01", "First"));
  await logWith(
    dataDir,
    Array.from({ length: 600 }, () => ({ event: {}, index: CLOUD_DEFEND_PROCESS })),
  );
  const config = testConfig({ dataDir, rules: [rules], watchRules: true, reloadDebounceMs: 20 });
  const logs: Array<{ msg: string; rules?: number }> = [];
  const logger = createLogger("info", { write: (line: string) => void logs.push(JSON.parse(line)) });
  const durable = await openDurability(config, { logger: quiet() });
  const replay = durable.extensions.replay!;
  const service = await startService(config, {
    logger,
    stdoutSink: new CaptureSink(),
    extensions: {
      ...durable.extensions,
      replay: async function* () {
        let first = true;
        for await (const batch of replay()) {
          yield batch;
          if (first) writeRule(rules, "second.toml", rule("3e7c1a0b-6b1f-4c55-8f0e-0a6d2c1b9e02", "Second"));
          first = false;
        }
      },
    },
  });
  t.after(() => service.close());
  const deadline = Date.now() + 15_000;
  while (!logs.some((l) => l.msg === "rules reloaded") && Date.now() < deadline)
    await new Promise((resolve) => setTimeout(resolve, 50));
  const reloaded = logs.find((l) => l.msg === "rules reloaded");
  assert.ok(
    reloaded,
    `the change made during the replay was reloaded: ${logs.map((l) => l.msg).join(" | ")}`,
  );
  assert.equal(reloaded.rules, 2);
  const listening = logs.findIndex((l) => l.msg === "eqlite serve listening");
  assert.ok(listening >= 0 && listening < logs.indexOf(reloaded), "reloaded after it listens");
});

/**
 * A start that fails part way must let go of the data directory: a program embedding
 * eqlite (or a supervisor in the same process) tries again, and a second start in a process
 * still holding the first one's lock and open log is refused as "another eqlite process".
 */
test("a start that fails (the replay breaks, the port is taken) closes the data directory: a second start in the same process runs", async (t) => {
  const dir = await tempDir(t, "eqlite-start-fails-");
  const dataDir = join(dir, "data");
  await logWith(
    dataDir,
    Array.from({ length: 600 }, () => ({ event: {}, index: CLOUD_DEFEND_PROCESS })),
  );
  const config = testConfig({ dataDir });

  const first = await openDurability(config, { logger: quiet() });
  const replay = first.extensions.replay!;
  await assert.rejects(
    startService(config, {
      logger: quiet(),
      stdoutSink: new CaptureSink(),
      extensions: {
        ...first.extensions,
        replay: async function* () {
          for await (const batch of replay()) {
            yield batch;
            throw new Error("EIO: i/o error, read");
          }
        },
      },
    }),
    /EIO/,
  );

  const taken = createServer();
  await new Promise<void>((resolve) => taken.listen(0, "127.0.0.1", resolve));
  t.after(() => taken.close());
  const port = (taken.address() as AddressInfo).port;
  const second = await openDurability({ ...config, port }, { logger: quiet() });
  await assert.rejects(
    startService(
      { ...config, port },
      { logger: quiet(), stdoutSink: new CaptureSink(), extensions: second.extensions },
    ),
    /cannot listen on 127\.0\.0\.1:\d+/,
  );

  // the whole log went through the rules once across the failed starts: what each queued before failing ran and was checkpointed
  const third = await openDurability(config, { logger: quiet() });
  const service = await startService(config, {
    logger: quiet(),
    stdoutSink: new CaptureSink(),
    extensions: third.extensions,
  });
  t.after(() => service.close());
  assert.equal((await fetch(`${service.url}/readyz`)).status, 200);
  assert.equal(third.wal.checkpointed, third.wal.next, "nothing left to replay");
});
