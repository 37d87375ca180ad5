import assert from "node:assert/strict";
import { test } from "node:test";
import type { AlertDocument } from "../../src/engine/alert.ts";
import { DetectionEngine, type EngineOptions } from "../../src/engine/detection-engine.ts";
import { loadRuleText } from "../../src/rules/load-rule-text.ts";
import { buildRuleSet, type RuleSet } from "../../src/rules/rule-set.ts";

// Follow mode as `serve` runs it: max_signals per rule interval, hot reload, idle flush, index origins.

const rule = (id: string, name: string, query: string, extra = "") => `[metadata]
creation_date = "2026/11/28"
maturity = "production"
updated_date = "2026/11/28"

[rule]
author = ["test"]
description = "test rule"
index = ["logs-cloud_defend*"]
interval = "1m"
language = "eql"
license = "Apache-2.0"
name = "${name}"
risk_score = 47
rule_id = "${id}"
severity = "medium"
type = "eql"
${extra}
query = '''
${query}
'''
`;

const SHELL_ID = "aaaaaaaa-0000-4000-8000-000000000001";
const SEQ_ID = "aaaaaaaa-0000-4000-8000-000000000002";
const shellRule = (extra = "") => rule(SHELL_ID, "Shell", 'process where process.name == "sh"', extra);
const seqRule = (maxspan = "1m") =>
  rule(
    SEQ_ID,
    "Download Then Exec",
    `sequence by container.id with maxspan=${maxspan}
  [process where process.name == "curl"]
  [process where process.executable : "/tmp/*"]`,
  );

function ruleSet(...texts: string[]): RuleSet {
  const loaded = texts.flatMap((t, i) => {
    const r = loadRuleText(t, `rule-${i}.toml`);
    assert.deepEqual(
      r.diagnostics.filter((d) => d.severity === "error"),
      [],
    );
    return r.rules;
  });
  return buildRuleSet(loaded);
}

let seconds = 0;
const ev = (name: string, extra: Record<string, unknown> = {}) => ({
  "@timestamp": new Date(Date.UTC(2026, 8, 1, 10, 0, seconds++)).toISOString(),
  event: { category: ["process"], type: ["start"] },
  container: { id: "c1" },
  process: { name, executable: `/usr/bin/${name}` },
  ...extra,
});

function engine(set: RuleSet, clock: { now: number }, options: Partial<EngineOptions> = {}) {
  const alerts: AlertDocument[] = [];
  const e = new DetectionEngine(set, {
    mode: "follow",
    allowedLatenessMs: 5000,
    now: () => new Date(clock.now),
    clock: () => clock.now,
    onAlert: (a) => alerts.push(a),
    ...options,
  });
  return { e, alerts };
}

/** A wall clock after the events' dates: follow mode's sequences take no event dated ahead of the clock. */
const AFTER_EVENTS = Date.UTC(2026, 8, 5);

const origin = (index?: string) => ({ source: "test", line: 1, index });

test("follow mode alerts max_signals per rule interval window, counting the rest", () => {
  const clock = { now: Date.UTC(2026, 8, 1, 10, 0, 0) };
  const { e, alerts } = engine(ruleSet(shellRule("max_signals = 2")), clock);
  for (let i = 0; i < 5; i++) e.push(ev("sh", { process: { name: "sh", pid: i } }), origin());
  assert.equal(alerts.length, 2);
  assert.equal(e.ruleStats[0].overLimit, 3);
  clock.now += 60_000; // the next 1m interval: a new window
  for (let i = 5; i < 8; i++) e.push(ev("sh", { process: { name: "sh", pid: i } }), origin());
  assert.equal(alerts.length, 4);
  assert.equal(e.ruleStats[0].overLimit, 4);
  assert.equal(e.ruleStats[0].alerts, 4);
  // alerts are stamped with the clock of their making, not the engine's start
  assert.equal(alerts[3]["@timestamp"], new Date(clock.now).toISOString());
});

