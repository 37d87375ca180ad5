import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import type { AlertDocument } from "../../src/engine/alert.ts";
import { DOCUMENT_ID_HEADER, INDEX_HEADER } from "../../src/nats/event-message.ts";
import { partitionOf } from "../../src/nats/partition.ts";
import { ALERTS_STREAM, alertSubject, EVENTS_STREAM, eventSubject } from "../../src/nats/topology.ts";
import { type NatsSettings, resolveConfig, type ServeConfig } from "../../src/server/config.ts";
import { LOCK_FILE } from "../../src/server/data-dir-lock.ts";
import { createLogger } from "../../src/server/logger.ts";
import { openServeRoles } from "../../src/server/serve-roles.ts";
import { startService } from "../../src/server/service.ts";
import { BUNDLED_RULES, bulkBody, CaptureSink, tempDir } from "../server/serve-helpers.ts";
import { natsServerMissing, startNats } from "./nats-server.ts";
import { readStream } from "./stream-reader.ts";

const skip = natsServerMissing;

function natsConfig(urls: string[], nats: Partial<NatsSettings> = {}, overrides: Partial<ServeConfig> = {}) {
  const base = resolveConfig({
    env: {},
    flags: { nats: urls.join(","), natsPartitions: "8" },
    defaultRules: [BUNDLED_RULES],
  });
  return {
    ...base,
    port: 0,
    watchRules: false,
    logLevel: "silent",
    ...overrides,
    nats: { ...base.nats!, alertsConsumer: "sink-test", ...nats },
  } satisfies ServeConfig;
}

/** serve as `eqlite serve --nats` composes it, alerts captured from its stdout sink. */
async function startNatsService(config: ServeConfig) {
  const logs: Array<{ level: number; msg: string }> = [];
  const logger = createLogger("info", { write: (line: string) => void logs.push(JSON.parse(line)) });
  const extensions = await openServeRoles(config, { logger });
  const sink = new CaptureSink();
  const service = await startService(config, { logger, extensions, stdoutSink: sink });
  return { service, sink, logs };
}

/** What the tests read of an answer: a bulk or ingest result, or an Elasticsearch-shaped error. */
interface Answer {
  errors?: boolean;
  accepted?: number;
  error: { type: string; reason: string };
}

interface ReadyAnswer {
  status: string;
  reason?: string;
  evaluation?: string;
  nats?: { connected: boolean };
}

async function post(url: string, body: string) {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/x-ndjson" },
    body,
  });
  return { status: response.status, headers: response.headers, body: (await response.json()) as Answer };
}

const event = (host: string, n: number, extra: Record<string, unknown> = {}) => ({
  "@timestamp": "2026-09-01T10:00:00.000Z",
  event: { category: ["process"], type: ["start"] },
  host: { id: host },
  process: { name: "bash", pid: n },
  ...extra,
});

test("serve --nats: _bulk events land on their host's partition subject with index and id, answered once stored; not run here", {
  skip,
}, async (t) => {
  const cluster = await startNats(t);
  const { service } = await startNatsService(natsConfig(cluster.urls));
  t.after(() => service.close());
  const nc = await connect({ servers: cluster.urls });
  t.after(() => nc.close());
  const jsm = await jetstreamManager(nc);

  const hosts = ["web-1", "db-7", "k8s-node-3", "mail"];
  const events = hosts.flatMap((host, h) => [0, 1, 2].map((n) => event(host, h * 10 + n)));
  const body = events
    .map(
      (e, i) =>
        `${JSON.stringify({ create: { _index: "logs-test-default", _id: `doc-${i}` } })}\n${JSON.stringify(e)}\n`,
    )
    .join("");
  const answer = await post(`${service.url}/_bulk`, body);
  assert.equal(answer.status, 200);
  assert.equal(answer.body.errors, false);
  // answered only after every PubAck: the stream holds them all when the answer arrives
  assert.equal((await jsm.streams.info(EVENTS_STREAM)).state.messages, events.length);

  const stored = await readStream(nc, EVENTS_STREAM);
  assert.equal(stored.length, events.length);
  for (const m of stored) {
    const sent = JSON.parse(m.text) as { host: { id: string }; event: { ingested?: string } };
    assert.equal(m.subject, eventSubject(partitionOf(sent.host.id, 8)));
    assert.equal(m.headers?.get(INDEX_HEADER), "logs-test-default");
    assert.match(m.headers?.get(DOCUMENT_ID_HEADER) ?? "", /^doc-\d+$/);
    assert.equal(m.msgId, m.headers?.get(DOCUMENT_ID_HEADER));
    assert.ok(sent.event.ingested, "event.ingested is stamped before publishing, as the rules would see it");
  }
  // each host's events in the order sent
  for (const host of hosts) {
    const pids = stored
      .map((m) => JSON.parse(m.text) as { host: { id: string }; process: { pid: number } })
      .filter((e) => e.host.id === host)
      .map((e) => e.process.pid);
    assert.deepEqual(
      pids,
      [...pids].sort((a, b) => a - b),
    );
  }
  assert.equal(service.pipeline.stats.events, 0, "the rules do not run on an ingest node");

  const ingest = await post(`${service.url}/ingest`, `${JSON.stringify(event("web-1", 99))}\n`);
  assert.equal(ingest.status, 200);
  assert.equal(ingest.body.accepted, 1);
  assert.equal((await jsm.streams.info(EVENTS_STREAM)).state.messages, events.length + 1);

  const ready = (await (await fetch(`${service.url}/readyz`)).json()) as ReadyAnswer;
  assert.equal(ready.status, "ready");
  assert.match(
    ready.evaluation ?? "",
    /published to NATS JetStream .* run through the rules by eqlite workers, not here/,
  );
  assert.equal(ready.nats?.connected, true);
  const metrics = await (await fetch(`${service.url}/metrics`)).text();
  assert.match(metrics, /^eqlite_nats_published_total 13$/m);
  assert.match(metrics, /^eqlite_nats_publish_in_flight 0$/m);
  assert.match(metrics, /^eqlite_nats_publish_failures_total\{reason="stream_full"\} 0$/m);
});

