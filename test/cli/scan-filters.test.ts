import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { minimalEqlRule } from "../engine/fixtures.ts";
import { runCli } from "./run-cli.ts";

const dir = mkdtempSync(join(tmpdir(), "eqlite-filters-"));

/** Kibana's filter pill "NOT field: value", as an export saves it. */
const notPhrase = (field: string, value: string | number) => ({
  meta: { negate: true, disabled: false, type: "phrase", key: field, params: { query: value } },
  query: { match_phrase: { [field]: value } },
});

const apiRule = (rule_id: string, name: string, query: string, filters: unknown[]) =>
  minimalEqlRule(0, query, { rule_id, name, index: ["logs-*"], filters });

const EVENT_RULE = apiRule(
  "aaaaaaaa-0000-4000-8000-000000000001",
  "apt-get started",
  'process where event.type == "start" and process.name == "apt-get"',
  [notPhrase("process.command_line", "apt-get update -qq")],
);
// the filters apply to every event of a sequence: the first's command line, the second's port
const SEQUENCE_RULE = apiRule(
  "aaaaaaaa-0000-4000-8000-000000000002",
  "apt-get then a connection",
  'sequence by host.id with maxspan=1m [process where process.name == "apt-get"] [network where true]',
  [notPhrase("process.command_line", "apt-get update -qq"), notPhrase("destination.port", 53)],
);

const at = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s)).toISOString();
const base = { data_stream: { type: "logs", dataset: "test", namespace: "default" } };
const start = (s: number, host: string, command_line: string) => ({
  ...base,
  "@timestamp": at(s),
  event: { category: ["process"], type: ["start"] },
  host: { id: host },
  process: { name: "apt-get", command_line },
});
const connect = (s: number, host: string, port: number) => ({
  ...base,
  "@timestamp": at(s),
  event: { category: ["network"] },
  host: { id: host },
  destination: { port },
});
const events = [
  start(1, "h1", "apt-get update -qq"),
  connect(2, "h1", 443),
  start(3, "h2", "apt-get install curl"),
  connect(4, "h2", 443),
  start(5, "h3", "apt-get install wget"),
  connect(6, "h3", 53),
];
const input = join(dir, "events.ndjson");
writeFileSync(input, events.map((e) => JSON.stringify(e)).join("\n") + "\n");

const exportFile = join(dir, "rules.ndjson");
writeFileSync(exportFile, [EVENT_RULE, SEQUENCE_RULE].map((r) => JSON.stringify(r)).join("\n") + "\n");

type Alert = Record<string, unknown>;
const alertsOf = (stdout: string): Alert[] =>
  stdout
    .trim()
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l));

/** Each alert as its rule's name and the hosts of its events (a sequence's shell alert only). */
const summary = (alerts: Alert[]) =>
  alerts
    .filter((a) => a["kibana.alert.building_block_type"] === undefined)
    .map(
      (a) => `${a["kibana.alert.rule.name"]} ${JSON.stringify((a.host as { id: unknown } | undefined)?.id)}`,
    )
    .sort();

const EXPECTED = ['apt-get started "h2"', 'apt-get started "h3"', 'apt-get then a connection "h2"'];

test("a rule's negated filters keep the events they match from the rule, single events and sequences alike", () => {
  const r = runCli(["scan", "--rules", exportFile, "--format", "ndjson", "--workers", "0", input]);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(summary(alertsOf(r.stdout)), EXPECTED);
  assert.match(r.stderr, /apt-get started \(1 events filtered out by its filters\)/);
});

test("with worker threads the filters apply the same", () => {
  const alone = runCli(["scan", "--rules", exportFile, "--format", "ndjson", "--workers", "0", input]);
  const threaded = runCli(["scan", "--rules", exportFile, "--format", "ndjson", "--workers", "2", input]);
  assert.equal(threaded.code, 0, threaded.stderr);
  assert.match(threaded.stderr, /matched on 2 worker threads/);
  const uuids = (stdout: string) => alertsOf(stdout).map((a) => a["kibana.alert.uuid"]);
  assert.deepEqual(summary(alertsOf(threaded.stdout)), EXPECTED);
  assert.deepEqual(uuids(threaded.stdout).sort(), uuids(alone.stdout).sort());
});

test("a TOML rule's [[rule.filters]] apply, and still apply when the rule comes from the rule cache", () => {
  const rules = join(dir, "toml");
  mkdirSync(rules);
  writeFileSync(
    join(rules, "apt.toml"),
    `[metadata]
creation_date = "2026/01/01"
maturity = "production"
updated_date = "2026/01/01"

[rule]
author = ["test"]
description = "d"
index = ["logs-*"]
language = "eql"
license = "Apache-2.0"
name = "apt-get started"
risk_score = 21
rule_id = "aaaaaaaa-0000-4000-8000-000000000001"
severity = "low"
type = "eql"
query = '''
process where event.type == "start" and process.name == "apt-get"
'''

[[rule.filters]]
[rule.filters.meta]
negate = true
[rule.filters.query.match_phrase]
"process.command_line" = "apt-get update -qq"
`,
  );
  const cacheDir = join(dir, "cache");
  const entry = fileURLToPath(new URL("../../src/cli/entry.ts", import.meta.url));
  const scan = () =>
    spawnSync(
      process.execPath,
      ["--import", "tsx", entry, "scan", "--rules", rules, "--format", "ndjson", "--workers", "0", input],
      { encoding: "utf8", env: { ...process.env, NO_COLOR: "1", EQLITE_CACHE_DIR: cacheDir } },
    );
  const first = scan();
  assert.equal(first.status, 0, first.stderr);
  assert.ok(
    readdirSync(cacheDir).some((f) => f.endsWith(".v8")),
    "the first scan wrote the rule cache",
  );
  const cached = scan();
  assert.equal(cached.status, 0, cached.stderr);
  const expected = ['apt-get started "h2"', 'apt-get started "h3"'];
  assert.deepEqual(summary(alertsOf(first.stdout)), expected);
  assert.deepEqual(summary(alertsOf(cached.stdout)), expected);
});

test("a filter that cannot be evaluated is a warning of validate, and the rule runs without it", () => {
  const rule = apiRule(
    "aaaaaaaa-0000-4000-8000-000000000003",
    "apt-get started",
    'process where event.type == "start" and process.name == "apt-get"',
    [{ meta: { negate: true }, query: { query_string: { query: "process.command_line:*update*" } } }],
  );
  const file = join(dir, "unsupported.ndjson");
  const text = JSON.stringify(rule);
  writeFileSync(file, text + "\n");
  const v = runCli(["validate", file]);
  assert.equal(v.code, 0, v.stderr + v.stdout);
  const column = text.indexOf('"query_string"') + 1;
  assert.ok(
    v.stdout.includes(
      `${file}:1:${column}: warning: filters[0]: a query_string query cannot be evaluated outside Elasticsearch; the rule runs without this filter and may alert on events Kibana would filter out`,
    ),
    v.stdout,
  );
  const r = runCli(["scan", "--rules", file, "--format", "ndjson", input]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(summary(alertsOf(r.stdout)).length, 3);
});
