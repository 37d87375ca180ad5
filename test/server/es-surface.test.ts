import assert from "node:assert/strict";
import { test } from "node:test";
import { gzipSync } from "node:zlib";
import { parseBulk } from "../../src/server/bulk-request.ts";
import { bulkResponse } from "../../src/server/bulk-response.ts";
import { filterPath } from "../../src/server/filter-path.ts";
import { createLogger } from "../../src/server/logger.ts";
import { appOnly, bulkBody, CLOUD_DEFEND_PROCESS, interactiveExec, ndjson } from "./serve-helpers.ts";

// What the HTTP app answers, through fastify's inject(): the Elasticsearch surface and /ingest.

test("GET and HEAD / give cluster info with an 8.x version; every answer says X-Elastic-Product", async (t) => {
  const { app } = appOnly();
  t.after(() => app.close());
  const info = await app.inject({ method: "GET", url: "/" });
  assert.equal(info.statusCode, 200);
  assert.equal(info.headers["x-elastic-product"], "Elasticsearch");
  const body = info.json();
  assert.match(body.version.number, /^8\.\d+\.\d+$/);
  assert.equal(body.version.build_flavor, "default");
  assert.equal(body.tagline, "You Know, for Search");
  assert.equal(typeof body.cluster_uuid, "string");
  const head = await app.inject({ method: "HEAD", url: "/" });
  assert.equal(head.statusCode, 200);
  assert.equal(head.body, "");
  for (const url of ["/nothing/here", "/_search", "/_license"]) {
    const r = await app.inject({ method: "GET", url });
    assert.equal(r.headers["x-elastic-product"], "Elasticsearch", url);
  }
  const missing = await app.inject({ method: "GET", url: "/nothing/here" });
  assert.equal(missing.statusCode, 400);
  assert.equal(missing.json().error.reason, "no handler found for uri [/nothing/here] and method [GET]");
});

test("license, health, nodes and the setup calls shippers make are acknowledged", async (t) => {
  const { app } = appOnly();
  t.after(() => app.close());
  const get = async (url: string) => {
    const r = await app.inject({ method: "GET", url });
    assert.equal(r.statusCode, 200, url);
    return r.json();
  };
  assert.equal((await get("/_license?human=false")).license.status, "active");
  assert.equal((await get("/_cluster/health")).status, "green");
  assert.equal(
    (await get("/_nodes/http")).nodes[Object.keys((await get("/_nodes/http")).nodes)[0]].http.publish_address,
    "127.0.0.1:9200",
  );
  assert.equal((await get("/_xpack")).license.status, "active");
  assert.ok((await get("/_ilm/policy/filebeat")).filebeat.policy);
  assert.equal((await get("/_data_stream/logs-x-default")).data_streams[0].name, "logs-x-default");
  const calls: Array<[string, string]> = [
    ["HEAD", "/_index_template/filebeat-9.1.0"],
    ["PUT", "/_index_template/filebeat-9.1.0"],
    ["PUT", "/_component_template/logs@custom"],
    ["HEAD", "/_template/logstash"],
    ["PUT", "/_template/logstash"],
    ["PUT", "/_ilm/policy/filebeat"],
    ["PUT", "/_data_stream/logs-x-default"],
    ["PUT", "/_ingest/pipeline/filebeat-9.1.0-system-syslog"],
    ["GET", "/_ingest/pipeline/filebeat-9.1.0-system-syslog"],
    ["HEAD", "/logstash"],
    ["PUT", "/%3Clogstash-%7Bnow%2Fd%7D-000001%3E"],
    ["POST", "/_refresh"],
    ["GET", "/_cat/health"],
    ["POST", "/_monitoring/bulk"],
  ];
  for (const [method, url] of calls) {
    const r = await app.inject({
      method: method as "GET",
      url,
      payload: method === "PUT" ? "{}" : undefined,
    });
    assert.equal(r.statusCode, 200, `${method} ${url}`);
    assert.equal(r.headers["x-elastic-product"], "Elasticsearch");
  }
  const search = await app.inject({ method: "POST", url: "/logs-x/_search", payload: "{}" });
  assert.equal(search.statusCode, 405);
  assert.match(search.json().error.reason, /_bulk/);
});

