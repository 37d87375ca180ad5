import assert from "node:assert/strict";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { type TestContext, test } from "node:test";
import { DEAD_LETTER_FILE, openAlertState } from "../../src/server/alert-state.ts";
import { resolveConfig, type ServeConfig } from "../../src/server/config.ts";
import { LOCK_FILE } from "../../src/server/data-dir-lock.ts";
import { openDurability } from "../../src/server/durability.ts";
import { createLogger } from "../../src/server/logger.ts";
import { startService } from "../../src/server/service.ts";
import type { WriteAheadLog } from "../../src/server/wal.ts";
import { eventAlert, tempDir } from "./alerts.ts";
import { CaptureSink, CLOUD_DEFEND_PROCESS, interactiveExec, quiet, testConfig } from "./serve-helpers.ts";
import { ServeProcess } from "./serve-process.ts";

/** A service with durable state in `dataDir`, as `serve --data-dir` runs it. */
async function startDurable(
  t: TestContext,
  overrides: Partial<ServeConfig>,
  logger = quiet(),
  clock?: () => number,
) {
  const config = testConfig({ checkpointIntervalMs: 20, ...overrides });
  const durable = await openDurability(config, { logger, clock });
  const sink = new CaptureSink();
  const service = await startService(config, {
    logger: quiet(),
    stdoutSink: sink,
    extensions: durable.extensions,
    clock,
  });
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    await service.close();
  };
  t.after(close);
  return { service, sink, close, durable };
}

const bulk = (url: string, events: unknown[], query = "?refresh=wait_for") =>
  fetch(`${url}/${CLOUD_DEFEND_PROCESS}/_bulk${query}`, {
    method: "POST",
    body: events.map((e) => `{"create":{}}\n${JSON.stringify(e)}\n`).join(""),
  });

const exec = (name: string, executable: string, second: number) => ({
  "@timestamp": new Date(Date.UTC(2026, 8, 1, 10, 0, second)).toISOString(),
  event: { category: ["process"], type: ["start"], action: "exec", ingested: "2026-09-01T10:05:00Z" },
  container: { id: "dur1" },
  process: { name, executable, args: [name] },
});

test("with a data dir: alerts land in the store and the alerts API; a triage status survives a restart", async (t) => {
  const dataDir = await tempDir(t, "eqlite-durable-");
  const first = await startDurable(t, { dataDir });
  assert.equal(
    (await bulk(first.service.url, [interactiveExec({ "@timestamp": "2026-09-01T10:00:00Z" })])).status,
    200,
  );
  const page = (await (await fetch(`${first.service.url}/api/alerts`)).json()) as {
    total: number;
    alerts: Array<Record<string, unknown>>;
  };
  assert.equal(page.total, 1);
  const id = page.alerts[0]["kibana.alert.uuid"] as string;
  const patched = await fetch(`${first.service.url}/api/alerts/${id}`, {
    method: "PATCH",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ status: "acknowledged" }),
  });
  assert.equal(patched.status, 200);
  const metrics = await (await fetch(`${first.service.url}/metrics`)).text();
  for (const family of [
    /^eqlite_wal_bytes \d+$/m,
    /^eqlite_wal_checkpoint_lag_events \d+$/m,
    /^eqlite_wal_checkpoint_age_seconds [\d.]+$/m,
    /^eqlite_store_alerts 1$/m,
  ])
    assert.match(metrics, family);
  await first.close();

  const second = await startDurable(t, { dataDir });
  const alert = (await (await fetch(`${second.service.url}/api/alerts/${id}`)).json()) as Record<
    string,
    unknown
  >;
  assert.equal(alert["kibana.alert.workflow_status"], "acknowledged");
  const rules = (await (await fetch(`${second.service.url}/api/rules`)).json()) as {
    rules: Array<{ name: string; alerts: number }>;
  };
  const interactive = rules.rules.find((r) => r.name.startsWith("Interactive Shell"));
  assert.equal(interactive?.alerts, 1, "the rule's counters were recorded at shutdown");
});

