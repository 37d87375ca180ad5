import assert from "node:assert/strict";
import { test } from "node:test";
import { gzipSync } from "node:zlib";
import { CLOUD_DEFEND_PROCESS, interactiveExec, startTestService } from "./serve-helpers.ts";

/*
 * Each shipper's requests replayed as it sends them — startup probes and setup calls, then
 * a bulk request with its method, path, query, headers, compression and body quirks — and
 * each answer checked with the rule that shipper applies to it (reference: what libbeat,
 * Logstash, Vector, Fluent Bit and Fluentd parse and accept). The request shapes are
 * written here from their documented behaviour; none is copied from a shipper.
 */

interface Reply {
  status: number;
  headers: Headers;
  text: string;
}

async function call(
  base: string,
  method: string,
  path: string,
  options: { headers?: Record<string, string>; body?: string | Buffer } = {},
): Promise<Reply> {
  const r = await fetch(`${base}${path}`, { method, headers: options.headers, body: options.body });
  return { status: r.status, headers: r.headers, text: await r.text() };
}

const pid = (n: number) => interactiveExec({ process: { ...(interactiveExec().process as object), pid: n } });
const line = (v: unknown) => JSON.stringify(v);

/** libbeat: HTTP 200 exactly, an `items` array, each item one key holding an integer status. */
function libbeatAccepts(r: Reply): Array<{ status: number }> {
  assert.equal(r.status, 200);
  const items = JSON.parse(r.text).items;
  assert.ok(Array.isArray(items));
  return items.map((item: Record<string, { status: unknown }>) => {
    assert.equal(Object.keys(item).length, 1);
    const inner = Object.values(item)[0];
    assert.ok(Number.isInteger(inner.status));
    return { status: inner.status as number };
  });
}

test("Filebeat / Elastic Agent (libbeat): probes, license, setup, then gzip bulk of create actions with filter_path", async (t) => {
  const { service, sink } = await startTestService();
  t.after(() => service.close());
  const base = service.url;
  const ua = { "user-agent": "Filebeat/9.1.0 (linux; amd64; unknown; 0001-01-01 00:00:00 +0000 UTC)" };
  const root = await call(base, "GET", "/", { headers: { ...ua, accept: "application/json" } });
  assert.equal(root.status, 200);
  const version = JSON.parse(root.text).version;
  assert.match(version.number, /^\d+\.\d+\.\d+$/);
  assert.equal(version.build_flavor, "default");
  const license = JSON.parse((await call(base, "GET", "/_license?human=false", { headers: ua })).text);
  assert.equal(license.license.status, "active");
  assert.equal(JSON.parse((await call(base, "GET", "/", { headers: ua })).text).cluster_uuid.length, 22);
  // standalone index management: HEAD answers "exists" so nothing is PUT; ILM and data stream checks
  assert.equal((await call(base, "GET", "/_ilm/policy/filebeat", { headers: ua })).status, 200);
  assert.equal((await call(base, "HEAD", "/_index_template/filebeat-9.1.0", { headers: ua })).status, 200);
  assert.equal((await call(base, "GET", "/_data_stream/filebeat-9.1.0", { headers: ua })).status, 200);
  assert.equal(
    (
      await call(base, "PUT", "/_ingest/pipeline/filebeat-9.1.0-system-auth-pipeline", {
        headers: ua,
        body: "{}",
      })
    ).status,
    200,
  );

  const raw = [
    line({ create: { _index: CLOUD_DEFEND_PROCESS } }),
    line(pid(101)),
    line({ create: { _index: "logs-elastic_agent-default", pipeline: "logs-elastic_agent-1.0" } }),
    line({
      "@timestamp": new Date().toISOString(),
      message: "agent heartbeat",
      event: { dataset: "elastic_agent" },
    }),
    "",
  ].join("\n");
  const r = await call(base, "POST", "/_bulk?filter_path=errors,items.*.error,items.*.status", {
    headers: {
      ...ua,
      "content-type": "application/json; charset=UTF-8",
      accept: "application/json",
      "content-encoding": "gzip",
      "x-elastic-uncompressed-request-length": String(Buffer.byteLength(raw)),
      "x-elastic-product-origin": "beats",
    },
    body: gzipSync(raw),
  });
  assert.deepEqual(libbeatAccepts(r), [{ status: 201 }, { status: 201 }]);
  assert.equal(r.text, '{"errors":false,"items":[{"create":{"status":201}},{"create":{"status":201}}]}');
  await sink.waitFor(() => sink.alerts.length === 1);
});