test("_bulk indexes create and index actions; update and delete get item errors, in order", async (t) => {
  const { app, queue } = appOnly();
  t.after(() => app.close());
  const body = ndjson([
    { create: { _index: CLOUD_DEFEND_PROCESS, _id: "a1" } },
    interactiveExec(),
    { index: { _index: "logs-other-default" } },
    interactiveExec(),
    { update: { _index: CLOUD_DEFEND_PROCESS, _id: "a1" } },
    { doc: { x: 1 } },
    { delete: { _index: CLOUD_DEFEND_PROCESS, _id: "a1" } },
    { create: {} },
    interactiveExec(),
  ]);
  const r = await app.inject({
    method: "POST",
    url: "/_bulk",
    headers: { "content-type": "application/x-ndjson" },
    payload: body,
  });
  assert.equal(r.statusCode, 200);
  const res = r.json();
  assert.deepEqual(Object.keys(res), ["took", "errors", "items"]);
  assert.equal(res.errors, true);
  assert.deepEqual(
    res.items.map((i: Record<string, { status: number }>) => [Object.keys(i)[0], Object.values(i)[0].status]),
    [
      ["create", 201],
      ["index", 201],
      ["update", 400],
      ["delete", 400],
      ["create", 201],
    ],
  );
  assert.equal(res.items[0].create._id, "a1");
  assert.equal(res.items[0].create.result, "created");
  assert.equal(res.items[1].index._index, "logs-other-default");
  assert.equal(res.items[4].create._index, "logs-eqlite-default", "the default index when none is named");
  assert.match(res.items[2].update.error.reason, /append-only/);
  assert.equal(typeof res.items[3].delete.error.type, "string");
  assert.equal(queue.depth, 3);
  const batch = (await queue.take())!;
  assert.deepEqual(
    batch.items.map((i) => i.origin.index),
    [CLOUD_DEFEND_PROCESS, "logs-other-default", "logs-eqlite-default"],
  );
  assert.equal(batch.items[0].origin.id, "a1");
  assert.equal(batch.items[0].event._index, undefined, "no synthetic field is added to events");
  const ingested = (batch.items[0].event.event as Record<string, unknown>).ingested;
  assert.match(String(ingested), /^\d{4}-\d\d-\d\dT/, "event.ingested is set on arrival");
});

test("a malformed line is an item error and the others are indexed", async (t) => {
  const { app, queue } = appOnly();
  t.after(() => app.close());
  const body = [
    JSON.stringify({ create: { _index: CLOUD_DEFEND_PROCESS } }),
    JSON.stringify(interactiveExec()),
    JSON.stringify({ create: { _index: CLOUD_DEFEND_PROCESS } }),
    '{"@timestamp": "2026-01-01T00:00:00Z", "event": {',
    "this is not an action",
    JSON.stringify({ broken: true }),
    JSON.stringify({ create: { _index: CLOUD_DEFEND_PROCESS } }),
    "[1, 2]",
    JSON.stringify({ create: { _index: CLOUD_DEFEND_PROCESS } }),
    JSON.stringify(interactiveExec({ "@timestamp": "2026-01-01T00:00:01Z" })),
  ].join("\r\n"); // CRLF, and no final newline
  const r = await app.inject({ method: "POST", url: "/_bulk", payload: body });
  assert.equal(r.statusCode, 200);
  const items = r.json().items.map((i: Record<string, { status: number; error?: { type: string } }>) => {
    const v = Object.values(i)[0];
    return [v.status, v.error?.type];
  });
  assert.deepEqual(items, [
    [201, undefined],
    [400, "document_parsing_exception"],
    [400, "illegal_argument_exception"],
    [400, "document_parsing_exception"],
    [201, undefined],
  ]);
  assert.equal(queue.depth, 2);
});

