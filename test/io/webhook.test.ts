import assert from "node:assert/strict";
import { rename } from "node:fs/promises";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import type { AlertDocument } from "../../src/engine/alert.ts";
import type { AlertSink } from "../../src/io/sinks/alert-sink.ts";
import { retryAfterMs, WebhookClosedError, WebhookSink } from "../../src/io/sinks/webhook.ts";
import { SinkFanout } from "../../src/server/sink-fanout.ts";
import { AlertStore } from "../../src/server/store.ts";
import { eventAlert, idOf, tempDir } from "../server/alerts.ts";
import { capturingLogger, deadLetters, receiver } from "./webhook-receiver.ts";

const alertsFor = (n: number, base = 0) => Array.from({ length: n }, (_, i) => eventAlert({ pid: base + i }));

test("retries with backoff until the receiver accepts, sending the same ids each time", async (t) => {
  const hook = await receiver(t, (n) =>
    n === 1 ? { status: 429, headers: { "retry-after": "0" } } : n === 2 ? { status: 503 } : { status: 200 },
  );
  const { logger, lines } = capturingLogger();
  const dir = await tempDir(t);
  const sink = new WebhookSink({
    url: hook.url,
    headers: { authorization: "Bearer s3cret" },
    deadLetterPath: join(dir, "dead.ndjson"),
    logger,
    initialBackoffMs: 5,
    random: () => 0.5,
  });
  const alerts = alertsFor(3);
  await sink.write(alerts);
  await sink.close();

  assert.equal(hook.requests.length, 3);
  for (const request of hook.requests) {
    assert.deepEqual(request.ids, alerts.map(idOf));
    assert.equal(request.key, hook.requests[0].key, "the same Idempotency-Key on every attempt");
    assert.equal(request.authorization, "Bearer s3cret");
  }
  assert.deepEqual(
    { delivered: sink.stats.delivered, retries: sink.stats.retries, deadLettered: sink.stats.deadLettered },
    { delivered: 3, retries: 2, deadLettered: 0 },
  );
  // one warning for the outage, not one per retry
  assert.deepEqual(
    lines.map((l) => [l.msg, l.error ?? l.failedRequests]),
    [
      ["webhook delivery failed; retrying", "HTTP 429 Too Many Requests"],
      ["webhook receiver answers again", 2],
    ],
  );
  assert.deepEqual(await deadLetters(join(dir, "dead.ndjson")), []);
});

test("a receiver that always fails: at the retry deadline the alerts go to the dead-letter file", async (t) => {
  const hook = await receiver(t, () => ({ status: 500 }));
  const { logger, lines } = capturingLogger();
  const path = join(await tempDir(t), "sub", "dead.ndjson");
  const sink = new WebhookSink({
    url: hook.url,
    deadLetterPath: path,
    logger,
    retryTimeoutMs: 300,
    initialBackoffMs: 10,
    maxBackoffMs: 40,
  });
  const alerts = alertsFor(2);
  const started = Date.now();
  await sink.write(alerts); // handled: dead-lettered is handled for good
  const took = Date.now() - started;
  await sink.close();

  assert.ok(took >= 290 && took < 2_000, `took ${took} ms`);
  assert.ok(hook.requests.length >= 5, `${hook.requests.length} requests`);
  const dead = await deadLetters(path);
  assert.deepEqual(
    dead.map((d) => d.alert["kibana.alert.uuid"]),
    alerts.map(idOf),
  );
  assert.equal(dead[0].error, "HTTP 500 Internal Server Error");
  assert.equal(dead[0].attempts, hook.requests.length);
  assert.equal(dead[0].sink, sink.name);
  assert.equal(sink.stats.deadLettered, 2);
  assert.equal(lines.at(-1)!.msg, "webhook delivery failed; alerts written to the dead-letter file");
});

test("a refusal that retrying cannot fix (400) is dead-lettered at once; so is an unreachable receiver in the end", async (t) => {
  const hook = await receiver(t, () => ({ status: 400 }));
  const dir = await tempDir(t);
  const { logger } = capturingLogger();
  const refused = new WebhookSink({ url: hook.url, deadLetterPath: join(dir, "a.ndjson"), logger });
  await refused.write(alertsFor(1));
  await refused.close();
  assert.equal(hook.requests.length, 1);
  assert.equal((await deadLetters(join(dir, "a.ndjson")))[0].error, "HTTP 400 Bad Request");

  // A port nothing listens on: the connection is refused, retried, then dead-lettered.
  const closed = createServer();
  await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
  const port = (closed.address() as AddressInfo).port;
  await new Promise((resolve) => closed.close(resolve));
  const unreachable = new WebhookSink({
    url: `http://127.0.0.1:${port}/`,
    deadLetterPath: join(dir, "b.ndjson"),
    logger,
    retryTimeoutMs: 50,
    initialBackoffMs: 1,
  });
  await unreachable.write(alertsFor(1));
  await unreachable.close();
  assert.equal((await deadLetters(join(dir, "b.ndjson")))[0].error, "ECONNREFUSED");
});