test("serve --nats: a full events stream answers 429 with Retry-After; a NATS outage past the publish timeout 503", {
  skip,
}, async (t) => {
  const cluster = await startNats(t);
  const { service, logs } = await startNatsService(
    natsConfig(cluster.urls, {
      eventsMaxBytes: 3000,
      publishTimeoutMs: 1500,
      ackTimeoutMs: 500,
      alerts: false,
    }),
  );
  t.after(() => service.close());
  const padding = "x".repeat(400);
  const full = await post(
    `${service.url}/_bulk`,
    bulkBody(Array.from({ length: 12 }, (_, i) => event("h", i, { message: padding }))),
  );
  assert.equal(full.status, 429);
  assert.ok(Number(full.headers.get("retry-after")) > 0);
  assert.equal(full.body.error.type, "es_rejected_execution_exception");
  assert.match(full.body.error.reason, /the events stream is full .*maximum bytes exceeded.*retry later/);

  await cluster.nodes[0].kill();
  const down = await post(`${service.url}/_bulk`, bulkBody([event("h2", 1)]));
  assert.equal(down.status, 503);
  assert.equal(down.body.error.type, "unavailable_shards_exception");
  assert.match(down.body.error.reason, /was not stored by JetStream within 1500 ms/);
  const ready = await fetch(`${service.url}/readyz`);
  assert.equal(ready.status, 503);
  assert.match(((await ready.json()) as ReadyAnswer).reason ?? "", /NATS: not connected/);
  const metrics = await (await fetch(`${service.url}/metrics`)).text();
  assert.match(metrics, /^eqlite_nats_publish_failures_total\{reason="timeout"\} 1$/m);
  assert.match(metrics, /^eqlite_nats_connected 0$/m);
  assert.deepEqual(
    logs.filter((l) => /^NATS connection/.test(l.msg)).map((l) => [l.level, l.msg]),
    [[40, "NATS connection lost; reconnecting"]],
    "the log says the connection is gone",
  );
});

test("serve --nats as the alert sink: alerts from the alerts stream reach the store once each, then /api/alerts", {
  skip,
}, async (t) => {
  const cluster = await startNats(t);
  const dataDir = tempDir("eqlite-nats-sink-");
  t.after(() => rmSync(dataDir, { recursive: true, force: true }));
  const { service, sink } = await startNatsService(natsConfig(cluster.urls, {}, { dataDir }));
  t.after(() => service.close());
  const nc = await connect({ servers: cluster.urls });
  t.after(() => nc.close());
  const jsm = await jetstreamManager(nc);
  const js = jsm.jetstream();

  const alert = (i: number): AlertDocument => ({
    "@timestamp": "2026-09-01T10:00:05.000Z",
    "host.name": `host-${i}`,
    "kibana.alert.uuid": `alert-${i}`,
    "kibana.alert.rule.rule_id": "rule-1",
    "kibana.alert.rule.name": "A test rule",
    "kibana.alert.severity": "high",
    "kibana.alert.original_time": `2026-09-01T10:00:0${i}.000Z`,
  });
  for (let i = 0; i < 5; i++)
    await js.publish(alertSubject("rule-1"), JSON.stringify(alert(i)), { msgID: `alert-${i}` });
  // the same alert again under its id: the stream drops it
  const again = await js.publish(alertSubject("rule-1"), JSON.stringify(alert(2)), { msgID: "alert-2" });
  assert.equal(again.duplicate, true);
  // the same alert again after the stream's window (a new msg id): the stream keeps it, the store does not
  await js.publish(alertSubject("rule-1"), JSON.stringify(alert(3)), { msgID: "alert-3-replayed" });
  // not an alert: dropped, never delivered again
  await js.publish(alertSubject("rule-1"), "not json", { msgID: "junk" });
  assert.equal((await jsm.streams.info(ALERTS_STREAM)).state.messages, 7);

  const search = async () =>
    (await (await fetch(`${service.url}/api/alerts?size=100`)).json()) as {
      total: number;
      alerts: AlertDocument[];
    };
  await untilTrue(async () => (await search()).total === 5 && sink.alerts.length === 6);
  const found = await search();
  assert.deepEqual(
    found.alerts.map((a) => a["kibana.alert.uuid"]).sort(),
    [0, 1, 2, 3, 4].map((i) => `alert-${i}`),
  );
  // stdout is at least once: the replayed copy shows there, under the same id
  assert.equal(sink.alerts.filter((a) => a["kibana.alert.uuid"] === "alert-3").length, 2);

  await untilTrue(async () => {
    const info = await jsm.consumers.info(ALERTS_STREAM, "sink-test");
    return info.num_pending === 0 && info.num_ack_pending === 0;
  });
  const metrics = await (await fetch(`${service.url}/metrics`)).text();
  assert.match(metrics, /^eqlite_nats_alerts_acknowledged_total\{consumer="sink-test"\} 6$/m);
  assert.match(metrics, /^eqlite_nats_alerts_invalid_total\{consumer="sink-test"\} 1$/m);
  assert.match(metrics, /^eqlite_store_alerts 5$/m);
});