test("an origin's index gates rules and names the alert's source; the event is not changed", () => {
  const clock = { now: Date.UTC(2026, 8, 1, 10, 0, 0) };
  const { e, alerts } = engine(ruleSet(shellRule()), clock);
  e.push(ev("sh", { process: { name: "sh", pid: 1 } }), origin("logs-other-default"));
  assert.equal(alerts.length, 0);
  const event = ev("sh", { process: { name: "sh", pid: 2 } });
  const before = JSON.stringify(event);
  e.push(event, { ...origin("logs-cloud_defend.process-prod"), id: "doc-7" });
  assert.equal(alerts.length, 1);
  assert.equal(JSON.stringify(event), before);
  const ancestors = alerts[0]["kibana.alert.ancestors"] as Array<Record<string, unknown>>;
  assert.deepEqual(
    { id: ancestors[0].id, index: ancestors[0].index },
    { id: "doc-7", index: "logs-cloud_defend.process-prod" },
  );
  assert.equal(Object.hasOwn(alerts[0], "_index"), false);
  assert.equal(e.activity()[0].evaluated, 1);
});

test("an idle stream releases a sequence held behind the watermark", () => {
  const clock = { now: AFTER_EVENTS };
  const { e, alerts } = engine(ruleSet(seqRule()), clock);
  e.push(ev("curl"), origin());
  clock.now += 10;
  e.push(ev("payload", { process: { name: "payload", executable: "/tmp/payload" } }), origin());
  // both events wait for the watermark (5 s of allowed lateness): no alert yet
  assert.equal(alerts.length, 0);
  assert.equal(e.activity()[0].buffered, 2);
  assert.equal(e.flushIdle(500), 0, "not idle long enough");
  clock.now += 600;
  assert.equal(e.flushIdle(500), 1);
  assert.equal(alerts.filter((a) => a["kibana.alert.building_block_type"] === undefined).length, 1);
});

test("reload keeps the half-finished sequence of an unchanged rule and drops removed rules", () => {
  const clock = { now: AFTER_EVENTS };
  const { e, alerts } = engine(ruleSet(seqRule(), shellRule()), clock, { allowedLatenessMs: 0 });
  e.push(ev("curl"), origin());
  assert.equal(e.activity()[0].openSequences, 1);
  // the same rule text loaded again (new objects), the shell rule gone, a new one added
  const other = rule("aaaaaaaa-0000-4000-8000-000000000003", "Other", 'process where process.name == "x"');
  const summary = e.reload(ruleSet(seqRule(), other));
  assert.deepEqual(summary, {
    kept: [SEQ_ID],
    added: ["aaaaaaaa-0000-4000-8000-000000000003"],
    changed: [],
    removed: [SHELL_ID],
  });
  e.push(ev("payload", { process: { name: "payload", executable: "/tmp/payload" } }), origin());
  const shells = alerts.filter((a) => a["kibana.alert.building_block_type"] === undefined);
  assert.equal(shells.length, 1, "the sequence begun before the reload completes after it");
  assert.deepEqual(
    e.ruleStats.map((s) => s.rule_id),
    [SEQ_ID, "aaaaaaaa-0000-4000-8000-000000000003"],
  );
  e.push(ev("sh"), origin());
  assert.equal(alerts.length, 3, "the removed rule no longer alerts");
});

test("reload of a changed rule starts it afresh, keeping its counters", () => {
  const clock = { now: AFTER_EVENTS };
  const { e, alerts } = engine(ruleSet(seqRule()), clock, { allowedLatenessMs: 0 });
  e.push(ev("curl"), origin());
  e.push(ev("payload", { process: { name: "payload", executable: "/tmp/payload" } }), origin());
  assert.equal(e.ruleStats[0].matches, 1);
  e.push(ev("curl"), origin());
  const summary = e.reload(ruleSet(seqRule("2m")));
  assert.deepEqual(summary.changed, [SEQ_ID]);
  assert.equal(e.activity()[0].openSequences, 0);
  assert.equal(e.ruleStats[0].matches, 1);
  const before = alerts.length;
  e.push(ev("payload", { process: { name: "payload", executable: "/tmp/payload" } }), origin());
  assert.equal(alerts.length, before, "the partial sequence of the old version is gone");
});