test("batches of batchSize; with a delivery log, delivered alerts are not sent again, even after a restart", async (t) => {
  const hook = await receiver(t, () => ({ status: 202 }));
  const store = AlertStore.open(":memory:");
  t.after(() => store.close());
  const dir = await tempDir(t);
  const { logger } = capturingLogger();
  const options = {
    url: hook.url,
    deadLetterPath: join(dir, "dead.ndjson"),
    logger,
    deliveryLog: store,
    batchSize: 4,
  };
  const first = new WebhookSink(options);
  const alerts = alertsFor(10);
  await first.write(alerts);
  await first.close();
  assert.deepEqual(
    hook.requests.map((r) => r.ids.length),
    [4, 4, 2],
  );
  assert.equal(store.deliveredAmong(first.name, alerts.map(idOf)).size, 10);

  const second = new WebhookSink(options); // the same name: the same delivery records
  await second.write([...alerts.slice(0, 5), ...alertsFor(1, 100)]);
  await second.close();
  assert.equal(hook.requests.length, 4);
  assert.equal(hook.requests[3].ids.length, 1);
  assert.equal(second.stats.skipped, 5);
});

test("a full queue sends the overflow to the dead-letter file, counted and logged", async (t) => {
  const hook = await receiver(t, () => ({ status: 200, delayMs: 50 }));
  const path = join(await tempDir(t), "dead.ndjson");
  const { logger, lines } = capturingLogger();
  const sink = new WebhookSink({ url: hook.url, deadLetterPath: path, logger, maxQueuedAlerts: 2 });
  const alerts = alertsFor(5);
  await sink.write(alerts);
  await sink.close();
  assert.deepEqual(hook.requests[0].ids, alerts.slice(0, 2).map(idOf));
  const dead = await deadLetters(path);
  assert.deepEqual(
    dead.map((d) => d.alert["kibana.alert.uuid"]),
    alerts.slice(2).map(idOf),
  );
  assert.match(dead[0].error, /queue full \(2 alerts waiting\)/);
  assert.equal(sink.stats.overflowed, 3);
  assert.ok(
    lines.some(
      (l) => l.msg === "webhook queue full; alerts written to the dead-letter file" && l.alerts === 3,
    ),
  );
});

test("in a long outage, alerts pushed out of the fan-out's full queue go to the dead-letter file, not dropped", async (t) => {
  const down = await receiver(t, () => ({ status: 503 }));
  const path = join(await tempDir(t), "dead.ndjson");
  const { logger, lines } = capturingLogger();
  const webhook = new WebhookSink({
    url: down.url,
    deadLetterPath: path,
    logger,
    initialBackoffMs: 10,
    maxBackoffMs: 50,
    closeTimeoutMs: 100,
  });
  const fanout = new SinkFanout([webhook], { maxQueuedAlerts: 2, attempts: 1, logger });
  // the receiver stays down: the shutdown gives up on what is still retried
  t.after(() => {
    fanout.stopping();
    return fanout.close();
  });
  fanout.publish(alertsFor(2));
  while (down.requests.length === 0) await sleep(5);
  // the first publish is being retried; the next two wait in the fan-out, one more than it holds
  const pushedOut = alertsFor(2, 10);
  const shed = fanout.publish(pushedOut);
  fanout.publish(alertsFor(2, 20));
  assert.deepEqual(await shed, { dropped: [] });
  const dead = await deadLetters(path);
  assert.deepEqual(
    dead.map((d) => d.alert["kibana.alert.uuid"]),
    pushedOut.map(idOf),
  );
  assert.match(dead[0].error, /alert sink queue full \(2 alerts waiting\)/);
  assert.equal(webhook.stats.overflowed, 2);
  assert.equal(webhook.stats.deadLettered, 2);
  assert.deepEqual(
    fanout.stats().map((s) => [s.written, s.dropped]),
    [[2, 0]],
  );
  // handled for good: the checkpoint may pass their events
  assert.equal(fanout.progress.firstDropped, null);
  assert.ok(lines.some((l) => l.msg === "webhook queue full; alerts written to the dead-letter file"));
  assert.ok(!lines.some((l) => /dropped/.test(l.msg)));
});