test("gzip and deflate bodies and every content type shippers send are read; /{index}/_bulk names the index", async (t) => {
  const { app, queue } = appOnly();
  t.after(() => app.close());
  const types = [
    "application/json; charset=UTF-8",
    "application/json",
    "application/x-ndjson",
    "application/vnd.elasticsearch+x-ndjson; compatible-with=8",
    "application/vnd.elasticsearch+x-ndjson; compatible-with=9",
    "text/plain",
  ];
  for (const type of types) {
    const r = await app.inject({
      method: "PUT",
      url: "/logs-cloud_defend.file-default/_bulk",
      headers: { "content-type": type, "content-encoding": "gzip" },
      payload: gzipSync(ndjson([{ create: {} }, interactiveExec()])),
    });
    assert.equal(r.statusCode, 200, type);
    assert.equal(r.json().items[0].create._index, "logs-cloud_defend.file-default");
  }
  const { deflateSync } = await import("node:zlib");
  const r = await app.inject({
    method: "POST",
    url: "/_bulk",
    headers: { "content-type": "application/x-ndjson", "content-encoding": "deflate" },
    payload: deflateSync(bulkBody([interactiveExec()])),
  });
  assert.equal(r.json().errors, false);
  const bad = await app.inject({
    method: "POST",
    url: "/_bulk",
    headers: { "content-encoding": "gzip" },
    payload: Buffer.from("not gzip at all"),
  });
  assert.equal(bad.statusCode, 200, "a body that only claims gzip is read as it is");
  const snappy = await app.inject({
    method: "POST",
    url: "/_bulk",
    headers: { "content-encoding": "snappy" },
    payload: "x",
  });
  assert.equal(snappy.statusCode, 415);
  assert.equal(queue.depth, types.length + 1);
});

test("filter_path shrinks the answer the way libbeat and Logstash ask", async (t) => {
  const { app } = appOnly();
  t.after(() => app.close());
  const r = await app.inject({
    method: "POST",
    url: "/_bulk?filter_path=errors,items.*.error,items.*.status",
    payload: `${bulkBody([interactiveExec()])}{"create":{}}\n[]\n`,
  });
  assert.equal(
    r.body,
    '{"errors":true,"items":[{"create":{"status":201}},{"create":{"status":400,"error":{"type":"document_parsing_exception","reason":"[1:1] failed to parse: the document must be a JSON object, not an array"}}}]}',
  );
});

test("a full queue refuses the whole request with an ES-shaped 429; a refused _id is not remembered", async (t) => {
  const { app, queue } = appOnly({ queueEvents: 3 });
  t.after(() => app.close());
  const send = (events: unknown[], ids: string[] = []) =>
    app.inject({
      method: "POST",
      url: "/_bulk",
      payload: ndjson(
        events.flatMap((e, i) => [{ create: { _index: CLOUD_DEFEND_PROCESS, _id: ids[i] } }, e]),
      ),
    });
  assert.equal((await send([interactiveExec(), interactiveExec({ a: 1 })])).statusCode, 200);
  const refused = await send([interactiveExec({ a: 2 }), interactiveExec({ a: 3 })], ["dup-1", "dup-2"]);
  assert.equal(refused.statusCode, 429);
  assert.equal(refused.headers["retry-after"], "1", "shippers are told when to try again");
  assert.equal(refused.headers["x-elastic-product"], "Elasticsearch");
  assert.deepEqual(refused.json().error.type, "es_rejected_execution_exception");
  assert.match(refused.json().error.reason, /queue full/);
  assert.equal(refused.json().status, 429);
  assert.equal(queue.depth, 2, "nothing of the refused request was queued");
  await queue.take();
  const retried = await send([interactiveExec({ a: 2 })], ["dup-1"]);
  assert.equal(retried.json().items[0].create.status, 201);
  assert.equal(queue.depth, 1, "the retry is taken, not mistaken for a duplicate");
  const again = await send([interactiveExec({ a: 2 })], ["dup-1"]);
  assert.equal(again.json().items[0].create.status, 201, "a re-sent _id is answered as created");
  assert.equal(queue.depth, 1, "but not run through the rules twice");
});