test("a sequence without maxspan spans at most the rule's window, as one run of it finds; with timestamp_override, any span ingested within one window", () => {
  const UNBOUNDED_ID = "aaaaaaaa-0000-4000-8000-000000000005";
  const unbounded = rule(
    UNBOUNDED_ID,
    "Download Then Exec, Any Time",
    `sequence by container.id
  [process where process.name == "curl"]
  [process where process.executable : "/tmp/*"]`,
    'from = "now-6m"',
  );
  const clock = { now: AFTER_EVENTS };
  const { e, alerts } = engine(ruleSet(unbounded), clock);
  const at = (minute: number, name: string, container: string) => ({
    ...ev(name, { process: { name, executable: `/tmp/${name}` } }),
    "@timestamp": new Date(Date.UTC(2026, 8, 3, 10, minute)).toISOString(),
    container: { id: container },
  });
  // c1's curl and payload are 5 minutes apart, within the window; c2's 30 minutes apart
  e.push(at(0, "curl", "c2"), origin());
  e.push(at(10, "curl", "c1"), origin());
  e.push(at(15, "payload", "c1"), origin());
  e.push(at(30, "payload", "c2"), origin());
  e.finish();
  const shells = alerts.filter((a) => a["kibana.alert.building_block_type"] === undefined);
  assert.deepEqual(
    shells.map((a) => (a.container as { id: string }).id),
    ["c1"],
  );
  assert.equal(e.activity()[0].openSequences, 0);

  // with timestamp_override, Kibana's window is on that field (ingestion), not on @timestamp: an
  // agent's backlog ingested within one window is one run's, whatever its events' span
  const ingested = rule(
    "aaaaaaaa-0000-4000-8000-000000000006",
    "Download Then Exec, Ingested Together",
    `sequence by container.id
  [process where process.name == "curl"]
  [process where process.executable : "/tmp/*"]`,
    'from = "now-6m"\ntimestamp_override = "event.ingested"',
  );
  const late = engine(ruleSet(ingested), clock);
  const shipped = (minute: number, name: string) => ({
    ...at(minute, name, "c2"),
    event: {
      category: ["process"],
      type: ["start"],
      ingested: new Date(Date.UTC(2026, 8, 3, 10, 31)).toISOString(),
    },
  });
  late.e.push(shipped(0, "curl"), origin());
  late.e.push(shipped(30, "payload"), origin());
  late.e.finish();
  assert.equal(late.alerts.filter((a) => a["kibana.alert.building_block_type"] === undefined).length, 1);
});

test("a sequence of a rule with timestamp_override has its events ingested within one window, as one run holds them, whatever their @timestamp span", () => {
  const ingested = rule(
    "aaaaaaaa-0000-4000-8000-000000000009",
    "Download Then Exec, Ingested Within A Window",
    `sequence by container.id
  [process where process.name == "curl"]
  [process where process.executable : "/tmp/*"]`,
    'from = "now-6m"\ntimestamp_override = "event.ingested"',
  );
  const { e, alerts } = engine(ruleSet(ingested), { now: AFTER_EVENTS });
  // happened `minute` past 9:00, ingested `ingestedMinute` past 10:00
  const at = (minute: number, ingestedMinute: number, name: string, container: string) => ({
    ...ev(name, { process: { name, executable: `/tmp/${name}` } }),
    "@timestamp": new Date(Date.UTC(2026, 8, 3, 9, minute)).toISOString(),
    event: {
      category: ["process"],
      type: ["start"],
      ingested: new Date(Date.UTC(2026, 8, 3, 10, ingestedMinute)).toISOString(),
    },
    container: { id: container },
  });
  // c1 ingested 20 minutes apart: no run of a 6-minute window holds both; c2 a minute apart
  e.push(at(0, 0, "curl", "c1"), origin());
  e.push(at(10, 20, "curl", "c2"), origin());
  e.push(at(20, 20, "payload", "c1"), origin());
  e.push(at(40, 21, "payload", "c2"), origin());
  e.finish();
  assert.deepEqual(
    alerts
      .filter((a) => a["kibana.alert.building_block_type"] === undefined)
      .map((a) => (a.container as { id: string }).id),
    ["c2"],
  );
});

test("a maxspan longer than the rule's window is cut to the window, as no run sees a longer sequence; with timestamp_override, maxspan stands", () => {
  const longer = (id: string, extra: string) =>
    rule(
      id,
      "Download Then Exec Within Ten Minutes",
      `sequence by container.id with maxspan=10m
  [process where process.name == "curl"]
  [process where process.executable : "/tmp/*"]`,
      `from = "now-6m"${extra}`,
    );
  const at = (minute: number, name: string, container: string) => ({
    ...ev(name, { process: { name, executable: `/tmp/${name}` } }),
    "@timestamp": new Date(Date.UTC(2026, 8, 3, 10, minute)).toISOString(),
    event: {
      category: ["process"],
      type: ["start"],
      ingested: new Date(Date.UTC(2026, 8, 3, 10, 20)).toISOString(),
    },
    container: { id: container },
  });
  const shells = (extra: string) => {
    const { e, alerts } = engine(ruleSet(longer("aaaaaaaa-0000-4000-8000-000000000008", extra)), {
      now: AFTER_EVENTS,
    });
    // c1: 5 minutes apart, within the window; c2: 8 minutes apart, within maxspan only
    e.push(at(0, "curl", "c2"), origin());
    e.push(at(1, "curl", "c1"), origin());
    e.push(at(6, "payload", "c1"), origin());
    e.push(at(8, "payload", "c2"), origin());
    e.finish();
    return alerts
      .filter((a) => a["kibana.alert.building_block_type"] === undefined)
      .map((a) => (a.container as { id: string }).id)
      .sort();
  };
  assert.deepEqual(shells(""), ["c1"]);
  // windowed on ingestion, which these share: one run sees both, and maxspan alone bounds them
  assert.deepEqual(shells('\ntimestamp_override = "event.ingested"'), ["c1", "c2"]);
});

