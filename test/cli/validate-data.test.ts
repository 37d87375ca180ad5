import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { gzipSync } from "node:zlib";
import { runCli } from "./run-cli.ts";

const dir = mkdtempSync(join(tmpdir(), "eqlite-validate-data-"));

function rule(n: number, name: string, query: string): string {
  return `[metadata]
creation_date = "2024/01/10"
integration = ["cloud_defend"]
maturity = "production"
updated_date = "2024/02/01"

[rule]
author = ["eqlite tests"]
description = "Written for the validate --data tests."
index = ["logs-cloud_defend*"]
language = "eql"
license = "Apache-2.0"
name = "${name}"
risk_score = 47
rule_id = "3c2d1e0f-5a6b-4c7d-8e9f-0a1b2c3d4e${String(n).padStart(2, "0")}"
severity = "medium"
type = "eql"
query = '''
${query}
'''
`;
}

const rules = join(dir, "rules");
const write = (path: string, text: string | Buffer) => {
  writeFileSync(path, text);
  return path;
};
mkdirSync(rules);
// reads a dotted key in one event and a nested one in another: both present, and it matches
write(
  join(rules, "shell.toml"),
  rule(1, "Shell From Runc", 'process where process.name == "sh" and process.parent.name == "runc"'),
);
// reads a field no event has: listed, and it matches nothing
const token = write(
  join(rules, "token.toml"),
  rule(2, "Token Read", 'process where process.name == "cat" and process.args : "*/serviceaccount/token"'),
);
// every field present, no event satisfies it
const curl = write(join(rules, "curl.toml"), rule(3, "Curl Run", 'process where process.name == "curl"'));

const EVENTS = [
  {
    "@timestamp": "2026-03-01T10:00:00Z",
    "event.category": "process",
    "process.name": "sh",
    process: { "parent.name": "runc" },
  },
  {
    "@timestamp": "2026-03-01T10:00:05Z",
    event: { category: ["process"] },
    process: { name: "cat", parent: { name: "sh" } },
  },
];
const ndjson = `${EVENTS.map((e) => JSON.stringify(e)).join("\n")}\n`;
const sample = write(join(dir, "sample.ndjson"), ndjson);
const broken = write(join(dir, "broken.ndjson"), `${ndjson}{"@timestamp": "2026-03-01T10:00:09Z",\n`);

test("--data: rules needing a field no event has are listed with it; rules matching nothing are listed", () => {
  const r = runCli(["validate", rules, "--data", sample]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stderr, "");
  const out = r.stdout;
  assert.match(out, /^0 errors, 0 warnings$/m, "the rule checks come first, unchanged");
  assert.match(out, new RegExp(`^Sample: 2 events from ${literal(sample)}$`, "m"));
  assert.match(out, /^Rules that need what no event in the sample has:$/m);
  assert.match(out, /A rule needs the fields its query reads/);
  assert.match(
    out,
    new RegExp(`^  Token Read \\(${literal(token)}:7\\)\\n    missing fields: process.args$`, "m"),
  );
  assert.doesNotMatch(
    out,
    /^ {2}Shell From Runc/m,
    "dotted and nested keys are both present, and it matches",
  );
  assert.match(
    out,
    new RegExp(
      `^2 rules match nothing in the sample:\\n  Curl Run \\(${literal(curl)}:7\\)\\n  Token Read \\(${literal(token)}:7\\)$`,
      "m",
    ),
  );
  assert.match(out, /^sample: 2 events; 3 eql rules run: 1 needs fields no event has, 2 match nothing\n$/m);
});

test("--data --format json: the sample under `data`, one entry per rule run", () => {
  const r = runCli(["validate", "--format", "json", rules, "--data", sample]);
  assert.equal(r.code, 0, r.stderr);
  const report = JSON.parse(r.stdout);
  assert.equal(report.errors, 0, "the rule report is unchanged");
  const { data } = report;
  assert.deepEqual(
    { files: data.files, events: data.events, malformed: data.malformed },
    { files: [sample], events: 2, malformed: 0 },
  );
  assert.deepEqual([data.with_missing_fields, data.matching_nothing], [1, 2]);
  const byName = Object.fromEntries(data.rules.map((x: { name: string }) => [x.name, x]));
  assert.deepEqual(byName["Token Read"], {
    rule_id: "3c2d1e0f-5a6b-4c7d-8e9f-0a1b2c3d4e02",
    name: "Token Read",
    file: token,
    line: 7,
    matches: 0,
    needed_fields: ["process.name", "process.args", "event.category"],
    missing_fields: ["process.args"],
    missing_categories: [],
    in_index: true,
  });
  assert.equal(byName["Shell From Runc"].matches, 1);
  assert.deepEqual(byName["Shell From Runc"].missing_fields, []);
  assert.equal(byName["Curl Run"].matches, 0);
});

test("--data: a malformed line is reported as file:line on stderr, counted, and skipped", () => {
  const r = runCli(["validate", rules, "--data", broken]);
  assert.equal(r.code, 0);
  assert.match(r.stderr, new RegExp(`^${literal(broken)}:3(:\\d+)?: `, "m"));
  assert.match(
    r.stdout,
    new RegExp(`^Sample: 2 events from ${literal(broken)}, 1 malformed line skipped$`, "m"),
  );
});

test("--data with --strict: the first malformed line stops the check, exit 2", () => {
  const r = runCli(["validate", "--strict", rules, "--data", broken]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /stopped at the first malformed input \(--strict\)/);
});

test("--data reads stdin as '-', gzip files, and several samples as one", () => {
  const gz = write(join(dir, "more.ndjson.gz"), gzipSync(`${JSON.stringify({ "process.args": ["x"] })}\n`));
  const r = runCli(["validate", "--format", "json", rules, "--data", "-", "--data", gz], ndjson);
  assert.equal(r.code, 0, r.stderr);
  const { data } = JSON.parse(r.stdout);
  assert.deepEqual(data.files, ["<stdin>", gz]);
  assert.equal(data.events, 3);
  assert.equal(data.with_missing_fields, 0, "process.args is in the second file");
});

test("--data does not change the exit code of invalid rules; an unreadable sample is exit 2", () => {
  const bad = join(dir, "bad");
  mkdirSync(bad);
  write(join(bad, "bad.toml"), rule(4, "Bad", 'process where process.name = "sh"'));
  const invalid = runCli(["validate", bad, "--data", sample]);
  assert.equal(invalid.code, 2);
  assert.match(
    invalid.stdout,
    /^sample: 2 events; 0 eql rules run: 0 need fields no event has, 0 match nothing$/m,
  );
  const missing = runCli(["validate", rules, "--data", join(dir, "nope.ndjson")]);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /eqlite: cannot read input: .*nope.ndjson/);
});

function literal(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
