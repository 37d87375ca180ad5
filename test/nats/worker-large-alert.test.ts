import assert from "node:assert/strict";
import { test } from "node:test";
import { sourceIdentity } from "../../src/engine/source-identity.ts";
import type { Event } from "../../src/eql/field-access.ts";
import { fitAlert, OMITTED_FIELDS } from "../../src/nats/alert-fit.ts";
import { natsServerMissing, startNatsConnected } from "./nats-server.ts";
import {
  alertId,
  BUNDLED_RULES,
  metricValue,
  publishEvents,
  readAlerts,
  scanOracle,
  scrape,
  simulatedEvents,
  WorkerProcess,
  waitCaughtUp,
} from "./worker-harness.ts";

const bytes = (value: unknown) => Buffer.byteLength(JSON.stringify(value));

test("fitAlert: an alert that fits is left alone; one that does not loses its largest source fields, named, never what eqlite wrote", () => {
  const alert = {
    "@timestamp": "2026-09-01T10:00:00.000Z",
    process: { name: "bash", args: ["-c", "x".repeat(5_000)], title: "y".repeat(3_000) },
    message: "z".repeat(1_000),
    host: { id: "h1" },
    "kibana.alert.original_event.original": "o".repeat(4_000),
    "kibana.alert.uuid": "u".repeat(64),
    "kibana.alert.reason": "r".repeat(2_000),
    "kibana.alert.rule.description": "d".repeat(2_000),
  };
  assert.equal(fitAlert(alert, 1_000_000)?.alert, alert);
  const fitted = fitAlert(alert, 9_000);
  assert.ok(fitted);
  assert.ok(bytes(fitted.alert) <= 9_000, String(bytes(fitted.alert)));
  assert.deepEqual(fitted.omitted, ["process.args", "kibana.alert.original_event.original"]);
  assert.deepEqual(fitted.alert[OMITTED_FIELDS], fitted.omitted);
  const kept = fitted.alert as typeof alert;
  assert.equal(kept.process.name, "bash");
  assert.equal(kept.process.title, alert.process.title);
  assert.equal(kept["kibana.alert.reason"], alert["kibana.alert.reason"]);
  assert.equal(alert.process.args.length, 2, "the alert given is not changed");
  // what eqlite wrote alone is over the limit: no fitting
  assert.equal(fitAlert(alert, 3_000), undefined);
});

test("fitAlert: many small fields, each left out in turn; the list of them is bounded", () => {
  const alert: Record<string, unknown> = { "kibana.alert.uuid": "u", labels: {} };
  const labels = alert.labels as Record<string, string>;
  for (let i = 0; i < 5_000; i++) labels[`k${i}`] = `value-${i}`;
  const fitted = fitAlert(alert, 20_000);
  assert.ok(fitted);
  assert.ok(bytes(fitted.alert) <= 20_000);
  const named = fitted.alert[OMITTED_FIELDS] as string[];
  assert.ok(named.length <= 32);
  assert.match(named[named.length - 1], /^… and \d+ more$/);
});

test("an event just under max_payload whose alert is over it: the alert is published without its largest field, and the partition goes on (it stalled for good, retrying the publish)", {
  skip: natsServerMissing,
  timeout: 90_000,
}, async (t) => {
  const { cluster, nc } = await startNatsConnected(t);
  const partitions = 2;
  const worker = WorkerProcess.start(t, "w-large", [
    ...["--nats", cluster.urls[0], "--partitions", String(partitions), "--metrics", "0"],
    ...["--checkpoint-interval", "200", "--no-watch-rules", "--rules", BUNDLED_RULES],
  ]);
  await worker.waitFor(/partition taken over/, partitions);
  const events = simulatedEvents(1_200, 5, 2);
  const alerting = new Set(
    scanOracle(t, events, [BUNDLED_RULES])
      .filter((a) => a["kibana.alert.building_block_type"] === undefined)
      .map((a) => (a["kibana.alert.ancestors"] as Array<{ id: string }>)[0].id),
  );
  const trigger = events.find((e) => alerting.has(sourceIdentity(e, {}).id));
  assert.ok(trigger, "an event that alerts by itself");
  // as large as ingest lets through: max_payload (1 MiB) less its 2 KiB of headroom
  const large: Event = { ...structuredClone(trigger), padding: "" };
  large.padding = "x".repeat(1_048_576 - 2_048 - bytes(large) - 100);
  const all = [...events.slice(0, 600), large, ...events.slice(600)];
  await publishEvents(nc, all, partitions);

  await waitCaughtUp(nc, partitions, false, 30_000);
  const stored = await readAlerts(nc);
  const expected = scanOracle(t, all, [BUNDLED_RULES]);
  assert.deepEqual(stored.map((s) => s.msgId).sort(), expected.map(alertId).sort());
  const trimmed = stored.filter((s) => s.alert[OMITTED_FIELDS] !== undefined);
  assert.equal(trimmed.length, 1);
  assert.deepEqual(trimmed[0].alert[OMITTED_FIELDS], ["padding"]);
  assert.equal(
    trimmed[0].alert["process.name"] ?? (trimmed[0].alert.process as Event).name,
    (trigger.process as Event).name,
  );
  assert.equal(worker.logs(/larger than the NATS server's max_payload; published without/).length, 1);
  const url = String(worker.logs(/metrics at/)[0]?.url);
  assert.equal(metricValue(await scrape(url), "eqlite_worker_alerts_trimmed_total"), 1);
  assert.equal(await worker.stop(20_000), 0);
});