test("a body over the size limit is refused with 413 and a clear message, compressed or not", async (t) => {
  const { app, queue } = appOnly({ maxBodyBytes: 2000 });
  t.after(() => app.close());
  const big = bulkBody(Array.from({ length: 20 }, (_, i) => interactiveExec({ n: i })));
  assert.ok(big.length > 2000);
  const plain = await app.inject({ method: "POST", url: "/_bulk", payload: big });
  assert.equal(plain.statusCode, 413);
  assert.equal(plain.json().error.type, "content_too_long_exception");
  assert.match(plain.json().error.reason, /2000 bytes/);
  assert.equal(plain.headers.connection, "close");
  // a small gzip body that inflates past the limit: refused while inflating
  const bomb = gzipSync(Buffer.alloc(1_500_000, 0x20));
  assert.ok(bomb.length < 2000);
  const inflated = await app.inject({
    method: "POST",
    url: "/_bulk",
    headers: { "content-encoding": "gzip" },
    payload: bomb,
  });
  assert.equal(inflated.statusCode, 413);
  const declared = await app.inject({
    method: "POST",
    url: "/_bulk",
    headers: { "x-elastic-uncompressed-request-length": "999999" },
    payload: "{}",
  });
  assert.equal(declared.statusCode, 413);
  assert.equal(queue.depth, 0);
});

test("with credentials configured, requests need them: ApiKey, Bearer and Basic; probes do not", async (t) => {
  const { app } = appOnly({
    auth: { apiKeys: ["ingest:s3cr3t"], tokens: ["t0ken"], users: ["beats:pa55"] },
  });
  t.after(() => app.close());
  const b64 = (s: string) => Buffer.from(s).toString("base64");
  const status = async (authorization?: string, url = "/") =>
    (await app.inject({ method: "GET", url, headers: authorization ? { authorization } : {} })).statusCode;
  assert.equal(await status(), 401);
  const refused = await app.inject({ method: "GET", url: "/_license" });
  assert.equal(refused.json().error.type, "security_exception");
  assert.equal(refused.headers["x-elastic-product"], "Elasticsearch");
  assert.ok(String(refused.headers["www-authenticate"]).includes("ApiKey"));
  assert.equal(await status(`ApiKey ${b64("ingest:s3cr3t")}`), 200);
  assert.equal(await status("ApiKey ingest:s3cr3t"), 200, "Fluent Bit sends the key verbatim");
  assert.equal(await status(`ApiKey ${b64("ingest:wrong")}`), 401);
  assert.equal(await status("Bearer t0ken"), 200);
  assert.equal(await status("Bearer t0ken2"), 401);
  assert.equal(await status(`Basic ${b64("beats:pa55")}`), 200);
  assert.equal(await status(`Basic ${b64("beats:nope")}`), 401);
  assert.equal(await status("Negotiate abc"), 401);
  assert.equal(await status(undefined, "/healthz"), 200);
  assert.equal(await status(undefined, "/readyz"), 200);
  assert.equal(await status(undefined, "/metrics"), 401);
  const bulk = await app.inject({ method: "POST", url: "/_bulk", payload: bulkBody([interactiveExec()]) });
  assert.equal(bulk.statusCode, 401);
});

test("/ingest takes NDJSON or a JSON array, reports malformed lines, and resolves each event's index", async (t) => {
  const { app, queue } = appOnly();
  t.after(() => app.close());
  const lines = [
    JSON.stringify(interactiveExec()),
    "{not json",
    JSON.stringify({
      ...interactiveExec(),
      data_stream: { type: "logs", dataset: "cloud_defend.process", namespace: "prod" },
    }),
    JSON.stringify({ __proto__: { polluted: true }, event: { category: ["process"] } }).replace(
      '"event"',
      '"__proto__":{"polluted":true},"event"',
    ),
  ].join("\n");
  const r = await app.inject({ method: "POST", url: "/ingest", payload: lines });
  assert.equal(r.statusCode, 200);
  const res = r.json();
  assert.equal(res.accepted, 3);
  assert.equal(res.errors_total, 1);
  assert.equal(res.errors[0].line, 2);
  const batch = (await queue.take())!;
  assert.deepEqual(
    batch.items.map((i) => i.origin.index),
    ["logs-eqlite-default", "logs-cloud_defend.process-prod", "logs-eqlite-default"],
  );
  assert.equal(({} as Record<string, unknown>).polluted, undefined, "no prototype was polluted");
  assert.equal(Object.getPrototypeOf(batch.items[2].event), Object.prototype);
  assert.ok(Object.hasOwn(batch.items[2].event, "__proto__"), "__proto__ stays an own field of the event");
  const array = await app.inject({
    method: "POST",
    url: `/ingest?index=${CLOUD_DEFEND_PROCESS}`,
    headers: { "content-type": "application/json", "content-encoding": "gzip" },
    payload: gzipSync(JSON.stringify([interactiveExec(), interactiveExec({ n: 2 })])),
  });
  assert.equal(array.json().accepted, 2);
  assert.deepEqual(
    (await queue.take())!.items.map((i) => i.origin.index),
    [CLOUD_DEFEND_PROCESS, CLOUD_DEFEND_PROCESS],
  );
});

