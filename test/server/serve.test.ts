import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { Client } from "@elastic/elasticsearch";
import { IngestBatch } from "../../src/server/ingest-batch.ts";
import { createLogger } from "../../src/server/logger.ts";
import { ServeError, startService } from "../../src/server/service.ts";
import {
  bulkBody,
  CaptureSink,
  CLOUD_DEFEND_PROCESS,
  INTERACTIVE_RULE_ID,
  interactiveExec,
  quiet,
  ruleToml,
  startTestService,
  tempDir,
  testConfig,
  writeRule,
} from "./serve-helpers.ts";

// The service on a real socket, driven by the official Elasticsearch client (8.19).

const client = (url: string, auth?: { bearer: string }) =>
  new Client({ node: url, auth, compression: true, requestTimeout: 10_000, maxRetries: 0 });

test("the Elasticsearch client: info() and ping() work, and helpers.bulk events raise the bundled rule's alert", async (t) => {
  const { service, sink } = await startTestService();
  const es = client(service.url);
  t.after(async () => {
    await es.close();
    await service.close();
  });
  const info = await es.info();
  assert.match(info.version.number, /^8\./);
  assert.equal(await es.ping(), true);

  const dropped: unknown[] = [];
  const stats = await es.helpers.bulk({
    datasource: [
      interactiveExec({ process: { ...(interactiveExec().process as object), pid: 1 } }),
      // the same activity in an index the rule's `logs-cloud_defend*` does not cover: no alert
      {
        ...interactiveExec({ process: { ...(interactiveExec().process as object), pid: 2 } }),
        _target: "logs-other-default",
      },
      // a benign exec
      interactiveExec({ process: { ...(interactiveExec().process as object), pid: 3, interactive: false } }),
    ],
    onDocument: (doc) => {
      const target = (doc as { _target?: string })._target;
      delete (doc as { _target?: string })._target;
      return { create: { _index: target ?? CLOUD_DEFEND_PROCESS } };
    },
    onDrop: (d) => dropped.push(d),
  });
  assert.equal(stats.successful, 3);
  assert.deepEqual(dropped, []);
  await sink.waitFor(() => sink.alerts.length >= 1);
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(
    sink.alerts.length,
    1,
    "one alert: the other index is not covered, the benign exec does not match",
  );
  const alert = sink.alerts[0];
  assert.equal(alert["kibana.alert.rule.rule_id"], INTERACTIVE_RULE_ID);
  assert.equal((alert.process as { pid: number }).pid, 1);
  assert.match(
    String(alert["kibana.alert.original_event.ingested"]),
    /^\d{4}-/,
    "event.ingested was set on arrival",
  );
  const ancestors = alert["kibana.alert.ancestors"] as Array<{ index: string }>;
  assert.equal(ancestors[0].index, CLOUD_DEFEND_PROCESS);
});

test("a single-event rule's alert leaves within a second of its event", async (t) => {
  const { service, sink } = await startTestService();
  t.after(() => service.close());
  const sent = Date.now();
  const r = await fetch(`${service.url}/${CLOUD_DEFEND_PROCESS}/_bulk`, {
    method: "POST",
    headers: { "content-type": "application/x-ndjson" },
    body: `{"create":{}}\n${JSON.stringify(interactiveExec())}\n`,
  });
  assert.equal(r.status, 200);
  await sink.waitFor(() => sink.alerts.length === 1, 1000);
  assert.ok(Date.now() - sent < 1000);
});

