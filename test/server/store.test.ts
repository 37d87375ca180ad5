import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { chmodSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import Database from "better-sqlite3";
import { freshRuleStats, type RuleStats } from "../../src/engine/detection-engine.ts";
import { RULE_COUNTERS, RuleStatsRecorder, ruleStatsDelta } from "../../src/server/rule-stats-recorder.ts";
import { AlertStore, MAX_PAGE_SIZE } from "../../src/server/store.ts";
import { MIGRATIONS, migrate, SCHEMA_VERSION, SchemaVersionError } from "../../src/server/store-schema.ts";
import { eventAlert, idOf, sequenceAlerts, tempDir } from "./alerts.ts";

/** A clock the test moves. */
function clock(start = Date.parse("2026-03-10T00:00:00Z")) {
  let now = start;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

const DAY = 86_400_000;

function sampleStore() {
  const store = AlertStore.open(":memory:");
  const alerts = [
    eventAlert({ host: "web-1", time: "2026-03-02T09:00:00Z", severity: "high", pid: 1 }),
    eventAlert({ host: "web-1", time: "2026-03-02T10:00:00Z", severity: "low", pid: 2 }),
    eventAlert({
      host: "db-1",
      time: "2026-03-02T11:00:00Z",
      severity: "critical",
      ruleId: "r2",
      ruleName: "Other Rule",
      pid: 3,
    }),
    ...sequenceAlerts("db-1"),
  ];
  store.insertAlerts(alerts);
  return { store, alerts };
}

test("inserting an alert twice is a no-op reported as a duplicate; it never reopens a triaged alert", (t) => {
  const store = AlertStore.open(":memory:");
  t.after(() => store.close());
  const alert = eventAlert();
  assert.deepEqual(store.insertAlerts([alert]), { inserted: 1, duplicates: 0, insertedIds: [idOf(alert)] });
  store.setWorkflowStatus(idOf(alert), "acknowledged");
  // The same match found again (a replay): same id, a later execution time.
  const again = { ...alert, "@timestamp": "2026-03-03T00:00:00.000Z" };
  assert.deepEqual(store.insertAlerts([again, again]), { inserted: 0, duplicates: 2, insertedIds: [] });
  const stored = store.getAlert(idOf(alert))!;
  assert.equal(stored["kibana.alert.workflow_status"], "acknowledged");
  assert.equal(stored["@timestamp"], alert["@timestamp"]);
  assert.equal(store.countAlerts(), 1);
});

test("an alert without kibana.alert.uuid is refused and nothing of its batch is stored", (t) => {
  const store = AlertStore.open(":memory:");
  t.after(() => store.close());
  const bad = { ...eventAlert() };
  delete bad["kibana.alert.uuid"];
  assert.throws(
    () => store.insertAlerts([eventAlert({ pid: 9 }), bad]),
    /alert 1 of the batch has no kibana\.alert\.uuid/,
  );
  assert.equal(store.countAlerts(), 0);
});

test("filters: rule by id or name, severity, host, status, time range on the original time, building blocks", (t) => {
  const { store, alerts } = sampleStore();
  t.after(() => store.close());
  const ids = (query: Parameters<AlertStore["searchAlerts"]>[0]) =>
    store.searchAlerts(query).alerts.map((a) => a["kibana.alert.uuid"]);

  assert.equal(store.searchAlerts().total, 6);
  assert.deepEqual(ids({ rule: "r2" }), [idOf(alerts[2])]);
  assert.deepEqual(ids({ rule: "Other Rule" }), [idOf(alerts[2])]);
  assert.deepEqual(ids({ severity: ["high", "critical"], rule: "0b6f3c1e-5d2a-4e8b-9a7c-1f2e3d4c5b6a" }), [
    idOf(alerts[0]),
  ]);
  assert.deepEqual(ids({ host: "web-1" }), [idOf(alerts[1]), idOf(alerts[0])], "newest first");
  assert.equal(store.searchAlerts({ host: "db-1" }).total, 4);
  assert.equal(store.searchAlerts({ host: "db-1", buildingBlocks: "exclude" }).total, 2);
  assert.equal(store.searchAlerts({ buildingBlocks: "only" }).total, 2);

  const since = Date.parse("2026-03-02T10:00:00Z");
  const until = Date.parse("2026-03-02T11:00:00Z");
  assert.deepEqual(ids({ since, until }), [idOf(alerts[1])], "since inclusive, until exclusive");

  store.setWorkflowStatus(idOf(alerts[0]), "closed");
  assert.deepEqual(ids({ status: ["closed"] }), [idOf(alerts[0])]);
  assert.equal(store.searchAlerts({ status: ["open", "acknowledged"] }).total, 5);
});

test("pages: size/from, and search_after walks every alert once", (t) => {
  const store = AlertStore.open(":memory:");
  t.after(() => store.close());
  // Several alerts at the same instant: the id breaks the tie, so no page repeats or skips one.
  const alerts = Array.from({ length: 23 }, (_, i) =>
    eventAlert({ pid: 100 + i, time: `2026-03-02T09:0${i % 4}:00Z` }),
  );
  store.insertAlerts(alerts);
  const all = store.searchAlerts({ size: 100 }).alerts.map(idOf);
  assert.equal(all.length, 23);
  assert.deepEqual(store.searchAlerts({ size: 5, from: 10 }).alerts.map(idOf), all.slice(10, 15));

  const walked: string[] = [];
  let page = store.searchAlerts({ size: 5 });
  for (;;) {
    walked.push(...page.alerts.map(idOf));
    if (!page.next) break;
    page = store.searchAlerts({ size: 5, searchAfter: page.next });
  }
  assert.deepEqual(walked, all);
  assert.equal(page.total, 23);

  assert.throws(() => store.searchAlerts({ size: MAX_PAGE_SIZE + 1 }), /size must be from 1 to 500/);
  assert.throws(() => store.searchAlerts({ from: 9_990, size: 20 }), /from \+ size must be at most 10000/);
});

test("workflow status: set, read back with the time it changed; unknown ids and statuses", (t) => {
  const time = clock();
  const store = AlertStore.open(":memory:", { now: time.now });
  t.after(() => store.close());
  const alert = eventAlert();
  store.insertAlerts([alert]);
  assert.equal(store.getAlert(idOf(alert))!["kibana.alert.workflow_status"], "open");
  assert.equal(store.getAlert(idOf(alert))!["kibana.alert.workflow_status_updated_at"], undefined);

  const updated = store.setWorkflowStatus(idOf(alert), "acknowledged")!;
  assert.equal(updated["kibana.alert.workflow_status"], "acknowledged");
  assert.equal(updated["kibana.alert.workflow_status_updated_at"], "2026-03-10T00:00:00.000Z");
  time.advance(1000);
  // The same status again: the time it changed stays.
  store.setWorkflowStatus(idOf(alert), "acknowledged");
  assert.equal(
    store.getAlert(idOf(alert))!["kibana.alert.workflow_status_updated_at"],
    "2026-03-10T00:00:00.000Z",
  );

  assert.equal(store.setWorkflowStatus("no-such-id", "closed"), undefined);
  assert.equal(store.getAlert("no-such-id"), undefined);
  assert.throws(() => store.setWorkflowStatus(idOf(alert), "in-progress" as never), /must be one of open/);
});

test("retention: by age of writing, and by count keeping the most recently written", (t) => {
  const time = clock();
  const store = AlertStore.open(":memory:", { now: time.now });
  t.after(() => store.close());
  store.insertAlerts([eventAlert({ pid: 1 }), eventAlert({ pid: 2 })]);
  store.markDelivered("webhook:x", ["a"]);
  time.advance(10 * DAY);
  const recent = [eventAlert({ pid: 3 }), eventAlert({ pid: 4 }), eventAlert({ pid: 5 })];
  store.insertAlerts(recent);

  assert.deepEqual(store.applyRetention({ maxAgeDays: 7 }), {
    deletedByAge: 2,
    deletedByCount: 0,
    deletedDeliveries: 1,
  });
  assert.equal(store.countAlerts(), 3);
  time.advance(1);
  const newest = eventAlert({ pid: 6 });
  store.insertAlerts([newest]);
  const result = store.applyRetention({ maxAlerts: 2 });
  assert.equal(result.deletedByCount, 2);
  assert.ok(store.getAlert(idOf(newest)));
  assert.equal(store.countAlerts(), 2);
  assert.throws(() => store.applyRetention({ maxAlerts: -1 }), /maxAlerts must be a whole number/);
});

test("deliveries per sink and named checkpoints", (t) => {
  const store = AlertStore.open(":memory:");
  t.after(() => store.close());
  store.markDelivered("webhook:a", ["1", "2"]);
  store.markDelivered("webhook:a", ["2", "3"]);
  assert.deepEqual([...store.deliveredAmong("webhook:a", ["0", "1", "3"])].sort(), ["1", "3"]);
  assert.deepEqual([...store.deliveredAmong("webhook:b", ["1"])], []);

  assert.equal(store.loadCheckpoint("wal"), undefined);
  store.saveCheckpoint("wal", 42);
  store.saveCheckpoint("wal", 43);
  assert.equal(store.loadCheckpoint("wal"), 43);
});

const stats = (over: Partial<RuleStats> = {}): RuleStats => ({
  ...freshRuleStats({ rule_id: "r1", name: "Rule One", severity: "high" }),
  ...over,
});

test("rule counters add up across engine restarts; summaries join the stored alerts by status", (t) => {
  const store = AlertStore.open(":memory:");
  t.after(() => store.close());
  const recorder = new RuleStatsRecorder(store);
  const live = stats({
    rule_id: "0b6f3c1e-5d2a-4e8b-9a7c-1f2e3d4c5b6a",
    name: "Shell Spawned In Pod By Runtime",
  });
  recorder.record([live]);
  live.matches = 5;
  live.alerts = 3;
  recorder.record([live]);
  live.matches = 7;
  live.alertErrors = 1;
  recorder.record([live]);
  // A new process: the engine counts from zero again, and the store keeps adding.
  const restarted = new RuleStatsRecorder(store);
  restarted.record([{ ...live, matches: 2, alerts: 1, alertErrors: 2 }]);

  const [a1, a2] = [eventAlert({ pid: 1 }), eventAlert({ pid: 2 })];
  store.insertAlerts([a1, a2, ...sequenceAlerts()]);
  store.setWorkflowStatus(idOf(a2), "closed");

  const summaries = store.ruleSummaries();
  const shell = summaries.find((s) => s.rule_id === live.rule_id)!;
  assert.equal(shell.matches, 9);
  assert.equal(shell.alerts, 4);
  assert.equal(shell.alert_errors, 3);
  assert.deepEqual(shell.stored, { total: 2, open: 1, acknowledged: 0, closed: 1 });
  assert.equal(shell.last_alert_time, "2026-03-02T09:41:07.250Z");
  // A rule with stored alerts and no counters yet is listed too; building blocks are not counted.
  const sequence = summaries.find((s) => s.rule_id === "seq-rule")!;
  assert.deepEqual(sequence.stored, { total: 1, open: 1, acknowledged: 0, closed: 0 });
  assert.equal(sequence.matches, 0);

  assert.deepEqual(ruleStatsDelta(stats({ matches: 4 }), stats({ matches: 6, errors: 1, disabled: true })), {
    ...stats({ matches: 2, errors: 1, disabled: true }),
  });
});

test("migration: a database at schema 1 is brought up to date in place, its alerts kept", async (t) => {
  const path = join(await tempDir(t), "old.db");
  const old = new Database(path);
  migrate(old, 1);
  assert.equal(old.pragma("user_version", { simple: true }), 1);
  const alert = eventAlert();
  old
    .prepare(
      `INSERT INTO alerts (id, time, stored_at, rule_id, rule_name, severity, host_name, document)
       VALUES (?, 0, 0, 'r', 'Rule', 'high', 'h', ?)`,
    )
    .run(idOf(alert), JSON.stringify(alert));
  old.close();

  const store = AlertStore.open(path);
  t.after(() => store.close());
  assert.equal(store.schemaVersion, SCHEMA_VERSION);
  assert.equal(SCHEMA_VERSION, MIGRATIONS.length);
  assert.equal(store.getAlert(idOf(alert))!["kibana.alert.workflow_status"], "open");
  store.markDelivered("webhook:x", [idOf(alert)]);
  assert.equal(store.deliveredAmong("webhook:x", [idOf(alert)]).size, 1);
  const db = new Database(path, { readonly: true });
  assert.equal(db.pragma("journal_mode", { simple: true }), "wal");
  db.close();
});

test("migration: rule counters of a schema 2 database are kept, and alert errors count from zero", async (t) => {
  const path = join(await tempDir(t), "v2.db");
  const old = new Database(path);
  migrate(old, 2);
  old
    .prepare(
      `INSERT INTO rule_stats (rule_id, name, severity, matches, alerts, errors, updated_at)
       VALUES ('r1', 'Rule One', 'high', 7, 3, 1, 0)`,
    )
    .run();
  old.close();

  const store = AlertStore.open(path);
  t.after(() => store.close());
  const before = store.ruleSummaries().find((s) => s.rule_id === "r1")!;
  assert.deepEqual([before.matches, before.alerts, before.errors, before.alert_errors], [7, 3, 1, 0]);
  store.addRuleCounters([stats({ matches: 2, alertErrors: 2 })]);
  const after = store.ruleSummaries().find((s) => s.rule_id === "r1")!;
  assert.deepEqual([after.matches, after.alert_errors], [9, 2]);
});

test("every rule counter is kept across restarts of the process and of the store", async (t) => {
  const path = join(await tempDir(t), "counters.db");
  const snake = (key: string) => key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
  const counted = (n: number) =>
    Object.fromEntries(RULE_COUNTERS.map((key) => [key, n])) as Partial<RuleStats>;
  const first = AlertStore.open(path);
  new RuleStatsRecorder(first).record([stats(counted(2))]);
  first.close();
  const second = AlertStore.open(path);
  t.after(() => second.close());
  // a new process: its engine counts from zero again
  new RuleStatsRecorder(second).record([stats(counted(3))]);
  const summary = second.ruleSummaries().find((s) => s.rule_id === "r1")! as unknown as Record<
    string,
    number
  >;
  for (const key of RULE_COUNTERS) assert.equal(summary[snake(key)], 5, key);
});

test("migration: rule counters of a schema 3 database are kept, and filtered events count from zero", async (t) => {
  const path = join(await tempDir(t), "v3.db");
  const old = new Database(path);
  migrate(old, 3);
  old
    .prepare(
      `INSERT INTO rule_stats (rule_id, name, severity, matches, excepted, alert_errors, updated_at)
       VALUES ('r1', 'Rule One', 'high', 7, 4, 1, 0)`,
    )
    .run();
  old.close();

  const store = AlertStore.open(path);
  t.after(() => store.close());
  const before = store.ruleSummaries().find((s) => s.rule_id === "r1")!;
  assert.deepEqual([before.matches, before.excepted, before.alert_errors, before.filtered], [7, 4, 1, 0]);
  store.addRuleCounters([stats({ matches: 1, filtered: 6 })]);
  const after = store.ruleSummaries().find((s) => s.rule_id === "r1")!;
  assert.deepEqual([after.matches, after.filtered], [8, 6]);
});

test("a database from a newer eqlite is refused, not misread", async (t) => {
  const path = join(await tempDir(t), "new.db");
  const db = new Database(path);
  db.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
  db.close();
  assert.throws(
    () => AlertStore.open(path),
    (error: unknown) =>
      error instanceof SchemaVersionError && /newer than this eqlite understands/.test(error.message),
  );
});

test("a store file that cannot be written is refused at open, naming it, not found out alert by alert", async (t) => {
  const path = join(await tempDir(t), "eqlite.db");
  AlertStore.open(path).close();
  // read-only to this process: by its mode, or for root (whom modes do not stop) as an immutable file
  if (process.getuid?.() === 0) {
    if (spawnSync("chattr", ["+i", path]).status !== 0) return t.skip("running as root without chattr");
    t.after(() => spawnSync("chattr", ["-i", path]));
  } else chmodSync(path, 0o444);
  assert.throws(() => AlertStore.open(path), {
    message: `${path} cannot be written: attempt to write a readonly database`,
  });
});
