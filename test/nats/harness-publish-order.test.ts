/**
 * The worker tests and the chaos runs compare the workers' alerts with `eqlite scan` over the
 * events in the order they were published. That holds only if the events stream stores each
 * host's events in that order, as ingest's publisher keeps it: the harness must publish as
 * ingest does, or a sample rule (which takes the first events to come) and a sequence whose
 * event comes later than the allowed lateness find other matches than the scan, and the
 * difference reads as the workers' loss.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { jetstreamManager } from "@nats-io/jetstream";
import type { Event } from "../../src/eql/field-access.ts";
import { EVENTS_STREAM, openTopology } from "../../src/nats/topology.ts";
import { natsServerMissing, startNatsConnected } from "./nats-server.ts";
import { readStream } from "./stream-reader.ts";
import { publishEvents } from "./worker-harness.ts";

const event = (i: number): Event => ({
  "@timestamp": new Date(Date.parse("2026-09-01T10:00:00Z") + i).toISOString(),
  event: { category: ["process"], type: ["start"], id: `e${i}` },
  host: { id: "h1" },
  process: { name: "x", pid: i },
});

test("the harness publishes as ingest does: events JetStream refused for a moment are stored again before later ones", {
  skip: natsServerMissing,
  timeout: 60_000,
}, async (t) => {
  const { nc } = await startNatsConnected(t);
  const events = Array.from({ length: 200 }, (_, i) => event(i));
  // no events stream yet: every publish is answered "no responders", as while the stream's
  // server restarts or its leader is elected, until the stream comes a moment later
  const publishing = publishEvents(nc, events, 1, { ratePerSecond: 400 });
  await sleep(150);
  await openTopology(nc, { partitions: 1 });
  await publishing;

  const stored = await readStream(nc, EVENTS_STREAM);
  const pids = stored.map((m) => (JSON.parse(m.text) as { process: { pid: number } }).process.pid);
  assert.deepEqual(
    pids,
    events.map((_, i) => i),
    "every event once, in publish order",
  );
  const info = await (await jetstreamManager(nc)).streams.info(EVENTS_STREAM);
  assert.equal(info.state.messages, events.length);
});