test("partial sequences dropped at the cap on what a rule holds are counted, as the matches they lose", () => {
  const clock = { now: AFTER_EVENTS };
  const { e, alerts } = engine(ruleSet(seqRule("1h")), clock, { maxHeldPerRule: 2 });
  const at = (second: number, name: string, container: string) => ({
    ...ev(name, { process: { name, executable: `/tmp/${name}` } }),
    "@timestamp": new Date(Date.UTC(2026, 8, 4, 10, 0, second)).toISOString(),
    container: { id: container },
  });
  // three containers start a sequence; only two can be held, so c1's goes
  e.push(at(0, "curl", "c1"), origin());
  e.push(at(1, "curl", "c2"), origin());
  e.push(at(2, "curl", "c3"), origin());
  e.push(at(3, "payload", "c1"), origin());
  e.push(at(4, "payload", "c3"), origin());
  e.finish();
  const shells = alerts.filter((a) => a["kibana.alert.building_block_type"] === undefined);
  assert.deepEqual(
    shells.map((a) => (a.container as { id: string }).id),
    ["c3"],
  );
  assert.equal(e.activity()[0].evicted, 1);
});

test("a sample rule alerts as its sample completes, over the rule's window, without waiting for the end", () => {
  const SAMPLE_ID = "aaaaaaaa-0000-4000-8000-000000000004";
  const sampleRule = rule(
    SAMPLE_ID,
    "Download And Shell In One Container",
    'sample by container.id [process where process.name == "curl"] [process where process.name == "sh"]',
    'from = "now-2m"',
  );
  const clock = { now: AFTER_EVENTS };
  const { e, alerts } = engine(ruleSet(sampleRule), clock);
  const at = (minute: number, name: string, container = "c1") => ({
    ...ev(name),
    "@timestamp": new Date(Date.UTC(2026, 8, 2, 10, minute)).toISOString(),
    container: { id: container },
  });
  const shells = () => alerts.filter((a) => a["kibana.alert.building_block_type"] === undefined);
  e.push(at(0, "sh"), origin());
  e.push(at(1, "curl", "c2"), origin());
  assert.equal(alerts.length, 0);
  e.push(at(1, "curl"), origin());
  assert.equal(shells().length, 1, "reported when the sample exists, before any flush");
  assert.equal(alerts.length, 3, "a shell alert and a building block per event, as for sequences");
  e.push(at(2, "curl"), origin());
  assert.equal(shells().length, 1, "the window's first sample is still the same");
  // the first sh has left the 2-minute window; c2's curl has no sh
  e.push(at(4, "sh"), origin());
  assert.equal(shells().length, 2, "the curl still in the window and the new sh are the next sample");
  e.push(at(60, "sh", "c2"), origin());
  assert.equal(shells().length, 2, "c2's curl left the window an hour ago");
  e.finish();
  assert.equal(shells().length, 2, "finishing reports nothing twice");
  assert.equal(e.activity()[0].sampleKeys, 1, "only c2, with its new sh, is held");
});