test("Logstash: HEAD /, product check, license, then gzip JSON bulk; item count matches and items are 200/201", async (t) => {
  const { service, sink } = await startTestService();
  t.after(() => service.close());
  const base = service.url;
  assert.equal((await call(base, "HEAD", "/")).status, 200);
  const root = await call(base, "GET", "/");
  // Logstash ≥ 7.14 semantics: version ≥ 7.14 needs the product header
  assert.equal(root.headers.get("x-elastic-product"), "Elasticsearch");
  const [major, minor] = JSON.parse(root.text).version.number.split(".").map(Number);
  assert.ok(major > 7 || (major === 7 && minor >= 14));
  assert.equal(JSON.parse((await call(base, "GET", "/_license")).text).license.status, "active");
  // non-data-stream mode with template management: HEAD then (not needed) PUT
  assert.equal((await call(base, "HEAD", "/_index_template/ecs-logstash")).status, 200);

  const actions = [
    [{ create: { _index: CLOUD_DEFEND_PROCESS } }, pid(201)],
    [
      { create: { _index: "logs-generic-default" } },
      {
        "@timestamp": new Date().toISOString(),
        message: "hello",
        data_stream: { type: "logs", dataset: "generic", namespace: "default" },
      },
    ],
    [
      { index: { _index: "logstash-2026.11.28", _id: "doc-1" } },
      { "@timestamp": new Date().toISOString(), message: "x" },
    ],
  ];
  const raw = `${actions.flat().map(line).join("\n")}\n`;
  const r = await call(base, "POST", "/_bulk?filter_path=errors,items.*.error,items.*.status", {
    headers: {
      "content-type": "application/json",
      "content-encoding": "gzip",
      "x-elastic-event-count": String(actions.length),
      "x-elastic-uncompressed-request-length": String(Buffer.byteLength(raw)),
      "x-elastic-product-origin": "logstash-output-elasticsearch",
      authorization: "Basic bG9nc3Rhc2g6c2VjcmV0", // ignored without configured credentials
    },
    body: gzipSync(raw),
  });
  assert.equal(r.status, 200);
  const items = JSON.parse(r.text).items as Array<Record<string, { status: number }>>;
  assert.equal(items.length, actions.length, "Logstash fails on a count mismatch");
  for (const item of items) assert.ok([200, 201].includes(Object.values(item)[0].status));
  await sink.waitFor(() => sink.alerts.length === 1);
});

test("Vector: GET /, health check, x-ndjson bulk with index actions; errors found by the bytes, with type and reason", async (t) => {
  const { service, sink } = await startTestService();
  t.after(() => service.close());
  const base = service.url;
  assert.equal((await call(base, "GET", "/")).status, 200);
  assert.equal((await call(base, "GET", "/_cluster/health")).status, 200);
  const headers = {
    "content-type": "application/x-ndjson",
    "user-agent": "Vector/0.49.0",
    "accept-encoding": "gzip",
  };
  const good = await call(base, "POST", "/_bulk?timeout=60s", {
    headers,
    body: `${[{ index: { _index: CLOUD_DEFEND_PROCESS } }, pid(301), { index: { _index: "vector-2026.11.28" } }, { timestamp: "2026-11-28T10:00:00Z", message: "m" }].map(line).join("\n")}\n`,
  });
  assert.equal(good.status, 200);
  assert.ok(!good.text.includes('"errors":true'), "Vector rejects a batch whose body has these bytes");
  // data_stream mode: create actions into {type}-{dataset}-{namespace}, gzip
  const ds = await call(base, "POST", "/_bulk?timeout=60s", {
    headers: { ...headers, "content-encoding": "gzip" },
    body: gzipSync(
      `${[{ create: { _index: "logs-myapp-default" } }, { "@timestamp": "2026-11-28T10:00:00Z", message: "m" }, { create: { _index: "logs-myapp-default" } }, "{broken"].map((v) => (typeof v === "string" ? v : line(v))).join("\n")}\n`,
    ),
  });
  assert.equal(ds.status, 200);
  assert.ok(ds.text.includes('"errors":true'));
  for (const item of JSON.parse(ds.text).items as Array<
    Record<string, { error?: { type: unknown; reason: unknown } }>
  >) {
    const [key] = Object.keys(item);
    assert.ok(["index", "create", "update"].includes(key), "Vector cannot parse a delete item");
    const error = item[key].error;
    if (error) {
      assert.equal(typeof error.type, "string");
      assert.equal(typeof error.reason, "string");
    }
  }
  await sink.waitFor(() => sink.alerts.length === 1);
});