test("close gives up after closeTimeoutMs: undelivered writes reject, nothing is dead-lettered", async (t) => {
  const hook = await receiver(t, () => ({ status: 200, delayMs: 5_000 }));
  const path = join(await tempDir(t), "dead.ndjson");
  const { logger, lines } = capturingLogger();
  const sink = new WebhookSink({ url: hook.url, deadLetterPath: path, logger, closeTimeoutMs: 100 });
  const written = sink.write(alertsFor(2));
  const rejected = assert.rejects(written, WebhookClosedError);
  const started = Date.now();
  await sink.close();
  await rejected;
  assert.ok(Date.now() - started < 2_000);
  assert.equal(sink.stats.abandoned, 2);
  assert.deepEqual(await deadLetters(path), []);
  assert.ok(lines.some((l) => /closed with alerts undelivered/.test(l.msg)));
  await assert.rejects(sink.write(alertsFor(1)), /is closed/);
});

test("through the fan-out, a slow webhook never holds back the other sinks", async (t) => {
  const slow = await receiver(t, () => ({ status: 200, delayMs: 250 }));
  const { logger } = capturingLogger();
  const webhook = new WebhookSink({
    url: slow.url,
    deadLetterPath: join(await tempDir(t), "dead.ndjson"),
    logger,
  });
  const received: Array<{ ids: string[] }> = [];
  const quick: AlertSink = {
    name: "quick",
    write: async (alerts) => {
      received.push({ ids: alerts.map(idOf) });
    },
    close: async () => {},
  };
  const fanout = new SinkFanout([webhook, quick], { maxQueuedAlerts: 1000, attempts: 1, logger });
  const start = Date.now();
  const first = alertsFor(2);
  const second = alertsFor(2, 50);
  const done = Promise.all([fanout.publish(first), fanout.publish(second)]);
  while (received.length < 2 && Date.now() - start < 2_000) await sleep(5);
  assert.deepEqual(
    received.flatMap((r) => r.ids),
    [...first, ...second].map(idOf),
  );
  // The quick sink had both batches before the webhook's receiver answered once.
  assert.equal(webhook.stats.delivered, 0);
  await done;
  assert.equal(webhook.stats.delivered, 4);
  await fanout.close();
});

test("an outage longer than six attempts is retried through: the alerts are delivered when the receiver is back", async (t) => {
  // Six attempts from 0.5 s were spent in ~15 s, and a receiver restarting for a minute lost every
  // alert to the dead-letter file. Here the backoff is short and the outage is twelve requests.
  const hook = await receiver(t, (n) => (n <= 12 ? { status: 503, delayMs: 10 } : { status: 200 }));
  const { logger, lines } = capturingLogger();
  const path = join(await tempDir(t), "dead.ndjson");
  const sink = new WebhookSink({
    url: hook.url,
    deadLetterPath: path,
    logger,
    initialBackoffMs: 5,
    maxBackoffMs: 20,
    random: () => 0.5,
  });
  const alerts = alertsFor(3);
  const written = sink.write(alerts);
  while (hook.requests.length < 4) await sleep(5);
  assert.ok(sink.stats.failingForMs > 0, "a failing receiver shows in the stats (and /metrics)");
  await written;
  await sink.close();

  assert.equal(hook.requests.length, 13);
  assert.deepEqual(await deadLetters(path), []);
  assert.deepEqual(
    { delivered: sink.stats.delivered, retries: sink.stats.retries, failingForMs: sink.stats.failingForMs },
    { delivered: 3, retries: 12, failingForMs: 0 },
  );
  assert.deepEqual(
    lines.map((l) => [l.msg, l.error ?? l.failedRequests]),
    [
      ["webhook delivery failed; retrying", "HTTP 503 Service Unavailable"],
      ["webhook receiver answers again", 12],
    ],
  );
});

test("the batches behind one that reached its deadline, waiting while every request failed, are dead-lettered unsent", async (t) => {
  const hook = await receiver(t, () => ({ status: 503 }));
  const { logger, lines } = capturingLogger();
  const path = join(await tempDir(t), "dead.ndjson");
  const sink = new WebhookSink({
    url: hook.url,
    deadLetterPath: path,
    logger,
    batchSize: 2,
    retryTimeoutMs: 200,
    initialBackoffMs: 10,
    maxBackoffMs: 40,
  });
  const alerts = alertsFor(6);
  await sink.write(alerts);
  await sink.close();
  // every request was the first batch's: the other two had waited as long, and would have cost
  // a request timeout each on a receiver that does not answer
  assert.ok(hook.requests.every((r) => r.ids.join() === alerts.slice(0, 2).map(idOf).join()));
  const dead = await deadLetters(path);
  assert.deepEqual(
    dead.map((d) => [d.alert["kibana.alert.uuid"], d.attempts, d.error]),
    alerts.map((a, i) => [idOf(a), i < 2 ? hook.requests.length : 0, "HTTP 503 Service Unavailable"]),
  );
  assert.equal(lines.filter((l) => l.msg === "webhook delivery failed; retrying").length, 1);
});