test("a sample rule with timestamp_override is windowed on that field, as Kibana's runs are: an agent's backlog ingested together samples, events ingested apart do not", () => {
  const sampleRule = rule(
    "aaaaaaaa-0000-4000-8000-000000000007",
    "Download And Shell, Ingested Together",
    'sample by container.id [process where process.name == "curl"] [process where process.name == "sh"]',
    'from = "now-2m"\ntimestamp_override = "event.ingested"',
  );
  const clock = { now: AFTER_EVENTS };
  const { e, alerts } = engine(ruleSet(sampleRule), clock);
  // happened `minute` past 10:00, ingested `ingestedMinute` past 12:00
  const at = (minute: number, ingestedMinute: number, name: string, container: string) => ({
    ...ev(name),
    "@timestamp": new Date(Date.UTC(2026, 8, 2, 10, minute)).toISOString(),
    event: {
      category: ["process"],
      type: ["start"],
      ingested: new Date(Date.UTC(2026, 8, 2, 12, ingestedMinute)).toISOString(),
    },
    container: { id: container },
  });
  const shells = () => alerts.filter((a) => a["kibana.alert.building_block_type"] === undefined);
  // c1: a backlog 30 minutes apart by @timestamp, ingested in the same minute: one run's sample
  e.push(at(0, 0, "curl", "c1"), origin());
  e.push(at(30, 0, "sh", "c1"), origin());
  // c2: a minute apart by @timestamp, ingested 10 minutes apart: no run of a 2-minute window sees both
  e.push(at(31, 1, "curl", "c2"), origin());
  e.push(at(32, 11, "sh", "c2"), origin());
  e.finish();
  assert.deepEqual(
    shells().map((a) => (a.container as { id: string }).id),
    ["c1"],
  );
});

test("an event dated far ahead of the clock is left out of sequences, counted, and they go on as before", () => {
  const clock = { now: Date.UTC(2026, 8, 6, 10, 0, 0) };
  const { e, alerts } = engine(ruleSet(seqRule(), shellRule()), clock);
  const at = (ms: number, name: string, container: string) => ({
    ...ev(name, { process: { name, executable: name === "curl" ? "/usr/bin/curl" : `/tmp/${name}` } }),
    "@timestamp": new Date(clock.now + ms).toISOString(),
    container: { id: container },
  });
  const shells = () =>
    alerts.filter(
      (a) => a["kibana.alert.building_block_type"] === undefined && a["kibana.alert.rule.name"] !== "Shell",
    );
  // a host whose clock says 2099: it would move the watermark there for good
  e.push({ ...ev("curl"), "@timestamp": "2099-01-01T00:00:00.000Z", container: { id: "c9" } }, origin());
  e.push({ ...ev("sh"), "@timestamp": "2099-01-01T00:00:01.000Z" }, origin());
  assert.equal(
    alerts.filter((a) => a["kibana.alert.rule.name"] === "Shell").length,
    1,
    "a single-event rule alerts on it as it comes",
  );
  // out of order within the allowed lateness: put back in order, not late
  e.push(at(1_000, "payload", "c1"), origin());
  e.push(at(0, "curl", "c1"), origin());
  // a partial sequence outlives the hundreds of events that move the watermark on
  e.push(at(2_000, "curl", "c2"), origin());
  for (let i = 0; i < 300; i++) e.push(at(2_000 + i * 10, "curl", `n${i}`), origin());
  e.push(at(6_000, "payload", "c2"), origin());
  // a sender 30 s ahead of this clock is within the tolerance for skew
  e.push(at(30_000, "curl", "c3"), origin());
  e.push(at(31_000, "payload", "c3"), origin());
  e.finish();
  assert.deepEqual(
    shells().map((a) => (a.container as { id: string }).id),
    ["c1", "c2", "c3"],
  );
  const activity = e.activity()[0];
  assert.equal(activity.future, 1, "the sequence rule's far-future event is counted");
  assert.equal(activity.late, 0);
});

test("an event left out for being dated far ahead is told once per rule, with where it came from", () => {
  const clock = { now: Date.UTC(2026, 8, 6, 10, 0, 0) };
  const told: Array<[string, string, number | undefined]> = [];
  const { e } = engine(ruleSet(seqRule()), clock, {
    onFutureEvent: (r, time, from) => told.push([r.rule.rule_id, String(time), from?.line]),
  });
  const ahead = (line: number) =>
    e.push({ ...ev("curl"), "@timestamp": "2099-01-01T00:00:00.000Z" }, { source: "test", line });
  ahead(7);
  ahead(8);
  assert.deepEqual(told, [[SEQ_ID, String(BigInt(Date.UTC(2099, 0, 1)) * 1_000_000n), 7]]);
  assert.equal(e.activity()[0].future, 2);
});