test("a sequence half-sent before a clean restart completes after it: the checkpoint kept its first event", async (t) => {
  const dataDir = await tempDir(t, "eqlite-durable-");
  const first = await startDurable(t, { dataDir });
  assert.equal((await bulk(first.service.url, [exec("curl", "/usr/bin/curl", 0)])).status, 200);
  await first.close();
  assert.ok(first.durable.wal.checkpointed <= 1, "the download is still in the log");

  const second = await startDurable(t, { dataDir });
  assert.equal((await bulk(second.service.url, [exec("payload", "/tmp/payload", 20)])).status, 200);
  await second.close();
  const shells = second.sink.shells.map((a) => a["kibana.alert.rule.name"]);
  assert.deepEqual(shells, ["File Downloaded then Executed from a Temporary Directory in a Container"]);
});

test("a replay judges an event's date against when it came, as the live run did: one left out for being dated ahead stays out after a restart", async (t) => {
  const dataDir = await tempDir(t, "eqlite-durable-");
  const came = Date.UTC(2026, 8, 1, 10, 0, 0);
  // the download 50 s ahead of the clock (within the tolerance), the payload 100 s ahead: left out
  const first = await startDurable(t, { dataDir }, quiet(), () => came);
  assert.equal((await bulk(first.service.url, [exec("curl", "/usr/bin/curl", 50)])).status, 200);
  assert.equal((await bulk(first.service.url, [exec("payload", "/tmp/payload", 100)])).status, 200);
  await first.close();
  assert.deepEqual(first.sink.shells, []);
  assert.ok(
    first.durable.wal.checkpointed <= 1,
    "the download is still in the log, and the payload after it",
  );

  // ten minutes later both dates are past, but the payload was ahead when it came
  const second = await startDurable(t, { dataDir }, quiet(), () => came + 600_000);
  await second.close();
  assert.deepEqual(second.sink.shells, []);
});

test("one process per data dir: a second is refused, naming the lock, and touches nothing; a kill -9 frees the dir", async (t) => {
  const dataDir = await tempDir(t, "eqlite-durable-");
  const first = await startDurable(t, { dataDir });
  assert.equal((await bulk(first.service.url, [exec("curl", "/usr/bin/curl", 0)])).status, 200);
  const walBefore = first.durable.wal.stats;
  await assert.rejects(
    openDurability(testConfig({ dataDir }), { logger: quiet() }),
    new RegExp(`another eqlite process is using the data directory .*${join(dataDir, LOCK_FILE)} is locked`),
  );
  assert.equal((await bulk(first.service.url, [exec("payload", "/tmp/payload", 20)])).status, 200);
  assert.equal(first.durable.wal.stats.nextSeq, walBefore.nextSeq + 1, "the first process appends on");
  await first.close();
  const shells = first.sink.shells.map((a) => a["kibana.alert.rule.name"]);
  assert.deepEqual(shells, ["File Downloaded then Executed from a Temporary Directory in a Container"]);

  // across processes, and a lock that dies with its process
  const other = await ServeProcess.start(["--data-dir", dataDir, "--no-watch-rules", "--no-stdout"]);
  t.after(() => other.stop("SIGKILL"));
  await assert.rejects(
    ServeProcess.start(["--data-dir", dataDir, "--no-watch-rules", "--no-stdout"]),
    /serve exited with 2:\neqlite serve: another eqlite process is using the data directory/,
  );
  await other.stop("SIGKILL");
  const after = await ServeProcess.start(["--data-dir", dataDir, "--no-watch-rules", "--no-stdout"]);
  await after.stop("SIGKILL");
});

test("a full write-ahead log answers 429, a batch larger than a log segment 413", async (t) => {
  const dataDir = await tempDir(t, "eqlite-durable-");
  // 1 MiB log of 256 KiB segments, never checkpointed during the test
  const { service } = await startDurable(t, {
    dataDir,
    walMaxBytes: 1024 * 1024,
    checkpointIntervalMs: 3_600_000,
  });
  const padded = (n: number, bytes: number) =>
    Array.from({ length: n }, (_, i) => ({ ...exec("ls", "/bin/ls", i), pad: "x".repeat(bytes) }));
  const tooBig = await bulk(service.url, padded(1, 300 * 1024), "");
  assert.equal(tooBig.status, 413);
  assert.match(await tooBig.text(), /larger than a WAL segment/);
  let refused: Response | undefined;
  for (let i = 0; i < 10 && !refused; i++) {
    const response = await bulk(service.url, padded(4, 40 * 1024), "");
    if (response.status !== 200) refused = response;
  }
  assert.equal(refused?.status, 429);
  assert.equal(refused?.headers.get("retry-after"), "5");
  const ready = await fetch(`${service.url}/readyz`);
  assert.equal(ready.status, 503);
  assert.match(
    ((await ready.json()) as { reason: string }).reason,
    /^the write-ahead log is full: its checkpoint is behind/,
  );
});