test("a Retry-After longer than the backoff's cap is honoured, up to maxRetryAfterMs", async (t) => {
  const gap = async (retryAfter: string, maxRetryAfterMs: number) => {
    const at: number[] = [];
    const hook = await receiver(t, (n) => {
      at.push(Date.now());
      return n === 1 ? { status: 503, headers: { "retry-after": retryAfter } } : { status: 200 };
    });
    const { logger } = capturingLogger();
    const sink = new WebhookSink({
      url: hook.url,
      deadLetterPath: join(await tempDir(t), "dead.ndjson"),
      logger,
      initialBackoffMs: 5,
      maxBackoffMs: 20,
      maxRetryAfterMs,
    });
    await sink.write(alertsFor(1));
    await sink.close();
    assert.equal(sink.stats.delivered, 1);
    return at[1] - at[0];
  };
  const honoured = await gap("1", 5_000);
  assert.ok(honoured >= 900, `retried after ${honoured} ms, not the 1 s asked for`);
  const bounded = await gap("3600", 100);
  assert.ok(bounded >= 90 && bounded < 1_000, `retried after ${bounded} ms`);
});

test("while a batch is retried, the queue stays bounded: what finds it full is dead-lettered at once", async (t) => {
  const hook = await receiver(t, (n) => (n <= 10 ? { status: 503 } : { status: 200 }));
  const { logger } = capturingLogger();
  const path = join(await tempDir(t), "dead.ndjson");
  const sink = new WebhookSink({
    url: hook.url,
    deadLetterPath: path,
    logger,
    batchSize: 2,
    maxQueuedAlerts: 4,
    initialBackoffMs: 5,
    maxBackoffMs: 10,
  });
  const first = alertsFor(3);
  const second = alertsFor(3, 10);
  const writes = [sink.write(first)];
  while (hook.requests.length < 2) await sleep(2);
  writes.push(sink.write(second));
  assert.equal(sink.stats.queued, 4);
  await Promise.all(writes);
  await sink.close();
  assert.equal(sink.stats.delivered, 4);
  assert.deepEqual(
    (await deadLetters(path)).map((d) => d.alert["kibana.alert.uuid"]),
    second.slice(1).map(idOf),
  );
});

test("a batch refused as too large (413) is sent again at once in halves; one alert still refused is dead-lettered", async (t) => {
  const alerts = alertsFor(10);
  const huge = idOf(alerts[7]);
  // a body limit of three alerts, and one alert over it alone
  const hook = await receiver(t, (_, request) =>
    request.ids.length > 3 || request.ids.includes(huge) ? { status: 413 } : { status: 200 },
  );
  const { logger, lines } = capturingLogger();
  const path = join(await tempDir(t), "dead.ndjson");
  const sink = new WebhookSink({ url: hook.url, deadLetterPath: path, logger, initialBackoffMs: 2_000 });
  const started = Date.now();
  await sink.write(alerts);
  const took = Date.now() - started;
  await sink.close();

  assert.ok(took < 1_500, `took ${took} ms: the halves wait for no backoff`);
  const ids = alerts.map(idOf);
  assert.deepEqual(
    hook.requests.map((r) => r.ids),
    [
      ids,
      ids.slice(0, 5),
      ids.slice(0, 3),
      ids.slice(3, 5),
      ids.slice(5),
      ids.slice(5, 8),
      ids.slice(5, 7),
    ].concat([[huge], ids.slice(8)]),
  );
  assert.equal(new Set(hook.requests.map((r) => r.key)).size, hook.requests.length, "each half its own key");
  assert.deepEqual(
    { delivered: sink.stats.delivered, deadLettered: sink.stats.deadLettered, split: sink.stats.split },
    { delivered: 9, deadLettered: 1, split: 4 },
  );
  assert.deepEqual(
    (await deadLetters(path)).map((d) => [d.alert["kibana.alert.uuid"], d.error, d.attempts]),
    [[huge, "HTTP 413 Payload Too Large", 1]],
  );
  assert.equal(lines.filter((l) => /too large \(413\); sending it in halves/.test(l.msg)).length, 1);
});

