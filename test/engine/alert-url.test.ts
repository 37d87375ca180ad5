import assert from "node:assert/strict";
import { test } from "node:test";
import type { AlertDocument } from "../../src/engine/alert.ts";
import { ruleUuid } from "../../src/engine/alert-rule.ts";
import {
  alertDetailsUrl,
  checkedSpaceId,
  type KibanaTarget,
  kibanaBaseUrl,
} from "../../src/engine/alert-url.ts";
import { DetectionEngine } from "../../src/engine/detection-engine.ts";
import { compileSuppressionGroup } from "../../src/engine/suppression.ts";
import type { Event } from "../../src/eql/field-access.ts";
import { loadRuleText } from "../../src/rules/load-rule-text.ts";
import { buildRuleSet } from "../../src/rules/rule-set.ts";
import { minimalEqlRule } from "./fixtures.ts";

test("the alert link: the space in the path unless it is the default one; its alerts index and the time in the query", () => {
  const id = "9f".repeat(32);
  const at = "2026-09-01T12:00:00.000Z";
  assert.equal(
    alertDetailsUrl("https://kibana.example.com", undefined, id, at),
    `https://kibana.example.com/app/security/alerts/redirect/${id}?index=.alerts-security.alerts-default&timestamp=${at}`,
  );
  assert.equal(
    alertDetailsUrl("https://kibana.example.com", "default", id, at),
    alertDetailsUrl("https://kibana.example.com", undefined, id, at),
  );
  assert.equal(
    alertDetailsUrl("http://10.0.0.5:5601/kibana", "soc-eu", id, at),
    `http://10.0.0.5:5601/kibana/s/soc-eu/app/security/alerts/redirect/${id}?index=.alerts-security.alerts-soc-eu&timestamp=${at}`,
  );
});

test("Kibana's URL: http(s), kept with its path, without trailing slashes; credentials, queries and fragments refused", () => {
  assert.equal(kibanaBaseUrl("https://kibana.example.com/"), "https://kibana.example.com");
  assert.equal(kibanaBaseUrl("http://10.0.0.5:5601/kibana//"), "http://10.0.0.5:5601/kibana");
  assert.equal(kibanaBaseUrl("HTTPS://Kibana.Example.com:443"), "https://kibana.example.com");
  assert.throws(
    () => kibanaBaseUrl("kibana.example.com"),
    /not a URL such as https:\/\/kibana\.example\.com/,
  );
  assert.throws(() => kibanaBaseUrl("ftp://kibana.example.com"), /must be http or https, not ftp/);
  assert.throws(
    () => kibanaBaseUrl("https://elastic:changeme@kibana.example.com"),
    /must not hold credentials/,
  );
  assert.throws(
    () => kibanaBaseUrl("https://kibana.example.com/?space=x"),
    /must not have a query or a fragment/,
  );
  assert.throws(
    () => kibanaBaseUrl("https://kibana.example.com/#/alerts"),
    /must not have a query or a fragment/,
  );
});

test("space ids: Kibana's lowercase letters, digits, _ and -", () => {
  for (const ok of ["default", "soc", "soc-eu_2"]) assert.equal(checkedSpaceId(ok), ok);
  for (const bad of ["", "SOC", "soc eu", "soc/eu", "söc", "../x"])
    assert.throws(() => checkedSpaceId(bad), /may hold only lowercase letters, digits/, bad);
});

const at = (second: number) => new Date(Date.UTC(2026, 8, 1, 10, 0, second)).toISOString();
const exec = (second: number, name: string, host = "node-1"): Event => ({
  "@timestamp": at(second),
  event: { category: ["process"], type: ["start"] },
  host: { name: host },
  process: { name, pid: second },
});

const SUPPRESSION = { group_by: ["host.name"] };
const rules = [
  minimalEqlRule(1, 'process where process.name == "sh"'),
  minimalEqlRule(
    2,
    'sequence by host.name [process where process.name == "curl"] [process where process.name == "sh"]',
  ),
  minimalEqlRule(3, 'process where process.name == "curl"', { alert_suppression: SUPPRESSION }),
];
const events = [exec(1, "curl"), exec(2, "sh"), exec(3, "curl", "node-2"), exec(4, "sh", "node-2")];
const NOW = new Date("2026-09-01T12:00:00.000Z");

function alertsFor(kibana?: KibanaTarget): AlertDocument[] {
  const loaded = loadRuleText(rules.map((r) => JSON.stringify(r)).join("\n"), "rules.ndjson");
  assert.equal(loaded.rules.length, 3, JSON.stringify(loaded.diagnostics));
  const alerts: AlertDocument[] = [];
  const engine = new DetectionEngine(buildRuleSet(loaded.rules), {
    mode: "batch",
    now: NOW,
    kibana,
    onAlert: (alert) => alerts.push(alert),
    onRuleError: (_rule, error) => assert.fail((error as Error).message),
  });
  events.forEach((event, i) => {
    engine.push(event, { source: "events.ndjson", line: i + 1 });
  });
  engine.finish();
  return alerts;
}

const ruleOf = (alert: AlertDocument) => alert["kibana.alert.rule.rule_id"] as string;
const isBuildingBlock = (alert: AlertDocument) => alert["kibana.alert.building_block_type"] !== undefined;

test("the engine's alerts carry their space, and each its own link when Kibana's URL is known", () => {
  const kibana = { spaceId: "soc", kibanaUrl: "https://kibana.example.com/base" };
  const alerts = alertsFor(kibana);
  // rule 1: two shells; rule 2: two sequences of a shell and two building blocks; rule 3: one per host
  assert.deepEqual(
    rules.map((r) => alerts.filter((a) => ruleOf(a) === r.rule_id).length),
    [2, 6, 2],
  );
  assert.equal(alerts.filter(isBuildingBlock).length, 4);
  for (const alert of alerts) {
    assert.deepEqual(alert["kibana.space_ids"], ["soc"]);
    assert.equal(
      alert["kibana.alert.url"],
      `https://kibana.example.com/base/s/soc/app/security/alerts/redirect/${alert["kibana.alert.uuid"]}?index=.alerts-security.alerts-soc&timestamp=${NOW.toISOString()}`,
    );
  }
  const suppressed = alerts.filter((a) => ruleOf(a) === rules[2].rule_id);
  const group = compileSuppressionGroup(SUPPRESSION, ruleUuid(rules[2]), "soc");
  assert.deepEqual(
    suppressed.map((a) => a["kibana.alert.instance.id"]),
    [group(events[0])!.instanceId, group(events[2])!.instanceId],
  );

  const elsewhere = alertsFor({ spaceId: "default" });
  for (const alert of elsewhere) {
    assert.deepEqual(alert["kibana.space_ids"], ["default"]);
    assert.equal(Object.hasOwn(alert, "kibana.alert.url"), false, "no link without Kibana's URL");
  }
  // a single event's alert id and a suppression group are per space; a sequence's ids are not (as in Kibana)
  const ids = (list: AlertDocument[], rule: number) =>
    list.filter((a) => ruleOf(a) === rules[rule].rule_id).map((a) => a["kibana.alert.uuid"]);
  for (const rule of [0, 2])
    for (const id of ids(alerts, rule)) assert.ok(!ids(elsewhere, rule).includes(id));
  assert.deepEqual(ids(alerts, 1), ids(elsewhere, 1));
  assert.deepEqual(alertsFor(), elsewhere, "the default space is the one without a target");
});