test("serve's alerts are of its Kibana space and link to their page there", async (t) => {
  const { service, sink } = await startTestService({
    kibana: { spaceId: "soc", kibanaUrl: "https://kibana.example.com" },
  });
  t.after(() => service.close());
  const r = await fetch(`${service.url}/${CLOUD_DEFEND_PROCESS}/_bulk`, {
    method: "POST",
    headers: { "content-type": "application/x-ndjson" },
    body: `{"create":{}}\n${JSON.stringify(interactiveExec())}\n`,
  });
  assert.equal(r.status, 200);
  await sink.waitFor(() => sink.alerts.length === 1);
  const [alert] = sink.alerts;
  assert.deepEqual(alert["kibana.space_ids"], ["soc"]);
  assert.equal(
    alert["kibana.alert.url"],
    `https://kibana.example.com/s/soc/app/security/alerts/redirect/${alert["kibana.alert.uuid"]}?index=.alerts-security.alerts-soc&timestamp=${alert["@timestamp"]}`,
  );
});

test("a sequence completed by the last event to arrive alerts within a second (idle flush)", async (t) => {
  const { service, sink } = await startTestService({ idleFlushMs: 300 });
  t.after(() => service.close());
  const now = Date.now();
  const exec = (name: string, executable: string, at: number) => ({
    "@timestamp": new Date(at).toISOString(),
    event: { category: ["process"], type: ["start"], action: "exec" },
    container: { id: "seq01" },
    process: { name, executable, args: [name] },
  });
  const sent = Date.now();
  await fetch(`${service.url}/${CLOUD_DEFEND_PROCESS}/_bulk`, {
    method: "POST",
    body: `{"create":{}}\n${JSON.stringify(exec("curl", "/usr/bin/curl", now - 1000))}\n{"create":{}}\n${JSON.stringify(exec("payload", "/tmp/payload", now))}\n`,
  });
  await sink.waitFor(() => sink.shells.length === 1, 1000);
  assert.ok(Date.now() - sent < 1000);
  assert.equal(
    sink.shells[0]["kibana.alert.rule.name"],
    "File Downloaded then Executed from a Temporary Directory in a Container",
  );
});