test("single documents through /{index}/_doc and /{index}/_create/{id}", async (t) => {
  const { app, queue } = appOnly();
  t.after(() => app.close());
  const r = await app.inject({
    method: "POST",
    url: `/${CLOUD_DEFEND_PROCESS}/_doc`,
    payload: interactiveExec(),
  });
  assert.equal(r.statusCode, 201);
  assert.equal(r.json().result, "created");
  const c = await app.inject({
    method: "PUT",
    url: `/${CLOUD_DEFEND_PROCESS}/_create/x1`,
    payload: interactiveExec(),
  });
  assert.equal(c.json()._id, "x1");
  const bad = await app.inject({ method: "POST", url: `/${CLOUD_DEFEND_PROCESS}/_doc`, payload: "[1]" });
  assert.equal(bad.statusCode, 400);
  assert.equal(bad.json().error.type, "document_parsing_exception");
  assert.equal(queue.depth, 2);
});

test("--path-prefix serves the Elasticsearch API under a path as well as at the root", async (t) => {
  const { app, queue } = appOnly({ pathPrefix: "/es" });
  t.after(() => app.close());
  assert.equal((await app.inject({ method: "GET", url: "/es" })).json().tagline, "You Know, for Search");
  const r = await app.inject({ method: "POST", url: "/es/_bulk", payload: bulkBody([interactiveExec()]) });
  assert.equal(r.json().errors, false);
  assert.equal((await app.inject({ method: "GET", url: "/" })).statusCode, 200);
  assert.equal(queue.depth, 1);
});

test("a request that carries no body is a 400 'request body is required', whatever its headers", async (t) => {
  const { app, queue } = appOnly();
  t.after(() => app.close());
  const calls: Array<[string, string, Record<string, string>]> = [
    ["POST", "/_bulk", {}],
    ["POST", "/_bulk", { "content-type": "application/x-ndjson" }],
    ["POST", `/${CLOUD_DEFEND_PROCESS}/_doc`, {}],
    ["PUT", `/${CLOUD_DEFEND_PROCESS}/_create/1`, {}],
    ["POST", "/ingest", {}],
    ["POST", "/ingest", { "content-type": "application/json", "content-encoding": "gzip" }],
  ];
  for (const [method, url, headers] of calls) {
    const r = await app.inject({ method: method as "POST", url, headers });
    assert.equal(r.statusCode, 400, `${method} ${url} ${JSON.stringify(headers)}`);
    assert.equal(r.json().error.type, "parse_exception");
    assert.equal(r.json().error.reason, "request body is required");
  }
  assert.equal(queue.depth, 0);
});

test('a bulk action with "_id":"" fails alone, as in Elasticsearch, and is not taken as an id', async (t) => {
  const { app, queue } = appOnly();
  t.after(() => app.close());
  const send = () =>
    app.inject({
      method: "POST",
      url: "/_bulk",
      payload: ndjson([{ create: { _index: CLOUD_DEFEND_PROCESS, _id: "" } }, interactiveExec()]),
    });
  for (let i = 0; i < 2; i++) {
    const item = (await send()).json().items[0].create;
    assert.equal(item.status, 400, `request ${i + 1}`);
    assert.equal(item.error.type, "illegal_argument_exception");
    assert.equal(item.error.reason, "if _id is specified it must not be empty");
  }
  assert.equal(queue.depth, 0);
});

test("a body that starts with a UTF-8 byte order mark is read in _bulk and _doc as in /ingest", async (t) => {
  const { app, queue } = appOnly();
  t.after(() => app.close());
  const bom = (text: string) => Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text)]);
  const bulk = await app.inject({
    method: "POST",
    url: "/_bulk",
    payload: bom(bulkBody([interactiveExec()])),
  });
  assert.equal(bulk.json().errors, false);
  const doc = await app.inject({
    method: "POST",
    url: `/${CLOUD_DEFEND_PROCESS}/_doc`,
    payload: bom(JSON.stringify(interactiveExec())),
  });
  assert.equal(doc.statusCode, 201);
  assert.equal(queue.depth, 2);
});

