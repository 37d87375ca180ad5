import assert from "node:assert/strict";
import { test } from "node:test";
import { buildEventAlert } from "../../src/engine/alert.ts";
import { sourceIdentity } from "../../src/engine/source-identity.ts";
import {
  CSV_HEADER,
  csvCell,
  formatCsv,
  formatNdjson,
  formatPretty,
  formatSummary,
} from "../../src/io/sinks/alert-formats.ts";

const rule = {
  rule_id: "b0ddccf7-2626-4414-8602-a808c33d4b0c",
  name: "Interactive Shell",
  description: "d",
  severity: "high",
  risk_score: 73,
  type: "eql",
  query: "process where true",
  language: "eql",
};
const event = {
  "@timestamp": "2026-11-02T09:14:03.112Z",
  event: { category: ["process"], type: ["start"] },
  host: { name: "node-a" },
  orchestrator: { namespace: "shop", resource: { name: "checkout-7d9f" } },
  container: { id: "c0ffee0123456789", name: "checkout" },
  process: { name: "sh", pid: 4211, args: ["sh", "-c", "=cmd|' /C calc'!A0"] },
};
const alert = buildEventAlert(rule, event, sourceIdentity(event), { now: new Date("2026-11-02T09:20:00Z") });

test("pretty: time, severity, rule, where and what ran, without colour when asked", () => {
  const text = formatPretty(alert, false);
  const lines = text.split("\n");
  assert.match(lines[0], /^2026-11-02T09:14:03\.112Z {2}HIGH {5}Interactive Shell \(risk 73\)$/);
  assert.equal(lines[1], "  host node-a  pod shop/checkout-7d9f  container checkout");
  assert.equal(lines[2], "  process sh (4211): sh -c =cmd|' /C calc'!A0");
  assert.match(lines[3], /process event with process sh, on node-a created high alert Interactive Shell\./);
  assert.ok(!text.includes("\u001b["));
  assert.ok(formatPretty(alert, true).includes("\u001b["));
});

test("ndjson is the whole document on one line", () => {
  const line = formatNdjson(alert);
  assert.ok(line.endsWith("\n") && !line.slice(0, -1).includes("\n"));
  assert.equal(JSON.parse(line)["kibana.alert.rule.rule_id"], rule.rule_id);
});

test("csv quotes and defuses formulas", () => {
  assert.equal(CSV_HEADER.split(",")[0], "time");
  const row = formatCsv(alert);
  assert.ok(row.includes(`"sh -c =cmd|' /C calc'!A0"`) || row.includes("sh -c =cmd"));
  assert.equal(csvCell('=HYPERLINK("x")'), `"'=HYPERLINK(""x"")"`);
  assert.equal(csvCell("a,b"), '"a,b"');
  assert.equal(csvCell("plain"), "plain");
});

test("summary counts alerts per rule and severity", () => {
  const counts = new Map([
    ["a", { rule: "Rule A", severity: "high", alerts: 3 }],
    ["b", { rule: "Rule B", severity: "low", alerts: 12 }],
  ]);
  assert.equal(formatSummary(counts), "    12  low       Rule B\n     3  high      Rule A\n");
  assert.equal(formatSummary(new Map()), "no alerts\n");
});