test("a log too small for a sequence rule's reach: /readyz and the log name the rule and the remedy", async (t) => {
  const dataDir = await tempDir(t, "eqlite-durable-");
  const lines: Array<{ level: number; msg: string }> = [];
  const logger = createLogger("info", { write: (line: string) => void lines.push(JSON.parse(line)) });
  // 1 MiB log of 256 KiB segments; a download opens a sequence of 1m maxspan that its container never completes
  const { service } = await startDurable(t, { dataDir, walMaxBytes: 1024 * 1024 }, logger);
  assert.equal((await bulk(service.url, [exec("curl", "/usr/bin/curl", 0)], "")).status, 200);
  let refused: Response | undefined;
  for (let i = 0; i < 20 && !refused; i++) {
    const batch = Array.from({ length: 4 }, (_, k) => ({
      ...exec("ls", "/bin/ls", 1 + i),
      process: { name: "ls", executable: "/bin/ls", args: ["ls", String(k)] },
      pad: "x".repeat(40 * 1024),
    }));
    const response = await bulk(service.url, batch);
    if (response.status !== 200) refused = response;
  }
  assert.equal(
    refused?.status,
    429,
    "the checkpoint cannot pass the download while its sequence may complete",
  );
  const rule =
    /held at seq 1 by rule "File Downloaded then Executed from a Temporary Directory in a Container" \(.*\): its open sequences .* raise --wal-max-bytes/;
  let reason = "";
  for (let i = 0; i < 100 && !rule.test(reason); i++) {
    await new Promise((r) => setTimeout(r, 20));
    reason = ((await (await fetch(`${service.url}/readyz`)).json()) as { reason: string }).reason;
  }
  assert.match(reason, /^the write-ahead log is full: its checkpoint is held/);
  assert.match(reason, rule);
  const said = lines.filter((l) => rule.test(l.msg));
  assert.equal(said.length, 1, "said once");
  assert.equal(said[0].level, 50);
});

/** Makes the log's next `count` fdatasync calls fail as a failing disk would. */
function failSyncs(wal: WriteAheadLog, count: number): void {
  const handle = (wal as unknown as { handle: { datasync: () => Promise<void> } }).handle;
  const datasync = handle.datasync.bind(handle);
  let left = count;
  handle.datasync = () =>
    left-- > 0
      ? Promise.reject(Object.assign(new Error("EIO: i/o error, fdatasync"), { code: "EIO" }))
      : datasync();
}

test("a write-ahead log that cannot be written: 503, said once in the log and in /metrics; broken for good, /readyz says so", async (t) => {
  const dataDir = await tempDir(t, "eqlite-durable-");
  const lines: Array<{ level: number; msg: string; refused?: number }> = [];
  const logger = createLogger("info", { write: (line: string) => void lines.push(JSON.parse(line)) });
  const { service, durable } = await startDurable(t, { dataDir }, logger);
  const said = (msg: RegExp) => lines.filter((l) => msg.test(l.msg));
  const metric = async (name: string) =>
    Number(
      new RegExp(`^${name} (\\S+)$`, "m").exec(await (await fetch(`${service.url}/metrics`)).text())?.[1],
    );
  const ready = async () => (await fetch(`${service.url}/readyz`)).status;

  // a failed write, cut back cleanly: that batch is refused, the next ones are taken
  failSyncs(durable.wal, 1);
  const failed = await bulk(service.url, [exec("ls", "/bin/ls", 1)], "");
  assert.equal(failed.status, 503);
  assert.match(await failed.text(), /could not write 1 batch\(es\) to .*EIO/);
  assert.equal(await ready(), 200, "a failed write that was cut back leaves the log usable");
  assert.equal((await bulk(service.url, [exec("ls", "/bin/ls", 2)], "")).status, 200);
  assert.equal(said(/cannot be written/).length, 1);
  assert.equal(said(/cannot be written/)[0].level, 50, "at error level");
  assert.deepEqual(
    said(/is written again/).map((l) => l.refused),
    [1],
  );

  // a failed write that cannot be cut back either: every later batch is refused, said once
  failSyncs(durable.wal, 2);
  for (let i = 0; i < 3; i++)
    assert.equal((await bulk(service.url, [exec("ls", "/bin/ls", 3 + i)], "")).status, 503);
  assert.equal(said(/cannot be written/).length, 2, "once more for the second outage, not per request");
  assert.equal(await metric("eqlite_wal_failed_appends_total"), 4);
  assert.equal(await metric("eqlite_wal_broken"), 1);
  const readiness = await fetch(`${service.url}/readyz`);
  assert.equal(readiness.status, 503);
  assert.match(
    await readiness.text(),
    /the write-ahead log cannot be written until eqlite is restarted: .* unknown state/,
  );
});