test("an event dated far ahead of the clock: single-event rules alert on it, sequences and the watermark leave it out", async (t) => {
  const dir = tempDir("eqlite-serve-future-");
  writeRule(
    dir,
    "seq.toml",
    ruleToml(
      "11111111-0000-4000-8000-000000000011",
      "Curl Then Tmp Exec",
      `sequence by container.id with maxspan=1m
  [process where process.name == "curl"]
  [process where process.executable : "/tmp/*"]`,
    ),
  );
  writeRule(
    dir,
    "single.toml",
    ruleToml("11111111-0000-4000-8000-000000000012", "Nsenter", 'process where process.name == "nsenter"'),
  );
  const { service, sink } = await startTestService({ rules: [dir] });
  t.after(async () => {
    await service.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const proc = (name: string, executable: string, time: string, container = "f1") => ({
    "@timestamp": time,
    event: { category: ["process"], type: ["start"] },
    container: { id: container },
    process: { name, executable },
  });
  const ago = (ms: number) => new Date(Date.now() - ms).toISOString();
  // a host whose clock says 2099, then the payload before the download it runs, within the lateness
  const events = [
    proc("curl", "/usr/bin/curl", "2099-01-01T00:00:00.000Z", "f9"),
    proc("nsenter", "/usr/bin/nsenter", "2099-01-01T00:00:01.000Z", "f9"),
    proc("payload", "/tmp/payload", ago(1_000)),
    proc("curl", "/usr/bin/curl", ago(1_500)),
  ];
  await fetch(`${service.url}/_bulk?refresh=wait_for`, {
    method: "POST",
    body: bulkBody(events),
  });
  await sink.waitFor(() => sink.shells.length === 2);
  assert.deepEqual(sink.shells.map((a) => a["kibana.alert.rule.name"]).sort(), [
    "Curl Then Tmp Exec",
    "Nsenter",
  ]);
  const metrics = await (await fetch(`${service.url}/metrics`)).text();
  assert.match(
    metrics,
    /^eqlite_rule_future_events_total\{rule_id="11111111-0000-4000-8000-000000000011",rule="Curl Then Tmp Exec"\} 1$/m,
  );
  assert.match(
    metrics,
    /^eqlite_rule_late_events_total\{rule_id="11111111-0000-4000-8000-000000000011",.*\} 0$/m,
  );
  // the newest event time it shows is the payload's, not 2099's
  assert.match(metrics, /^eqlite_watermark_lag_seconds \d/m);
});

test("hot reload keeps a half-finished sequence of an unchanged rule and refuses an invalid rule set", async (t) => {
  const dir = tempDir("eqlite-serve-reload-");
  const seq = ruleToml(
    "11111111-0000-4000-8000-000000000001",
    "Curl Then Tmp Exec",
    `sequence by container.id with maxspan=5m
  [process where process.name == "curl"]
  [process where process.executable : "/tmp/*"]`,
  );
  writeRule(dir, "seq.toml", seq);
  const single = writeRule(
    dir,
    "single.toml",
    ruleToml("11111111-0000-4000-8000-000000000002", "Nsenter", 'process where process.name == "nsenter"'),
  );
  const { service, sink } = await startTestService({ rules: [dir], allowedLatenessMs: 0 });
  t.after(async () => {
    await service.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const post = (event: Record<string, unknown>) =>
    fetch(`${service.url}/_bulk?refresh=wait_for`, {
      method: "POST",
      body: `{"create":{"_index":"${CLOUD_DEFEND_PROCESS}"}}\n${JSON.stringify(event)}\n`,
    });
  const proc = (name: string, executable: string, second: number) => ({
    "@timestamp": new Date(Date.UTC(2026, 8, 1, 10, 0, second)).toISOString(),
    event: { category: ["process"], type: ["start"] },
    container: { id: "r1" },
    process: { name, executable },
  });
  await post(proc("curl", "/usr/bin/curl", 1));

  // change one rule, add another: the sequence rule is unchanged and keeps its partial match
  writeFileSync(
    single,
    ruleToml("11111111-0000-4000-8000-000000000002", "Nsenter", 'process where process.name : "nsenter*"'),
  );
  writeRule(
    dir,
    "new.toml",
    ruleToml("11111111-0000-4000-8000-000000000003", "Unshare", 'process where process.name == "unshare"'),
  );
  const ok = await service.reload();
  assert.equal(ok.ok, true);
  assert.deepEqual(ok.summary?.kept, ["11111111-0000-4000-8000-000000000001"]);
  assert.deepEqual(ok.summary?.changed, ["11111111-0000-4000-8000-000000000002"]);
  assert.deepEqual(ok.summary?.added, ["11111111-0000-4000-8000-000000000003"]);

  // a broken file: the whole new set is refused, the running rules stay
  writeRule(
    dir,
    "broken.toml",
    ruleToml("11111111-0000-4000-8000-000000000004", "Broken", "process where process.name = "),
  );
  const refused = await service.reload();
  assert.equal(refused.ok, false);
  assert.match(refused.error ?? "", /broken\.toml:\d+:\d+/);

  await post(proc("payload", "/tmp/payload", 2));
  await post(proc("unshare", "/usr/bin/unshare", 3));
  const names = sink.shells.map((a) => a["kibana.alert.rule.name"]).sort();
  assert.deepEqual(names, ["Curl Then Tmp Exec", "Unshare"]);
  const metrics = await (await fetch(`${service.url}/metrics`)).text();
  assert.match(metrics, /eqlite_rule_reloads_total\{result="ok"\} 1/);
  assert.match(metrics, /eqlite_rule_reloads_total\{result="rejected"\} 1/);
});

test("a change in the rules directory reloads the rules by itself", async (t) => {
  const dir = tempDir("eqlite-serve-watch-");
  writeRule(
    dir,
    "a.toml",
    ruleToml("22222222-0000-4000-8000-000000000001", "A", 'process where process.name == "a"'),
  );
  const { service, sink } = await startTestService({ rules: [dir], watchRules: true, reloadDebounceMs: 100 });
  t.after(async () => {
    await service.close();
    rmSync(dir, { recursive: true, force: true });
  });
  writeRule(
    dir,
    "b.toml",
    ruleToml("22222222-0000-4000-8000-000000000002", "B", 'process where process.name == "b"'),
  );
  const deadline = Date.now() + 5000;
  while (!/result="ok"\} 1/.test(await (await fetch(`${service.url}/metrics`)).text())) {
    assert.ok(Date.now() < deadline, "the rules were not reloaded");
    await new Promise((r) => setTimeout(r, 50));
  }
  await fetch(`${service.url}/${CLOUD_DEFEND_PROCESS}/_doc?refresh=wait_for`, {
    method: "POST",
    body: JSON.stringify({
      "@timestamp": new Date().toISOString(),
      event: { category: ["process"] },
      process: { name: "b" },
    }),
  });
  assert.deepEqual(
    sink.alerts.map((a) => a["kibana.alert.rule.name"]),
    ["B"],
  );
});

test("off loopback the service refuses to start without credentials; with a token, a wrong one gets 401", async (t) => {
  await assert.rejects(
    startService(testConfig({ host: "0.0.0.0" }), { logger: quiet(), stdoutSink: new CaptureSink() }),
    (error: Error) =>
      error instanceof ServeError &&
      /refusing to listen on 0\.0\.0\.0 without authentication/.test(error.message),
  );
  const { service } = await startTestService({
    host: "0.0.0.0",
    auth: { apiKeys: [], tokens: ["right-token"], users: [] },
  });
  const url = service.url.replace("0.0.0.0", "127.0.0.1");
  const good = client(url, { bearer: "right-token" });
  const bad = client(url, { bearer: "wrong-token" });
  t.after(async () => {
    await good.close();
    await bad.close();
    await service.close();
  });
  assert.equal((await good.info()).cluster_name, "eqlite");
  await assert.rejects(
    bad.info(),
    (error: { meta?: { statusCode?: number } }) => error.meta?.statusCode === 401,
  );
  assert.equal((await fetch(`${url}/healthz`)).status, 200);
});

test("close drains: events accepted before it are run through the rules and their alerts delivered", async (t) => {
  const { service, sink } = await startTestService({ allowedLatenessMs: 60_000, idleFlushMs: 60_000 });
  t.after(() => service.close());
  const exec = (name: string, executable: string, second: number) => ({
    "@timestamp": new Date(Date.UTC(2026, 8, 1, 10, 0, second)).toISOString(),
    event: { category: ["process"], type: ["start"] },
    container: { id: "drain1" },
    process: { name, executable },
  });
  const body = [exec("curl", "/usr/bin/curl", 1), exec("payload", "/tmp/payload", 2)]
    .flatMap((e) => [`{"create":{"_index":"${CLOUD_DEFEND_PROCESS}"}}`, JSON.stringify(e)])
    .join("\n");
  assert.equal((await fetch(`${service.url}/_bulk`, { method: "POST", body })).status, 200);
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(sink.shells.length, 0, "the sequence waits behind the watermark");
  await service.close();
  assert.equal(sink.shells.length, 1, "the drain flushed it");
  const after = await fetch(`${service.url}/`).catch((error: Error) => error);
  assert.ok(after instanceof Error, "no longer listening");
});

test("/metrics and /readyz report the service", async (t) => {
  const { service } = await startTestService();
  t.after(() => service.close());
  await fetch(`${service.url}/${CLOUD_DEFEND_PROCESS}/_bulk?refresh=wait_for`, {
    method: "POST",
    body: `{"create":{}}\n${JSON.stringify(interactiveExec())}\n{"create":{}}\nnope\n`,
  });
  const metrics = await (await fetch(`${service.url}/metrics`)).text();
  for (const line of [
    'eqlite_events_received_total{endpoint="bulk"} 1',
    'eqlite_events_bad_total{endpoint="bulk"} 1',
    "eqlite_events_processed_total 1",
    "eqlite_queue_events 0",
    `eqlite_rule_alerts_total{rule_id="${INTERACTIVE_RULE_ID}",rule="Interactive Shell Started by kubectl exec in a Container"} 1`,
    `eqlite_rule_evaluations_total{rule_id="${INTERACTIVE_RULE_ID}",rule="Interactive Shell Started by kubectl exec in a Container"} 1`,
    'eqlite_sink_alerts_written_total{sink="capture"} 1',
  ]) {
    assert.ok(metrics.includes(line), `missing: ${line}`);
  }
  assert.match(metrics, /# TYPE eqlite_rule_open_sequences gauge/);
  assert.match(metrics, /eqlite_watermark_lag_seconds \d/);
  const ready = await fetch(`${service.url}/readyz`);
  assert.equal(ready.status, 200);
});

test("a document nesting past what an alert can hold fails alone, as a bulk item and as an /ingest line", async (t) => {
  // with a write-ahead log: such a document used to fail the whole request (503), which a
  // shipper retries for ever
  const { service, sink } = await startTestService({ dataDir: tempDir("eqlite-deep-") });
  t.after(() => service.close());
  const hostile = `${JSON.stringify(interactiveExec()).slice(0, -1)},"labels":${"[".repeat(5000)}${"]".repeat(5000)}}`;
  const later = { ...interactiveExec(), process: { ...(interactiveExec().process as object), pid: 4343 } };
  const r = await fetch(`${service.url}/${CLOUD_DEFEND_PROCESS}/_bulk?refresh=wait_for`, {
    method: "POST",
    body: `{"create":{}}\n${hostile}\n{"create":{}}\n${JSON.stringify(later)}\n`,
  });
  assert.equal(r.status, 200);
  const answer = (await r.json()) as {
    errors: boolean;
    items: Array<{ create: { status: number; error?: { type: string; reason: string } } }>;
  };
  assert.equal(answer.errors, true);
  assert.equal(answer.items[0].create.status, 400);
  assert.equal(answer.items[0].create.error?.type, "document_parsing_exception");
  assert.match(answer.items[0].create.error?.reason ?? "", /nests deeper than 1000 levels/);
  assert.equal(answer.items[1].create.status, 201);
  await sink.waitFor(() => sink.alerts.length === 1, 2000);
  assert.equal((sink.alerts[0].process as { pid: number }).pid, 4343);

  const ingest = await fetch(`${service.url}/ingest`, {
    method: "POST",
    body: `${hostile}\n${JSON.stringify({ ...later, "@timestamp": new Date().toISOString() })}\n`,
  });
  assert.equal(ingest.status, 200);
  const ingested = (await ingest.json()) as {
    accepted: number;
    errors_total: number;
    errors: Array<{ line: number; reason: string }>;
  };
  assert.equal(ingested.accepted, 1);
  assert.equal(ingested.errors_total, 1);
  assert.equal(ingested.errors[0].line, 1);
  assert.match(ingested.errors[0].reason, /the event nests deeper than 1000 levels/);

  const metrics = await (await fetch(`${service.url}/metrics`)).text();
  for (const line of [
    'eqlite_events_bad_total{endpoint="bulk"} 1',
    'eqlite_events_bad_total{endpoint="ingest"} 1',
  ]) {
    assert.ok(metrics.includes(line), `missing: ${line}`);
  }
});

test("a failing sink is retried and counted while the others go on", async (t) => {
  const failing = {
    name: "broken",
    calls: 0,
    async write() {
      this.calls++;
      throw new Error("disk full");
    },
    async close() {},
  };
  const { service, sink } = await startTestService({ sinkRetries: 2 }, { extensions: { sinks: [failing] } });
  t.after(() => service.close());
  await fetch(`${service.url}/${CLOUD_DEFEND_PROCESS}/_bulk?refresh=wait_for`, {
    method: "POST",
    body: `{"create":{}}\n${JSON.stringify(interactiveExec())}\n`,
  });
  assert.equal(sink.alerts.length, 1);
  assert.equal(failing.calls, 2);
  const metrics = await (await fetch(`${service.url}/metrics`)).text();
  assert.ok(metrics.includes('eqlite_sink_write_failures_total{sink="broken"} 2'));
  assert.ok(metrics.includes('eqlite_sink_alerts_dropped_total{sink="broken"} 1'));
});

test("the accept step runs before the answer; a refusal there fails the request and queues nothing", async (t) => {
  const accepted: number[] = [];
  let refuse = false;
  const { service, sink } = await startTestService(
    {},
    {
      extensions: {
        accept: async (batch) => {
          if (refuse) throw new Error("log unavailable");
          accepted.push(batch.items.length);
        },
      },
    },
  );
  t.after(() => service.close());
  const send = () =>
    fetch(`${service.url}/${CLOUD_DEFEND_PROCESS}/_bulk?refresh=wait_for`, {
      method: "POST",
      body: `{"create":{}}\n${JSON.stringify(interactiveExec({ n: accepted.length }))}\n`,
    });
  assert.equal((await send()).status, 200);
  assert.deepEqual(accepted, [1]);
  refuse = true;
  const r = await send();
  assert.equal(r.status, 503);
  assert.match(((await r.json()) as { error: { reason: string } }).error.reason, /log unavailable/);
  assert.equal(sink.alerts.length, 1);
  assert.equal(service.queue.depth, 0);
});

test("TLS: with a certificate and key the service speaks HTTPS", {
  skip: !opensslAvailable() && "openssl not found",
}, async (t) => {
  const dir = tempDir("eqlite-serve-tls-");
  execFileSync(
    "openssl",
    [
      "req",
      "-x509",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-days",
      "1",
      "-subj",
      "/CN=127.0.0.1",
      "-addext",
      "subjectAltName=IP:127.0.0.1",
      "-keyout",
      join(dir, "key.pem"),
      "-out",
      join(dir, "cert.pem"),
    ],
    { stdio: "ignore" },
  );
  const { service } = await startTestService({
    tls: { cert: join(dir, "cert.pem"), key: join(dir, "key.pem") },
  });
  const es = new Client({
    node: service.url,
    tls: { ca: readFileSync(join(dir, "cert.pem")) },
    maxRetries: 0,
  });
  t.after(async () => {
    await es.close();
    await service.close();
    rmSync(dir, { recursive: true, force: true });
  });
  assert.match(service.url, /^https:/);
  assert.equal((await es.info()).tagline, "You Know, for Search");
});

function opensslAvailable(): boolean {
  try {
    execFileSync("openssl", ["version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

test("a long replay before the port opens says that it began and how far it has come", async (t) => {
  const logs: Array<{ msg: string; events?: number }> = [];
  const logger = createLogger("info", { write: (line: string) => void logs.push(JSON.parse(line)) });
  // every reading of the clock (the pipeline's too) is 4 s later: a line every batch or two
  let now = Date.UTC(2026, 8, 1);
  const replay = async function* () {
    for (let b = 0; b < 9; b++)
      yield new IngestBatch(
        [0, 1].map((i) => ({
          event: interactiveExec({ n: 2 * b + i }),
          origin: { source: "replay", line: 2 * b + i + 1 },
        })),
        "replay",
      );
  };
  const { service } = await startTestService(
    {},
    { logger, clock: () => (now += 4_000), extensions: { replay } },
  );
  t.after(() => service.close());
  const progress = logs.filter((l) => l.msg.startsWith("replaying events accepted before the last stop"));
  assert.ok(progress.length >= 2, JSON.stringify(logs.map((l) => l.msg)));
  const counts = progress.map((l) => l.events ?? 0);
  assert.deepEqual(
    counts,
    [...counts].sort((a, b) => a - b),
  );
  // the first says that it began
  assert.equal(counts[0], 0);
  assert.ok(
    counts.slice(1).every((n) => n > 0 && n <= 18 && n % 2 === 0),
    String(counts),
  );
  assert.equal(logs.find((l) => l.msg === "replayed events accepted before the last stop")?.events, 18);
});
