import assert from "node:assert/strict";
import { test } from "node:test";
import { FieldPresence } from "../../src/engine/field-presence.ts";
import { SampleCheck } from "../../src/engine/sample-check.ts";
import type { Event } from "../../src/eql/field-access.ts";
import { loadRuleText } from "../../src/rules/load-rule-text.ts";
import { buildRuleSet } from "../../src/rules/rule-set.ts";

test("a field is present whether written with dotted keys, nested, mixed, or inside an array of objects", () => {
  const fields = [
    "process.name",
    "process.parent.name",
    "dns.answers.data",
    "user.name",
    "host.ip",
    "file.path",
  ];
  const presence = new FieldPresence(fields);
  const events: Event[] = [
    { "process.name": "sh" },
    { process: { "parent.name": "runc" } },
    { dns: { answers: [{ type: "A" }, { data: "198.51.100.7" }] } },
    // no value a query can compare: not present
    { user: { name: null }, host: { ip: [] }, file: { path: { nested: "object" } } },
  ];
  for (const e of events) presence.observe(e);
  assert.deepEqual(
    fields.filter((f) => presence.has(f)),
    ["process.name", "process.parent.name", "dns.answers.data"],
  );
});

test("category values: only those asked for are kept, from single values and arrays", () => {
  const presence = new FieldPresence([], new Map([["event.category", ["process", "file", "network"]]]));
  presence.observe({ event: { category: ["process", "host"] } });
  presence.observe({ "event.category": "file" });
  assert.equal(presence.hasValue("event.category", "process"), true);
  assert.equal(presence.hasValue("event.category", "file"), true);
  assert.equal(presence.hasValue("event.category", "network"), false);
  assert.equal(presence.hasValue("event.category", "host"), false, "not asked for");
});

const RULES = [
  { n: 1, name: "Shell", query: 'process where process.name == "sh"' },
  { n: 2, name: "Typo", query: 'process where process.nme == "sh"' },
  { n: 3, name: "Files", query: 'file where file.path : "/etc/*"' },
  {
    n: 4,
    name: "Curl Then Connect",
    query:
      'sequence by host.id with maxspan=1m [process where process.name == "curl"] [network where destination.port == 4444]',
  },
  {
    n: 5,
    name: "Endpoint Only",
    query: 'process where process.name == "sh"',
    index: ["logs-endpoint.events.*"],
  },
];

function ruleSet() {
  const text = RULES.map(({ n, name, query, index }) =>
    JSON.stringify({
      rule_id: `6a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c${String(n).padStart(2, "0")}`,
      name,
      description: "d",
      risk_score: 21,
      severity: "low",
      type: "eql",
      language: "eql",
      index: index ?? ["logs-cloud_defend*"],
      query,
    }),
  ).join("\n");
  return buildRuleSet(loadRuleText(text, "rules.ndjson").rules);
}

const stream = { "data_stream.type": "logs", "data_stream.dataset": "cloud_defend.process" };
const SAMPLE: Event[] = [
  {
    "@timestamp": "2026-03-01T10:00:00Z",
    event: { category: ["process"] },
    ...stream,
    "host.id": "h1",
    process: { name: "sh" },
  },
  {
    "@timestamp": "2026-03-01T10:00:01Z",
    "event.category": "process",
    data_stream: { type: "logs", dataset: "cloud_defend.process" },
    host: { id: "h1" },
    "process.name": "curl",
  },
];

test("SampleCheck: missing fields and categories, index patterns no event is in, and matches per rule", () => {
  const check = new SampleCheck(ruleSet());
  SAMPLE.forEach((event, i) => {
    check.push(event, { source: "sample.ndjson", line: i + 1 });
  });
  const report = check.finish();
  assert.equal(report.events, 2);
  const byName = new Map(report.rules.map((r) => [r.rule.rule.name, r]));
  const view = (name: string) => {
    const r = byName.get(name)!;
    return {
      missingFields: r.missingFields,
      missingCategories: r.missingCategories,
      inIndex: r.inIndex,
      matches: r.matches,
    };
  };
  assert.deepEqual(view("Shell"), { missingFields: [], missingCategories: [], inIndex: true, matches: 1 });
  assert.deepEqual(view("Typo"), {
    missingFields: ["process.nme"],
    missingCategories: [],
    inIndex: true,
    matches: 0,
  });
  assert.deepEqual(view("Files"), {
    missingFields: ["file.path"],
    missingCategories: ["file"],
    inIndex: true,
    matches: 0,
  });
  assert.deepEqual(view("Curl Then Connect"), {
    missingFields: ["destination.port"],
    missingCategories: ["network"],
    inIndex: true,
    matches: 0,
  });
  assert.deepEqual(view("Endpoint Only"), {
    missingFields: [],
    missingCategories: [],
    inIndex: false,
    matches: 0,
  });
});

test("SampleCheck: an event that names no data stream is in every rule's index patterns", () => {
  const check = new SampleCheck(ruleSet());
  check.push(
    { "@timestamp": "2026-03-01T10:00:00Z", "event.category": "process", "process.name": "sh" },
    {
      source: "s",
      line: 1,
    },
  );
  const report = check.finish();
  assert.ok(report.rules.every((r) => r.inIndex));
  assert.equal(report.rules.find((r) => r.rule.rule.name === "Endpoint Only")!.matches, 1);
});