test("a sample rule leaves out an event dated far ahead of the clock, and its window stays now", () => {
  const SAMPLE_ID = "aaaaaaaa-0000-4000-8000-000000000006";
  const sampleRule = rule(
    SAMPLE_ID,
    "Download And Shell In One Container",
    'sample by container.id [process where process.name == "curl"] [process where process.name == "sh"]',
    'from = "now-2m"',
  );
  const clock = { now: Date.UTC(2026, 8, 6, 10, 0, 0) };
  const { e, alerts } = engine(ruleSet(sampleRule), clock);
  const at = (time: string, name: string) => ({ ...ev(name), "@timestamp": time, container: { id: "c1" } });
  e.push(at("2099-01-01T00:00:00.000Z", "curl"), origin());
  e.push(at(new Date(clock.now - 1_000).toISOString(), "curl"), origin());
  e.push(at(new Date(clock.now).toISOString(), "sh"), origin());
  assert.equal(alerts.filter((a) => a["kibana.alert.building_block_type"] === undefined).length, 1);
  assert.equal(e.activity()[0].future, 1);
  assert.equal(e.activity()[0].late, 0);
});

test("an event's date is judged against when it was received, when its origin says: a replay after a restart leaves out what the live run left out", () => {
  // the replay runs at 12:00; the payload dated 10:03 came at 10:01, two minutes ahead of then
  const { e, alerts } = engine(ruleSet(seqRule("10m")), { now: Date.UTC(2026, 8, 3, 12, 0) });
  const at = (minute: number, name: string, executable: string) => ({
    ...ev(name, { process: { name, executable } }),
    "@timestamp": new Date(Date.UTC(2026, 8, 3, 10, minute)).toISOString(),
  });
  const received = (minute: number) => ({ ...origin(), receivedAt: Date.UTC(2026, 8, 3, 10, minute) });
  e.push(at(0, "curl", "/usr/bin/curl"), received(0));
  e.push(at(3, "payload", "/tmp/payload"), received(1));
  e.finish();
  assert.equal(alerts.length, 0);
  assert.equal(e.activity()[0].future, 1);
});

test("a batch takes events of any date, whatever the clock", () => {
  const alerts: AlertDocument[] = [];
  const e = new DetectionEngine(ruleSet(seqRule()), {
    mode: "batch",
    clock: () => 0,
    now: new Date(0),
    onAlert: (a) => alerts.push(a),
  });
  const at = (time: string, name: string) => ({
    ...ev(name, { process: { name, executable: `/tmp/${name}` } }),
    "@timestamp": time,
  });
  e.push(at("2099-01-01T00:00:01.000Z", "payload"), origin());
  e.push(at("2099-01-01T00:00:00.000Z", "curl"), origin());
  e.finish();
  assert.equal(alerts.filter((a) => a["kibana.alert.building_block_type"] === undefined).length, 1);
  assert.equal(e.activity()[0].future, 0);
});

test("follow mode: an event dated far ahead opens no suppression group (today's alerts are not folded into it); a backlog older than the group folds into it", () => {
  const suppressed =
    'alert_suppression = { group_by = ["container.id"], duration = { value = 5, unit = "m" }, missing_fields_strategy = "suppress" }';
  const clock = { now: AFTER_EVENTS };
  const { e, alerts } = engine(ruleSet(shellRule(suppressed)), clock);
  // a host whose clock says 2099: its alert opens the group
  e.push({ ...ev("sh"), "@timestamp": "2099-01-01T00:00:00.000Z" }, origin());
  assert.equal(alerts.length, 1);
  e.push(ev("sh", { process: { name: "sh", pid: 2 } }), origin());
  e.push(ev("sh", { process: { name: "sh", pid: 3 } }), origin());
  // today's first alert is not folded into 2099's; the one after it, within 5 minutes, is
  assert.equal(alerts.length, 2, "the group's alert of today was suppressed by one dated 2099");
  assert.equal(e.ruleStats[0].suppressed, 1);
  // a shipper's backlog from before the group's first alert, interleaved with today's events,
  // folds into it: the stream is in arrival order, and the group's start does not move back
  const backlog = (minutes: number, pid: number) => ({
    ...ev("sh", { process: { name: "sh", pid } }),
    "@timestamp": new Date(Date.UTC(2026, 8, 1, 9, 50 - minutes)).toISOString(),
  });
  for (let i = 0; i < 3; i++) {
    e.push(backlog(i, 10 + i), origin());
    e.push(ev("sh", { process: { name: "sh", pid: 20 + i } }), origin());
  }
  assert.equal(alerts.length, 2);
  assert.equal(e.ruleStats[0].suppressed, 7);
});