test("a repeated query parameter is checked before anything is accepted: filter_path is joined, others are a 400 naming it", async (t) => {
  const { app, queue, ingest } = appOnly();
  t.after(() => app.close());
  const joined = await app.inject({
    method: "POST",
    url: "/_bulk?filter_path=errors&filter_path=items.*.status",
    payload: bulkBody([interactiveExec()]),
  });
  assert.equal(joined.statusCode, 200);
  assert.equal(joined.body, '{"errors":false,"items":[{"create":{"status":201}}]}');
  assert.equal(queue.depth, 1);
  const refused: Array<[string, string, string]> = [
    ["/ingest?index=a&index=b", JSON.stringify(interactiveExec()), "index"],
    ["/ingest?refresh=true&refresh=false", JSON.stringify(interactiveExec()), "refresh"],
    ["/_bulk?refresh=wait_for&refresh=wait_for", bulkBody([interactiveExec()]), "refresh"],
    [`/${CLOUD_DEFEND_PROCESS}/_doc?refresh&refresh`, JSON.stringify(interactiveExec()), "refresh"],
  ];
  for (const [url, payload, name] of refused) {
    const r = await app.inject({ method: "POST", url, payload });
    assert.equal(r.statusCode, 400, url);
    assert.equal(r.json().error.type, "illegal_argument_exception");
    assert.match(r.json().error.reason, new RegExp(`\\[${name}\\] is given 2 times`));
  }
  assert.equal(queue.depth, 1, "nothing of a refused request was accepted");
  assert.deepEqual(ingest.counters.received, { bulk: 1 });
});

test("a refresh value Elasticsearch does not take is a 400 before anything is accepted; false is taken", async (t) => {
  const { app, queue, ingest } = appOnly();
  t.after(() => app.close());
  const event = JSON.stringify(interactiveExec());
  const urls: Array<[string, string]> = [
    ["/_bulk", bulkBody([interactiveExec()])],
    [`/${CLOUD_DEFEND_PROCESS}/_bulk`, bulkBody([interactiveExec()])],
    [`/${CLOUD_DEFEND_PROCESS}/_doc`, event],
    [`/${CLOUD_DEFEND_PROCESS}/_create/1`, event],
    ["/ingest", event],
  ];
  for (const [path, payload] of urls)
    for (const value of ["wait", "yes", "True", "WAIT_FOR", "1"]) {
      const r = await app.inject({ method: "POST", url: `${path}?refresh=${value}`, payload });
      const what = `${path}?refresh=${value}`;
      assert.equal(r.statusCode, 400, what);
      assert.equal(r.headers["x-elastic-product"], "Elasticsearch", what);
      const reason = `Unknown value for refresh: [${value}].`;
      assert.deepEqual(
        r.json(),
        {
          error: {
            root_cause: [{ type: "illegal_argument_exception", reason }],
            type: "illegal_argument_exception",
            reason,
          },
          status: 400,
        },
        what,
      );
    }
  assert.equal(queue.depth, 0, "nothing of a refused request was accepted");
  assert.deepEqual(ingest.counters.received, {});
  // false is Elasticsearch's default, said out loud: answered at once, as without the parameter
  for (const [path, payload] of urls) {
    const r = await app.inject({ method: "POST", url: `${path}?refresh=false`, payload });
    assert.ok(r.statusCode === 200 || r.statusCode === 201, path);
  }
  assert.equal(queue.depth, urls.length);
});