test("durable settings need a data dir, and webhook headers are checked where they are written", async (t) => {
  const dir = await tempDir(t, "eqlite-durable-config-");
  const file = join(dir, "serve.toml");
  writeFileSync(
    file,
    `data_dir = "${dir}"
webhooks = ["https://soar.example/hooks/eqlite", "https://chat.example/hooks/T0/B0/XXXX"]
[webhook_headers]
"User-Agent" = "eqlite"
[webhook_headers."https://soar.example/hooks/eqlite"]
Authorization = "Bearer s3cr3t"
`,
  );
  assert.deepEqual(resolveConfig({ file }).webhookHeaders, {
    all: { "User-Agent": "eqlite" },
    byUrl: { "https://soar.example/hooks/eqlite": { Authorization: "Bearer s3cr3t" } },
  });

  const config = (flags: Record<string, unknown>, env: Record<string, string> = {}) =>
    resolveConfig({ flags, env, defaultRules: ["rules"] });
  assert.throws(() => config({ webhook: ["https://hooks.example/x"] }), /webhooks needs data_dir/);
  assert.throws(() => config({ dataDir: "d", webhook: ["ftp://hooks.example/x"] }), /is not http or https/);
  assert.throws(
    () => config({ dataDir: "d", webhook: ["https://a.example/"], webhookHeader: ["Bad Name: x"] }),
    /is not an HTTP header name/,
  );
  const ok = config({
    dataDir: "d",
    webhook: ["https://a.example/secret-token"],
    webhookHeader: ["Authorization: Bearer t0ken"],
  });
  assert.deepEqual(ok.webhookHeaders.all, { Authorization: "Bearer t0ken" });
  assert.throws(
    () =>
      config(
        { dataDir: "d", webhook: ["https://a.example/x"] },
        { EQLITE_WEBHOOK_HEADERS: JSON.stringify({ "https://b.example/secret": { "X-Key": "k" } }) },
      ),
    (error: Error) => /not among the webhooks/.test(error.message) && !error.message.includes("secret"),
  );
});

test("webhook_retry_timeout_ms: how long a webhook retries before the dead letter, from the file, the environment or a flag", async (t) => {
  const dir = await tempDir(t, "eqlite-webhook-retry-config-");
  const file = join(dir, "serve.toml");
  writeFileSync(
    file,
    `data_dir = "${dir}"\nwebhooks = ["http://127.0.0.1:1/hook"]\nwebhook_retry_timeout_ms = 120000\n`,
  );
  const config = (flags: Record<string, unknown>, env: Record<string, string> = {}) =>
    resolveConfig({ flags, env, defaultRules: ["rules"] });
  assert.equal(config({ dataDir: "d" }).webhookRetryTimeoutMs, 600_000);
  assert.equal(resolveConfig({ file }).webhookRetryTimeoutMs, 120_000);
  assert.equal(
    config({ dataDir: "d" }, { EQLITE_WEBHOOK_RETRY_TIMEOUT_MS: "5000" }).webhookRetryTimeoutMs,
    5_000,
  );
  assert.equal(
    config({ dataDir: "d", webhookRetryTimeout: "7000" }, { EQLITE_WEBHOOK_RETRY_TIMEOUT_MS: "5000" })
      .webhookRetryTimeoutMs,
    7_000,
  );
  assert.throws(() => config({ webhookRetryTimeout: "1000" }), /webhook_retry_timeout_ms needs data_dir/);
  assert.throws(() => config({ dataDir: "d", webhookRetryTimeout: "0" }), /must be positive/);

  // and the webhooks of `serve --data-dir` retry for that long
  const server = createServer((req, res) => req.resume().on("end", () => res.writeHead(503).end()));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  const state = openAlertState(testConfig({ dataDir: dir, webhooks: [url], webhookRetryTimeoutMs: 200 }), {
    logger: quiet(),
  });
  t.after(() => state.close());
  const started = Date.now();
  await state.webhooks[0].write([eventAlert({ pid: 1 })]);
  await state.webhooks[0].close();
  assert.ok(Date.now() - started < 5_000, `dead-lettered after ${Date.now() - started} ms`);
  assert.equal(state.webhooks[0].stats.deadLettered, 1);
  assert.ok(existsSync(join(dir, DEAD_LETTER_FILE)));
});

