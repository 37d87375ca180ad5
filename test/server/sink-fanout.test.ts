import assert from "node:assert/strict";
import { test } from "node:test";
import type { AlertDocument } from "../../src/engine/alert.ts";
import type { AlertSink } from "../../src/io/sinks/alert-sink.ts";
import { SinkFanout } from "../../src/server/sink-fanout.ts";
import { eventAlert } from "./alerts.ts";
import { quiet } from "./serve-helpers.ts";

/** A sink whose writes wait until the test lets them go (or fail them). */
class GatedSink implements AlertSink {
  readonly gates: Array<{ resolve: () => void; reject: (error: Error) => void }> = [];
  constructor(readonly name: string) {}
  write(_alerts: readonly AlertDocument[]): Promise<void> {
    return new Promise((resolve, reject) => this.gates.push({ resolve, reject }));
  }
  async close(): Promise<void> {}
}

const settle = () => new Promise((r) => setImmediate(r));

test("publishes are numbered; settled moves over those every sink took, in order; a drop is remembered", async () => {
  const slow = new GatedSink("slow");
  const quick = new GatedSink("quick");
  const fanout = new SinkFanout([slow, quick], { maxQueuedAlerts: 100, attempts: 1, logger: quiet() });
  const alert = [eventAlert()];
  assert.deepEqual(fanout.progress, { issued: 0, settled: 0, firstDropped: null });

  const first = fanout.publish(alert);
  await settle();
  assert.deepEqual(await fanout.publish([]), { dropped: [] }, "nothing to publish gets no number");
  assert.equal(fanout.progress.issued, 1);
  quick.gates.shift()!.resolve();
  await settle();
  assert.equal(fanout.progress.settled, 0, "the slow sink has not taken it yet");
  slow.gates.shift()!.resolve();
  assert.deepEqual(await first, { dropped: [] });
  assert.deepEqual(fanout.progress, { issued: 1, settled: 1, firstDropped: null });

  const second = fanout.publish(alert);
  await settle();
  slow.gates.shift()!.reject(new Error("disk full"));
  quick.gates.shift()!.resolve();
  assert.deepEqual(await second, { dropped: ["slow"] });
  assert.deepEqual(fanout.progress, { issued: 2, settled: 2, firstDropped: 2 });
});

test("a full queue: the oldest alerts go to a sink's setAside, or are dropped by a sink without one, or when it fails", async () => {
  const plain = new GatedSink("plain");
  const kept: string[] = [];
  const keeping = Object.assign(new GatedSink("keeping"), {
    setAside: async (_alerts: readonly AlertDocument[], reason: string) => {
      kept.push(reason);
    },
  });
  const failing = Object.assign(new GatedSink("failing"), {
    setAside: () => Promise.reject(new Error("dead-letter file: disk full")),
  });
  const fanout = new SinkFanout([plain, keeping, failing], {
    maxQueuedAlerts: 1,
    attempts: 1,
    logger: quiet(),
  });
  const writing = fanout.publish([eventAlert()]);
  await settle();
  // the first is being written; the second waits, the third pushes it out
  const pushedOut = fanout.publish([eventAlert()]);
  const newest = fanout.publish([eventAlert()]);
  assert.deepEqual(await pushedOut, { dropped: ["plain", "failing"] });
  assert.deepEqual(kept, ["alert sink queue full (1 alerts waiting)"]);
  assert.deepEqual(
    fanout.stats().map((s) => [s.name, s.written, s.dropped]),
    [
      ["plain", 0, 1],
      ["keeping", 1, 0],
      ["failing", 0, 1],
    ],
  );
  for (const sink of [plain, keeping, failing]) sink.gates.shift()!.resolve();
  await writing;
  await settle();
  for (const sink of [plain, keeping, failing]) sink.gates.shift()!.resolve();
  await newest;
});