test("a _bulk answer of several slices has the bytes of the answer built whole, filter_path and errors included", async (t) => {
  const { app } = appOnly({ queueEvents: 10_000, maxBodyBytes: 64 * 1024 * 1024 });
  t.after(() => app.close());
  const lines: string[] = [];
  for (let i = 0; i < 4_500; i++) {
    if (i % 9 === 4) lines.push(`{"delete":{"_index":"logs-a","_id":"d${i}"}}`);
    else
      lines.push(`{"create":{"_index":"logs-a","_id":"c${i}"}}`, JSON.stringify(interactiveExec({ n: i })));
  }
  const payload = `${lines.join("\n")}\n`;
  const filter = "errors,items.*._id,items.*._seq_no,items.*.status,items.*.error.type";
  const r = await app.inject({ method: "POST", url: `/_bulk?filter_path=${filter}`, payload });
  assert.equal(r.statusCode, 200);
  assert.ok(r.body.startsWith('{"errors":true,"items":[{"create":{"_id":"c0","_seq_no":0,"status":201}}'));
  const whole = JSON.stringify(filterPath(bulkResponse(parseBulk(Buffer.from(payload)), 0, 0), filter));
  assert.equal(r.body, whole);
});

test("a GET eqlite has no handler for is answered as Elasticsearch answers it; the probes shippers make keep their answers", async (t) => {
  const { app } = appOnly({ pathPrefix: "/es" });
  t.after(() => app.close());
  const get = async (url: string, method: "GET" | "HEAD" = "GET") => {
    const r = await app.inject({ method, url });
    assert.equal(r.headers["x-elastic-product"], "Elasticsearch", url);
    return r;
  };
  // no handler in Elasticsearch either: 400, as a write there is answered
  for (const url of ["/system/events", "/elastic/prod/_bulk", "/_nothing/x", "/es/system/events?pretty"]) {
    const r = await get(url);
    assert.equal(r.statusCode, 400, url);
    assert.equal(r.json().status, 400, url);
    assert.equal(r.json().error.type, "illegal_argument_exception", url);
    assert.equal(r.json().error.reason, `no handler found for uri [${url}] and method [GET]`);
  }
  // an index: Elasticsearch's get-index API for one it does not have
  for (const [url, index] of [
    ["/logs-x", "logs-x"],
    ["/es/logs-x", "logs-x"],
    ["/%3Clogs-%7Bnow%2Fd%7D-000001%3E", "<logs-{now/d}-000001>"],
  ]) {
    const r = await get(url);
    assert.equal(r.statusCode, 404, url);
    const { error, status } = r.json();
    assert.equal(status, 404);
    assert.equal(error.type, "index_not_found_exception", url);
    assert.equal(error.reason, `no such index [${index}]`);
    assert.equal(error.index, index);
    assert.equal(error.root_cause[0].type, "index_not_found_exception");
  }
  // a document: none is kept, so none is found
  const doc = await get("/logs-x/_doc/abc");
  assert.equal(doc.statusCode, 404);
  assert.deepEqual(doc.json(), { _index: "logs-x", _id: "abc", found: false });
  assert.equal((await get("/logs-x/_doc/abc", "HEAD")).statusCode, 404);
  assert.equal(
    (await app.inject({ method: "DELETE", url: "/logs-x/_doc/abc" })).headers.allow,
    "GET, POST, PUT",
  );
  // an index's APIs, Elasticsearch's API roots and eqlite's own API: 404, as shippers' probes expect
  for (const url of [
    "/logs-x/_mapping",
    "/logs-x/_alias/logs",
    "/_alias/logs",
    "/_security/_authenticate",
    "/_cat/indices",
    "/_cluster/settings",
    "/_snapshot",
    "/_ilm/status",
    "/_enrich/policy/x",
    "/es/_alias/logs",
    "/api/nothing",
  ]) {
    const r = await get(url);
    assert.equal(r.statusCode, 404, url);
    assert.equal(r.json().error.type, "resource_not_found_exception", url);
  }
  // what eqlite answers is unchanged
  for (const url of [
    "/",
    "/_license",
    "/_xpack",
    "/_nodes",
    "/_index_template/x",
    "/_ilm/policy/x",
    "/_template/x",
  ])
    assert.equal((await get(url)).statusCode, 200, url);
  assert.equal((await get("/_search")).statusCode, 405);
  assert.equal((await get("/logs-x/_search")).statusCode, 405);
});