test("close during a split batch gives up on its unsent half only: the delivered half is not counted twice", async (t) => {
  const alerts = alertsFor(4);
  const stuck = idOf(alerts[2]);
  const hook = await receiver(t, (_, request) =>
    request.ids.length > 2
      ? { status: 413 }
      : request.ids.includes(stuck)
        ? { status: 200, delayMs: 5_000 }
        : { status: 200 },
  );
  const { logger } = capturingLogger();
  const path = join(await tempDir(t), "dead.ndjson");
  const sink = new WebhookSink({ url: hook.url, deadLetterPath: path, logger, closeTimeoutMs: 200 });
  const rejected = assert.rejects(sink.write(alerts), WebhookClosedError);
  const started = Date.now();
  while (hook.requests.length < 3 && Date.now() - started < 2_000) await sleep(5);
  await sink.close();
  await rejected;
  assert.deepEqual(
    { delivered: sink.stats.delivered, abandoned: sink.stats.abandoned, queued: sink.stats.queued },
    { delivered: 2, abandoned: 2, queued: 0 },
  );
  assert.deepEqual(await deadLetters(path), []);
});

test("Retry-After in seconds or as an HTTP date", () => {
  const now = Date.parse("2026-03-02T10:00:00Z");
  assert.equal(retryAfterMs("3", now), 3000);
  assert.equal(retryAfterMs("Mon, 02 Mar 2026 10:00:05 GMT", now), 5000);
  assert.equal(retryAfterMs("soon", now), undefined);
  assert.equal(retryAfterMs(null, now), undefined);
});

test("a shutdown does not wait for a receiver that is down: from stopping, the queue has closeTimeoutMs", async (t) => {
  // never answers: each batch would take six 10 s timeouts and their backoffs before its dead letter
  const hook = await receiver(t, () => ({ status: 200, delayMs: 60_000 }));
  const { logger } = capturingLogger();
  const webhook = new WebhookSink({
    url: hook.url,
    deadLetterPath: join(await tempDir(t), "dead.ndjson"),
    logger,
    closeTimeoutMs: 200,
  });
  const fanout = new SinkFanout([webhook], { maxQueuedAlerts: 1000, attempts: 2, retryBaseMs: 10, logger });
  const published = fanout.publish(alertsFor(3));
  while (hook.requests.length === 0) await sleep(5);
  const started = Date.now();
  // what the service does on SIGTERM: the drain waits for every publish, then the sinks close
  fanout.stopping();
  const late = fanout.publish(alertsFor(2, 10));
  assert.deepEqual(await published, { dropped: [webhook.name] });
  assert.deepEqual(await late, { dropped: [webhook.name] });
  await fanout.close();
  assert.ok(Date.now() - started < 2_000, `took ${Date.now() - started} ms`);
  assert.equal(webhook.stats.delivered, 0);
  assert.equal(webhook.stats.deadLettered, 0);
  // not passed by the checkpoint: a replay sends them again
  assert.equal(fanout.progress.firstDropped, 1);
});

test("dead letters after the file was moved away (to handle the ones in it) go to a new file of that name", async (t) => {
  const hook = await receiver(t, () => ({ status: 400 }));
  const dir = await tempDir(t);
  const path = join(dir, "dead.ndjson");
  const { logger } = capturingLogger();
  const sink = new WebhookSink({ url: hook.url, deadLetterPath: path, logger });
  const [first, second] = [alertsFor(1), alertsFor(1, 10)];
  await sink.write(first);
  await rename(path, join(dir, "dead.handled.ndjson"));
  await sink.write(second);
  await sink.close();
  const ids = (letters: Array<{ alert: AlertDocument }>) => letters.map((d) => idOf(d.alert));
  assert.deepEqual(ids(await deadLetters(join(dir, "dead.handled.ndjson"))), first.map(idOf));
  assert.deepEqual(ids(await deadLetters(path)), second.map(idOf));
});

test("credentials in the URL are sent as basic authentication, and never quoted in an error", async (t) => {
  const hook = await receiver(t, () => ({ status: 200 }));
  const { logger, lines } = capturingLogger();
  const url = hook.url.replace("http://", "http://alerts:s3cr%40t@");
  const sink = new WebhookSink({ url, deadLetterPath: join(await tempDir(t), "dead.ndjson"), logger });
  await sink.write(alertsFor(1));
  await sink.close();
  assert.equal(sink.stats.delivered, 1);
  assert.equal(hook.requests[0].authorization, `Basic ${Buffer.from("alerts:s3cr@t").toString("base64")}`);
  assert.ok(!JSON.stringify(lines).includes("s3cr"));
});