async function untilTrue(check: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`not true within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

test("serve --nats: a document over the NATS server's max_payload fails alone, as a 400 bulk item or an /ingest error line; the request's other events are stored", {
  skip,
}, async (t) => {
  const cluster = await startNats(t, 1, ["max_payload: 65536"]);
  const { service } = await startNatsService(natsConfig(cluster.urls));
  t.after(() => service.close());
  const big = event("h-big", 2, { message: "x".repeat(70_000) });
  const answer = await fetch(`${service.url}/_bulk`, {
    method: "POST",
    headers: { "content-type": "application/x-ndjson" },
    body: bulkBody([event("h-1", 1), big, event("h-3", 3)], "logs-test-default"),
  });
  assert.equal(answer.status, 200);
  const body = (await answer.json()) as {
    errors: boolean;
    items: Array<{ create: { status: number; error?: { type: string; reason: string } } }>;
  };
  assert.equal(body.errors, true);
  assert.deepEqual(
    body.items.map((i) => i.create.status),
    [201, 400, 201],
  );
  assert.match(body.items[1].create.error!.reason, /max_payload/);
  const nc = await connect({ servers: cluster.urls });
  t.after(() => nc.close());
  const stored = await readStream(nc, EVENTS_STREAM);
  assert.deepEqual(
    stored.map((m) => (JSON.parse(m.text) as { host: { id: string } }).host.id),
    ["h-1", "h-3"],
  );

  // /ingest: the event fails alone, reported at its line like a malformed one
  const ingest = await fetch(`${service.url}/ingest`, {
    method: "POST",
    headers: { "content-type": "application/x-ndjson" },
    body: [event("h-4", 4), event("h-big2", 5, { message: "y".repeat(70_000) }), event("h-6", 6)]
      .map((e) => JSON.stringify(e))
      .join("\n"),
  });
  assert.equal(ingest.status, 200);
  const answer2 = (await ingest.json()) as {
    accepted: number;
    errors: Array<{ line: number; reason: string }>;
    errors_total: number;
  };
  assert.equal(answer2.accepted, 2);
  assert.equal(answer2.errors_total, 1);
  assert.equal(answer2.errors[0].line, 2);
  assert.match(answer2.errors[0].reason, /^the event is \d+ bytes; .*max_payload/);
  const afterIngest = await readStream(nc, EVENTS_STREAM);
  assert.deepEqual(
    afterIngest.map((m) => (JSON.parse(m.text) as { host: { id: string } }).host.id),
    ["h-1", "h-3", "h-4", "h-6"],
  );
});

test("serve --nats with a data dir holds its lock: a second node on the same dir is refused; the dir is free once the first closes", {
  skip,
}, async (t) => {
  const cluster = await startNats(t);
  const dataDir = tempDir("eqlite-nats-lock-");
  t.after(() => rmSync(dataDir, { recursive: true, force: true }));
  const config = natsConfig(cluster.urls, {}, { dataDir });
  const logger = createLogger("silent");
  const first = await openServeRoles(config, { logger });
  assert.ok(first);
  let firstOpen = true;
  t.after(async () => {
    if (firstOpen) await first.close?.();
  });
  const second = await openServeRoles(config, { logger }).catch((error: Error) => error);
  // opened after all (the lock not taken): closed, or its NATS connection keeps the test running
  if (!(second instanceof Error)) await second?.close?.();
  assert.ok(second instanceof Error, "a second node on the same data dir is refused");
  assert.match(
    second.message,
    new RegExp(`another eqlite process is using the data directory .*${join(dataDir, LOCK_FILE)} is locked`),
  );
  await first.close?.();
  firstOpen = false;
  const again = await openServeRoles(config, { logger });
  assert.ok(again);
  await again.close?.();
});
