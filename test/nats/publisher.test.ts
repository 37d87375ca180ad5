import assert from "node:assert/strict";
import { test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { DiscardPolicy, jetstreamManager, StorageType } from "@nats-io/jetstream";
import { connect, headers, type NatsConnection } from "@nats-io/transport-node";
import { readPubAck } from "../../src/nats/pub-ack.ts";
import { PublishError, Publisher, type PublishMessage } from "../../src/nats/publisher.ts";
import { natsServerMissing, startNats, startNatsConnected } from "./nats-server.ts";
import { readStream } from "./stream-reader.ts";

const skip = natsServerMissing;

function message(subject: string, id: string, body = `{"id":"${id}"}`): PublishMessage {
  return { subject, msgId: id, body: Buffer.from(body) };
}

async function withStream(nc: NatsConnection, config: Record<string, unknown> = {}) {
  const jsm = await jetstreamManager(nc);
  await jsm.streams.add({ name: "T", subjects: ["t.*"], storage: StorageType.File, ...config });
  return jsm;
}

test("JetStream's answers: stored, a cluster without a leader (retry), a full stream, a refusal", () => {
  const reply = (body: string, status?: number) => ({
    data: Buffer.from(body),
    headers: status ? headers(status, "No Responders") : undefined,
  });
  assert.deepEqual(readPubAck(reply('{"stream":"E","seq":7}')), {
    kind: "stored",
    stream: "E",
    seq: 7,
    duplicate: false,
  });
  assert.equal(readPubAck(reply('{"stream":"E","seq":7,"duplicate":true}')).kind, "stored");
  assert.deepEqual(readPubAck(reply("", 503)), {
    kind: "unavailable",
    reason: "no responders (no stream leader for the subject)",
  });
  const error = (code: number, errCode: number, description: string) =>
    readPubAck(reply(JSON.stringify({ error: { code, err_code: errCode, description } })));
  assert.equal(error(503, 10076, "jetstream not enabled").kind, "unavailable");
  assert.deepEqual(error(503, 10077, "maximum bytes exceeded"), {
    kind: "full",
    reason: "maximum bytes exceeded (code 503, err_code 10077)",
  });
  assert.equal(error(503, 10077, "maximum messages per subject exceeded").kind, "full");
  assert.equal(error(400, 10054, "message size exceeds maximum allowed").kind, "too-large");
  assert.equal(error(400, 10060, "expected stream does not match").kind, "refused");
  assert.equal(readPubAck(reply("{oops")).kind, "unavailable");
});

test("each message is acknowledged once; sent again under its msg id it comes back a duplicate", {
  skip,
}, async (t) => {
  const { nc } = await startNatsConnected(t);
  await withStream(nc);
  const publisher = new Publisher(nc, { window: 64 });
  t.after(() => publisher.close());
  const batch = Array.from({ length: 500 }, (_, i) => message(`t.${i % 4}`, `m-${i}`));
  const first = await publisher.publishBatch(batch);
  assert.deepEqual(
    first.map((a) => a.seq),
    batch.map((_, i) => i + 1),
  );
  assert.ok(first.every((a) => a.stream === "T" && !a.duplicate));
  const again = await publisher.publishBatch(batch.map((m) => message(m.subject, m.msgId)));
  assert.ok(again.every((a, i) => a.duplicate && a.seq === i + 1));
  const stats = publisher.stats;
  assert.equal(stats.published, 500);
  assert.equal(stats.duplicates, 500);
  assert.equal(stats.inFlight, 0);
});

test("never more than the window in flight; a full window makes senders wait, then refuses them as busy", {
  skip,
}, async (t) => {
  const { nc } = await startNatsConnected(t);
  await withStream(nc);
  let publisher: Publisher | undefined;
  let mostInFlight = 0;
  const watched = new Proxy(nc, {
    get(target, key) {
      if (key === "publish")
        return (...args: Parameters<NatsConnection["publish"]>) => {
          mostInFlight = Math.max(mostInFlight, publisher?.stats.inFlight ?? 0);
          target.publish(...args);
        };
      const value = Reflect.get(target, key);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
  publisher = new Publisher(watched, { window: 16 });
  const acks = await publisher.publishBatch(
    Array.from({ length: 2000 }, (_, i) => message(`t.${i % 8}`, `w-${i}`)),
  );
  assert.equal(acks.length, 2000);
  assert.ok(mostInFlight <= 16, `${mostInFlight} in flight`);
  assert.ok(mostInFlight >= 8, `the window was used (${mostInFlight})`);
  await publisher.close();

  // no stream takes `nowhere.*`: every attempt is answered "no responders", so nothing leaves the window
  const stuck = new Publisher(nc, { window: 4, roomWaitMs: 300, deadlineMs: 1500, retryDelayMs: 50 });
  t.after(() => stuck.close());
  const outcomes = await Promise.allSettled(
    Array.from({ length: 10 }, (_, i) => stuck.publish(message("nowhere.1", `n-${i}`))),
  );
  const failures = outcomes.map((o) => (o.status === "rejected" ? (o.reason as PublishError).failure : "ok"));
  assert.deepEqual(failures.filter((f) => f === "busy").length, 6, failures.join());
  assert.deepEqual(failures.filter((f) => f === "timeout").length, 4, failures.join());
  const timeout = outcomes.find(
    (o) => o.status === "rejected" && (o.reason as PublishError).failure === "timeout",
  ) as PromiseRejectedResult;
  assert.match(
    timeout.reason.message,
    /nowhere\.1 \(msg id n-\d\) was not stored by JetStream within 1500 ms/,
  );
  assert.match(timeout.reason.message, /no responders/);
  assert.equal(stuck.stats.inFlight, 0);
  assert.ok(stuck.stats.retries > 0, "the held messages were probed again");
});

test("a full stream (discard new) refuses with a clear error and the rest of the batch is not sent", {
  skip,
}, async (t) => {
  const { nc } = await startNatsConnected(t);
  const jsm = await withStream(nc, { max_bytes: 4000, discard: DiscardPolicy.New });
  const publisher = new Publisher(nc, { window: 4 });
  t.after(() => publisher.close());
  const batch = Array.from({ length: 40 }, (_, i) => message("t.1", `f-${i}`, "x".repeat(300)));
  const error = await publisher.publishBatch(batch).then(
    () => assert.fail("a full stream took everything"),
    (e: unknown) => e as PublishError,
  );
  assert.ok(error instanceof PublishError);
  assert.equal(error.failure, "stream-full");
  assert.match(error.message, /the events stream is full and refused the message for t\.1 \(msg id f-\d+\)/);
  assert.match(error.message, /maximum bytes exceeded/);
  const stored = (await jsm.streams.info("T")).state.messages;
  assert.ok(stored > 0 && stored < 40, `${stored} stored`);
  // the window bounds how far past the first refusal the batch went
  assert.ok(stored + publisher.stats.failures["stream-full"] < 40, "the batch stopped at the first refusal");
  assert.equal(publisher.stats.inFlight, 0);
});

test("a server killed and restarted while publishing: every message stored once, each host's in publish order", {
  skip,
}, async (t) => {
  const cluster = await startNats(t);
  const nc = await connect({ servers: cluster.urls, maxReconnectAttempts: -1, reconnectTimeWait: 100 });
  t.after(() => nc.close());
  await withStream(nc);
  const publisher = new Publisher(nc, { window: 256, ackTimeoutMs: 1000, deadlineMs: 30_000 });
  t.after(() => publisher.close());
  const hosts = 12;
  const total = 3000;
  const acks: Array<Promise<unknown>> = [];
  let publishedBeforeKill = total;
  const restarted = (async () => {
    // killed once a sixth is stored: by count, not by time, which a busy machine stretches
    while (publisher.stats.published < total / 6) await sleep(2);
    publishedBeforeKill = publisher.stats.published;
    await cluster.nodes[0].kill();
    await sleep(400);
    await cluster.nodes[0].start();
  })();
  // a fixed rate, as shippers send: 50 messages every 10 ms
  for (let i = 0; i < total; i++) {
    const host = i % hosts;
    acks.push(publisher.publish(message(`t.${host % 4}`, `h${host}-${i}`, `{"host":${host},"i":${i}}`)));
    if (i % 50 === 49) await sleep(10);
  }
  await restarted;
  const settled = await Promise.allSettled(acks);
  const failed = settled.filter((s) => s.status === "rejected");
  assert.equal(failed.length, 0, String((failed[0] as PromiseRejectedResult | undefined)?.reason));
  assert.ok(
    publishedBeforeKill < total / 2,
    `the server went down mid-stream (${publishedBeforeKill} stored before)`,
  );

  const stored = await readStream(nc, "T");
  const perId = new Map<string, number>();
  for (const m of stored) perId.set(m.msgId!, (perId.get(m.msgId!) ?? 0) + 1);
  assert.equal(perId.size, total);
  assert.ok(
    [...perId.values()].every((n) => n === 1),
    "a message was stored twice",
  );
  const last = new Map<number, number>();
  for (const m of stored) {
    const { host, i } = JSON.parse(m.text) as { host: number; i: number };
    assert.ok(i > (last.get(host) ?? -1), `host ${host}: ${i} stored after ${last.get(host)}`);
    last.set(host, i);
  }
});
