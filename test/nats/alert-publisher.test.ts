import assert from "node:assert/strict";
import { test } from "node:test";
import type { JetStreamClient } from "@nats-io/jetstream";
import type { AlertDocument } from "../../src/engine/alert.ts";
import { createLogger } from "../../src/server/logger.ts";
import { AlertPublisher } from "../../src/worker/alert-publisher.ts";
import { workerMetrics } from "../../src/worker/worker-metrics.ts";

test("an alert that cannot be encoded is counted (publisher stats, /metrics) and logged, not only logged", () => {
  const logs: Array<Record<string, unknown>> = [];
  const logger = createLogger("info", { write: (line: string) => void logs.push(JSON.parse(line)) });
  // encoding never reaches JetStream
  const publisher = new AlertPublisher({} as JetStreamClient, logger, 8, () => 1_048_576);
  const good = { "kibana.alert.uuid": "a1", "kibana.alert.rule.rule_id": "r1" };
  assert.ok(publisher.encode(good));
  // an alert without its id, and one holding a value JSON cannot write
  assert.equal(publisher.encode({ "kibana.alert.rule.rule_id": "r1" }), undefined);
  const unwritable = { ...good, "kibana.alert.uuid": "a2", big: 1n } as unknown as AlertDocument;
  assert.equal(publisher.encode(unwritable), undefined);
  assert.equal(publisher.stats.unencodable, 2);
  const lines = logs.filter((l) => l.msg === "an alert could not be encoded; dropped");
  assert.deepEqual(
    lines.map((l) => [l.alert, l.rule_id, l.unencodable]),
    [
      ["undefined", "r1", 1],
      ["a2", "r1", 2],
    ],
  );

  const record = {
    worker: "w1",
    since: 0,
    beatAt: 0,
    pid: 1,
    hostname: "h",
    version: "test",
    partitions: 1,
    owned: [],
    rules: { hash: "h", rules: 0, hostRules: 0, globalRules: 0, global: [], long: [] },
    counters: { events: 0, alerts: 0, suppressed: 0, bad: 0, fenced: 0 },
  } as unknown as Parameters<typeof workerMetrics>[0];
  const text = workerMetrics(record, {
    pending: [],
    publisher: publisher.stats,
    deletedUnread: { gaps: 0, sequences: 0, streamRecreated: 0 },
    connected: true,
    partitionEnds: { stopped: 0, failed: 0 },
    reloads: { ok: 0, rejected: 0, loadedAt: 0 },
    rules: { stats: [], activity: [] },
  });
  assert.match(text, /^eqlite_worker_alerts_unencodable_total 2$/m);
});