test("Fluent Bit: no probes; x-ndjson gzip bulk with _type and a doubled @timestamp; 200 and the success bytes", async (t) => {
  const { service, sink } = await startTestService();
  t.after(() => service.close());
  const record = pid(401);
  const event = JSON.stringify(record);
  // Fluent Bit prepends its time key: the record's own @timestamp follows, JSON.parse keeps the last
  const doubled = `{"@timestamp":"2026-11-28T10:00:00.000Z",${event.slice(1)}`;
  const body = [
    '{"create":{"_index":"logs-cloud_defend.process-default","_type":"_doc"}}',
    doubled,
    '{"create":{"_index":"fluent-bit","_type":"_doc"}}',
    '{"@timestamp":"2026-11-28T10:00:00.000Z","log":"hello"}',
    "",
  ].join("\n");
  const r = await call(service.url, "POST", "/_bulk", {
    headers: {
      "content-type": "application/x-ndjson",
      "user-agent": "Fluent-Bit",
      "content-encoding": "gzip",
    },
    body: gzipSync(body),
  });
  assert.ok(r.status === 200 || r.status === 201);
  // its fallback when the answer is cut by its response buffer
  assert.ok(r.text.includes('"errors":false,"items":['));
  await sink.waitFor(() => sink.alerts.length === 1);
  assert.equal(
    sink.alerts[0]["kibana.alert.original_time"],
    record["@timestamp"],
    "the record's own @timestamp wins",
  );
  // update actions (Write_Operation upsert) get item errors, not a failed request
  const upsert = await call(service.url, "POST", "/_bulk", {
    headers: { "content-type": "application/x-ndjson" },
    body: '{"update":{"_index":"fluent-bit","_type":"_doc","_id":"1"}}\n{"doc_as_upsert":true,"doc":{"log":"x"}}\n',
  });
  assert.equal(upsert.status, 200);
  assert.equal(JSON.parse(upsert.text).items[0].update.status, 400);
});

test("Fluentd data stream output: GET /_data_stream, then /{data_stream}/_bulk with empty create actions", async (t) => {
  const { service, sink } = await startTestService();
  t.after(() => service.close());
  const base = service.url;
  const info = JSON.parse((await call(base, "GET", "/")).text);
  assert.equal(Number(info.version.number.split(".")[0]), 8);
  const ds = JSON.parse((await call(base, "GET", `/_data_stream/${CLOUD_DEFEND_PROCESS}`)).text);
  assert.equal(ds.data_streams[0].name, CLOUD_DEFEND_PROCESS);
  const records = [pid(501), pid(502)];
  const r = await call(base, "POST", `/${CLOUD_DEFEND_PROCESS}/_bulk`, {
    headers: { "content-type": "application/vnd.elasticsearch+x-ndjson; compatible-with=8" },
    body: `${records
      .flatMap((e) => [{ create: {} }, e])
      .map(line)
      .join("\n")}\n`,
  });
  assert.equal(r.status, 200);
  assert.equal(r.headers.get("x-elastic-product"), "Elasticsearch");
  const items = JSON.parse(r.text).items as Array<Record<string, { status: number; _index: string }>>;
  assert.equal(items.length, records.length);
  for (const item of items) {
    assert.deepEqual(
      Object.keys(item),
      ["create"],
      "Fluentd checks the item is keyed by its write operation",
    );
    assert.equal(item.create._index, CLOUD_DEFEND_PROCESS);
  }
  await sink.waitFor(() => sink.alerts.length === 2);
});