test("a write eqlite has no handler for is refused, never acknowledged: 405 for a known path, 400 otherwise, logged once a minute", async (t) => {
  const logs: Array<Record<string, unknown>> = [];
  const logger = createLogger("info", { write: (line: string) => void logs.push(JSON.parse(line)) });
  const { app, queue, ingest } = appOnly({ pathPrefix: "/es", logger });
  t.after(() => app.close());
  const event = JSON.stringify(interactiveExec());
  const refused: Array<[string, string, number, string?]> = [
    // rsyslog's omelasticsearch with bulk mode off: a document POSTed to /{index}/{type}
    ["POST", "/system/events", 400],
    // a shipper's path prefix eqlite was not told of
    ["POST", "/elastic/prod/_bulk", 400],
    ["POST", "/prod/_bulk/x", 400],
    ["PUT", "/logs-x/_doc", 405, "POST"],
    ["PUT", "/es/logs-x/_doc", 405, "POST"],
    ["PATCH", "/_bulk", 405, "POST, PUT"],
    ["GET", "/_bulk", 405, "POST, PUT"],
    ["DELETE", "/logs-x/_create/1", 405, "POST, PUT"],
    ["PUT", "/ingest", 405, "POST"],
    ["PUT", "/api/alerts/abc", 400],
    ["DELETE", "/api/alerts/abc", 400],
    ["POST", "/metrics", 405, "GET"],
    ["POST", "/", 400],
    ["DELETE", "/logs-x", 400],
    ["PUT", "/_security/user/beats", 400],
  ];
  for (const [method, url, status, allow] of refused) {
    const r = await app.inject({
      method: method as "POST",
      url,
      payload: method === "GET" ? undefined : event,
    });
    const what = `${method} ${url}`;
    assert.equal(r.statusCode, status, what);
    assert.equal(r.headers["x-elastic-product"], "Elasticsearch", what);
    assert.equal(r.json().status, status, what);
    assert.equal(typeof r.json().error.type, "string", what);
    if (status === 405) {
      assert.equal(r.headers.allow, allow, what);
      assert.equal(
        r.json().error.reason,
        `Incorrect HTTP method for uri [${url}] and method [${method}], allowed: [${allow}]`,
      );
    } else
      assert.match(r.json().error.reason, /^no handler found for uri \[.*\] and method \[[A-Z]+\]/, what);
  }
  assert.equal(queue.depth, 0);
  const counted = (status: number) => ingest.counters.responses.get(status) ?? 0;
  assert.equal(counted(400) + counted(405), refused.length, "every refusal is counted by status");

  // setup calls shippers make before sending are still acknowledged, at the root and under the prefix
  const setup: Array<[string, string]> = [
    ["PUT", "/logs-x"],
    ["PUT", "/es/logs-x"],
    ["POST", "/_aliases"],
    ["PUT", "/logs-x-000001/_alias/logs-x"],
    ["PUT", "/logs-x/_mapping"],
    ["PUT", "/logs-x/_settings"],
    ["POST", "/logs-x/_rollover"],
    ["PUT", "/_cluster/settings"],
  ];
  for (const [method, url] of setup) {
    const r = await app.inject({ method: method as "PUT", url, payload: "{}" });
    assert.equal(r.statusCode, 200, `${method} ${url}`);
    assert.deepEqual(r.json(), { acknowledged: true });
  }

  const warned = logs.filter((l) => l.level === 40 && l.path === "/system/events");
  assert.equal(warned.length, 1);
  await app.inject({ method: "POST", url: "/system/events", payload: event });
  assert.equal(
    logs.filter((l) => l.path === "/system/events").length,
    1,
    "the same method and path is logged once a minute",
  );
  assert.ok(logs.some((l) => l.path === "/logs-x/_doc" && l.answer === "405"));
});

test("events sent to an index named logstash are taken, not swallowed by a Logstash management route", async (t) => {
  const { app, queue } = appOnly();
  t.after(() => app.close());
  const bulk = await app.inject({
    method: "POST",
    url: "/logstash/_bulk",
    payload: bulkBody([interactiveExec()], "logstash"),
  });
  assert.equal(bulk.json().items[0].create.status, 201);
  const doc = await app.inject({ method: "POST", url: "/logstash/_doc", payload: interactiveExec() });
  assert.equal(doc.statusCode, 201);
  assert.equal(queue.depth, 2);
  assert.equal(
    (await app.inject({ method: "HEAD", url: "/logstash" })).statusCode,
    200,
    "the rollover alias 'exists'",
  );
  assert.deepEqual((await app.inject({ method: "GET", url: "/_logstash/pipeline/main" })).json(), {});
});
