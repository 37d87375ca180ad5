import assert from "node:assert/strict";
import { once } from "node:events";
import { connect, type Socket } from "node:net";
import { test } from "node:test";
import { createLogger } from "../../src/server/logger.ts";
import { bulkBody, interactiveExec, startTestService } from "./serve-helpers.ts";

// A client that sends headers and half a body, then nothing: on a raw socket, since an HTTP
// client would not stop halfway. None of these assertions is timed: each waits for an event.

/** Sends a _bulk request whose Content-Length promises more than is sent; resolves with the socket once the server has the request. */
async function halfUpload(service: { url: string; app: { server: import("node:http").Server } }) {
  const { hostname, port } = new URL(service.url);
  const socket = connect(Number(port), hostname);
  await once(socket, "connect");
  const received = once(service.app.server, "request");
  const body = bulkBody([interactiveExec()]);
  socket.write(
    `POST /_bulk HTTP/1.1\r\nHost: ${hostname}\r\nContent-Type: application/x-ndjson\r\nContent-Length: ${body.length * 2}\r\n\r\n${body}`,
  );
  await received;
  return socket;
}

/** Everything the server sent before the connection ended. */
async function untilClosed(socket: Socket): Promise<string> {
  let text = "";
  socket.on("data", (chunk) => {
    text += chunk.toString();
  });
  socket.on("error", () => {});
  await once(socket, "close");
  return text;
}

test("a request not received whole within request_timeout_ms is answered 408, its connection closed, nothing accepted", {
  timeout: 30_000,
}, async (t) => {
  const { service } = await startTestService({ requestTimeoutMs: 200 });
  t.after(() => service.close());
  const socket = await halfUpload(service);
  const answer = await untilClosed(socket);
  assert.match(answer, /^HTTP\/1\.1 408 /);
  const [head, body] = answer.split("\r\n\r\n");
  assert.match(
    head,
    /\r\nX-Elastic-Product: Elasticsearch\r\n/i,
    "shippers check the product header on every answer",
  );
  assert.match(head, /\r\nConnection: close(\r\n|$)/i);
  const error = JSON.parse(body);
  assert.equal(error.status, 408);
  assert.equal(error.error.type, error.error.root_cause[0].type);
  assert.match(error.error.reason, /not received whole within request_timeout_ms/);
  const metrics = await (await fetch(`${service.url}/metrics`)).text();
  assert.match(
    metrics,
    /^eqlite_http_responses_total\{status="408"\} 1$/m,
    "counted like every other answer",
  );
  assert.equal(service.queue.depth, 0);
  assert.equal(service.pipeline.stats.events, 0);
});

test("a shutdown closes the connections of uploads still under way after a grace, then drains and flushes as before", {
  timeout: 30_000,
}, async () => {
  const { service, sink } = await startTestService({}, { uploadGraceMs: 50 });
  const whole = await fetch(`${service.url}/_bulk`, {
    method: "POST",
    headers: { "content-type": "application/x-ndjson" },
    body: bulkBody([interactiveExec()]),
  });
  assert.equal(whole.status, 200);
  const socket = await halfUpload(service);
  const closed = untilClosed(socket);
  await service.close();
  assert.equal(await closed, "", "the stalled sender got no answer: it sends again");
  assert.equal(sink.alerts.length, 1, "the events accepted before were run and their alert written");
  assert.equal(service.pipeline.stats.events, 1);
});

test("a client that goes away mid-body is logged as a warning without a stack, not as a failed request", {
  timeout: 30_000,
}, async (t) => {
  const logs: Array<Record<string, unknown>> = [];
  let sawIt: () => void = () => {};
  const seen = new Promise<void>((resolve) => {
    sawIt = resolve;
  });
  const logger = createLogger("info", {
    write: (line: string) => {
      const entry = JSON.parse(line);
      logs.push(entry);
      if (String(entry.msg).startsWith("the request was not received whole")) sawIt();
    },
  });
  const { service } = await startTestService({}, { logger });
  t.after(() => service.close());
  const socket = await halfUpload(service);
  socket.destroy();
  await seen;
  const line = logs.find((l) => String(l.msg).startsWith("the request was not received whole"))!;
  assert.equal(line.level, 40);
  assert.equal(line.path, "/_bulk");
  assert.equal(line.err, undefined, "no error object, no stack");
  assert.deepEqual(
    logs.filter((l) => (l.level as number) >= 50),
    [],
  );
  assert.equal(service.queue.depth, 0);
});