test("without a data dir there is no alerts API", async (t) => {
  const config = testConfig({ dataDir: undefined });
  const service = await startService(config, { logger: quiet(), stdoutSink: new CaptureSink() });
  t.after(() => service.close());
  assert.equal((await fetch(`${service.url}/api/alerts`)).status, 404);
});

test("--alerts-file: alerts as NDJSON, rotated by size, the newest rotated copy first", async (t) => {
  const dir = await tempDir(t, "eqlite-alerts-file-");
  const path = join(dir, "alerts.ndjson");
  const service = await startService(
    testConfig({ alertsFile: path, alertsFileMaxBytes: 1, alertsFileKeep: 1 }),
    {
      logger: quiet(),
      stdoutSink: new CaptureSink(),
    },
  );
  t.after(() => service.close());
  for (const n of [1, 2, 3])
    await bulk(service.url, [
      interactiveExec({ "@timestamp": "2026-09-01T10:00:00Z", container: { id: `c${n}` } }),
    ]);
  await service.close();
  // every write starts a new file (1 byte at most); one rotated copy is kept
  const containers = (file: string) =>
    readFileSync(file, "utf8")
      .trim()
      .split("\n")
      .map((l) => (JSON.parse(l) as { container: { id: string } }).container.id);
  assert.deepEqual(containers(path), ["c3"]);
  assert.deepEqual(containers(`${path}.1`), ["c2"]);
  assert.equal(existsSync(`${path}.2`), false);
});

test("a webhook down for long: alerts the sink queue pushes out go to the dead letters, none dropped, and /metrics counts them", async (t) => {
  const dataDir = await tempDir(t, "eqlite-durable-");
  // nothing listens on port 1: every delivery is refused, and retried for ten minutes
  const { service, close } = await startDurable(t, {
    dataDir,
    webhooks: ["http://127.0.0.1:1/hook"],
    webhookRetryTimeoutMs: 600_000,
    sinkQueueAlerts: 1,
  });
  // not ?refresh=wait_for, which waits for the alerts' delivery
  for (const n of [1, 2, 3, 4, 5, 6])
    await bulk(
      service.url,
      [interactiveExec({ "@timestamp": "2026-09-01T10:00:00Z", container: { id: `c${n}` } })],
      "",
    );
  const metric = (text: string, name: string) =>
    Number(new RegExp(`^${name}\\{sink="webhook:[^"]*"\\} (\\d+)$`, "m").exec(text)?.[1]);
  const deadLetters = () =>
    existsSync(join(dataDir, DEAD_LETTER_FILE))
      ? readFileSync(join(dataDir, DEAD_LETTER_FILE), "utf8").trim().split("\n").length
      : 0;
  // a push is counted before its dead letter is written: wait until the file has caught up
  let metrics = "";
  let written = 0;
  for (let tries = 0; tries < 100; tries++) {
    metrics = await (await fetch(`${service.url}/metrics`)).text();
    written = deadLetters();
    const pushed = metric(metrics, "eqlite_webhook_alerts_queue_full_total");
    if (pushed > 0 && written === pushed) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const queueFull = metric(metrics, "eqlite_webhook_alerts_queue_full_total");
  assert.ok(queueFull >= 1, metrics);
  assert.equal(metric(metrics, "eqlite_sink_alerts_dropped_total"), 0, metrics);
  assert.equal(written, queueFull, "each alert pushed out is a dead letter");
  await close();
});
