import assert from "node:assert/strict";
import { type ChildProcess, spawnSync } from "node:child_process";
import {
  closeSync,
  existsSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type TestContext, test } from "node:test";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { scanSummary } from "../../src/cli/scan.ts";
import { freshRuleStats } from "../../src/engine/detection-engine.ts";
import { runCli } from "./run-cli.ts";
import { until } from "./until.ts";

const shared = fileURLToPath(new URL("../../../shared", import.meta.url));
const cliEntry = fileURLToPath(new URL("../../src/cli/entry.ts", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "eqlite-scan-"));

const RULE = `[metadata]
creation_date = "2026/11/28"
maturity = "production"
updated_date = "2026/11/28"

[rule]
author = ["test"]
description = "Interactive shells in containers."
from = "now-6m"
index = ["logs-cloud_defend*"]
interval = "5m"
language = "eql"
license = "Apache-2.0"
max_signals = 2
name = "Interactive Shell In Container"
risk_score = 73
rule_id = "11111111-2222-4333-8444-555555555555"
severity = "high"
type = "eql"
query = '''
process where container.id : "*" and process.interactive == true
'''
`;
const SEQUENCE_RULE = RULE.replace(
  "11111111-2222-4333-8444-555555555555",
  "11111111-2222-4333-8444-666666666666",
)
  .replace('name = "Interactive Shell In Container"', 'name = "Shell Then Connection"')
  .replace(
    /query = '''[\s\S]*'''/,
    "query = '''\nsequence by container.id with maxspan=1m [process where process.interactive == true] [network where true]\n'''",
  );
const rules = join(dir, "rules");
writeFileSync(join(dir, "rule.toml"), RULE);

import { mkdirSync } from "node:fs";

mkdirSync(rules);
writeFileSync(join(rules, "shell.toml"), RULE);
writeFileSync(join(rules, "sequence.toml"), SEQUENCE_RULE);

const ev = (i: number, extra: Record<string, unknown> = {}) => ({
  "@timestamp": new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString(),
  event: { category: ["process"] },
  data_stream: { type: "logs", dataset: "cloud_defend.process", namespace: "default" },
  container: { id: `c${i % 2}` },
  process: { pid: i, name: "sh", interactive: true },
  ...extra,
});
const events = [ev(3), ev(1), ev(2), ev(4, { process: { pid: 4, interactive: false } })];
const net = { ...ev(5), event: { category: ["network"] }, container: { id: "c1" } };
const input = join(dir, "events.ndjson");
writeFileSync(input, [...events, net].map((e) => JSON.stringify(e)).join("\n") + "\nnot json\n");

const alertsOf = (stdout: string) =>
  stdout
    .trim()
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>);

test("alerts are Kibana-shaped, ids are stable across runs, and max_signals keeps the most recent", () => {
  const first = runCli(["scan", "--rules", join(dir, "rule.toml"), "--format", "ndjson", input]);
  assert.equal(first.code, 0, first.stderr);
  const alerts = alertsOf(first.stdout);
  assert.equal(alerts.length, 2);
  assert.deepEqual(
    alerts.map((a) => (a.process as { pid: number }).pid),
    [2, 3],
    "the two most recent of the three matches",
  );
  for (const a of alerts) {
    assert.equal(a["event.kind"] ?? (a.event as { kind?: string }).kind, "signal");
    assert.equal(a["kibana.alert.rule.rule_id"], "11111111-2222-4333-8444-555555555555");
    assert.equal(a["kibana.alert.severity"], "high");
    assert.equal(a["kibana.alert.workflow_status"], "open");
    assert.match(a["kibana.alert.uuid"] as string, /^[0-9a-f]{64}$/);
  }
  assert.match(first.stderr, /1 matches over max_signals not alerted/);
  assert.match(first.stderr, /events\.ndjson:6(:\d+)?: invalid JSON/);
  const second = runCli(["scan", "--rules", join(dir, "rule.toml"), "--format", "ndjson", input]);
  assert.deepEqual(
    alertsOf(second.stdout).map((a) => a["kibana.alert.uuid"]),
    alerts.map((a) => a["kibana.alert.uuid"]),
  );
});

test("source fields an alert leaves out (the ECS mapping cannot hold them) are said once per rule, with where", () => {
  const odd = join(dir, "odd-fields.ndjson");
  const oddEvents = [
    ev(1, { "host.name": { first: "node-0" } }),
    ev(2, { "host.name": { first: "node-1" } }),
    ev(3, { "host.name": { first: "node-2" } }),
    ev(4, { "process.pid": "n/a" }),
  ];
  writeFileSync(odd, oddEvents.map((e) => JSON.stringify(e)).join("\n"));
  const run = runCli(["scan", "--rules", join(dir, "rule.toml"), "--format", "ndjson", odd]);
  assert.equal(run.code, 0, run.stderr);
  const told = run.stderr.split("\n").filter((l) => l.includes("leaves out"));
  assert.equal(told.length, 2, run.stderr);
  // max_signals is 2: the first two matches have no alert, and nothing of theirs is said
  assert.match(
    told[0],
    /odd-fields\.ndjson:3: warning: rule ".*" \(11111111-2222-4333-8444-555555555555\): its alert leaves out host\.name,/,
  );
  assert.match(told[1], /odd-fields\.ndjson:4: .* leaves out process\.pid,/);
  for (const alert of alertsOf(run.stdout)) assert.equal(Object.hasOwn(alert, "host.name"), false);
});

test("what scan says of a rule's alert shows an event's control characters as stand-ins: a field name cannot drive the terminal", () => {
  const hostile = join(dir, "hostile-field.ndjson");
  // a dotted key below the keyword host.name, which the alert leaves out and names
  writeFileSync(hostile, JSON.stringify(ev(1, { "host.name.\u001b]0;owned\u0007\u001b[2J": 1 })));
  const run = runCli(["scan", "--rules", join(dir, "rule.toml"), "--format", "ndjson", hostile]);
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stderr, /leaves out host\.name\.␛\]0;owned.␛\[2J,/);
  assert.doesNotMatch(run.stderr, /[\u0000-\u0009\u000b-\u001f]/);
});

test("--space and --kibana-url: alerts of that space, each linked to its page in Kibana; bad values exit 2", () => {
  const args = ["scan", "--rules", rules, "--format", "ndjson", "--now", "2026-01-01T00:05:00Z", input];
  const plain = alertsOf(runCli(args).stdout);
  const run = runCli([...args, "--space", "soc", "--kibana-url", "https://kibana.example.com:5601/"]);
  assert.equal(run.code, 0, run.stderr);
  const alerts = alertsOf(run.stdout);
  assert.equal(alerts.length, plain.length);
  assert.ok(
    alerts.some((a) => a["kibana.alert.building_block_type"] === "default"),
    "sequence alerts too",
  );
  for (const a of alerts) {
    assert.deepEqual(a["kibana.space_ids"], ["soc"]);
    assert.equal(
      a["kibana.alert.url"],
      `https://kibana.example.com:5601/s/soc/app/security/alerts/redirect/${a["kibana.alert.uuid"]}?index=.alerts-security.alerts-soc&timestamp=2026-01-01T00:05:00.000Z`,
    );
  }
  for (const a of plain) assert.equal(Object.hasOwn(a, "kibana.alert.url"), false);
  const space = runCli([...args, "--space", "SOC"]);
  assert.equal(space.code, 2);
  assert.match(
    space.stderr,
    /--space <id>' argument 'SOC' is invalid\. space id "SOC" may hold only lowercase/,
  );
  const url = runCli([...args, "--kibana-url", "kibana:5601"]);
  assert.equal(url.code, 2);
  assert.match(
    url.stderr,
    /--kibana-url <url>' argument 'kibana:5601' is invalid\. the Kibana URL must be http or https/,
  );
});

test("sequences give building blocks and a shell joined by group id; batch and --follow agree", () => {
  const batch = runCli(["scan", "--rules", rules, "--format", "ndjson", input]);
  assert.equal(batch.code, 0, batch.stderr);
  const shells = alertsOf(batch.stdout).filter(
    (a) => a["kibana.alert.rule.name"] === "Shell Then Connection",
  );
  const shell = shells.find((a) => !a["kibana.alert.building_block_type"])!;
  const blocks = shells.filter((a) => a["kibana.alert.building_block_type"] === "default");
  assert.equal(blocks.length, 2);
  for (const b of blocks) assert.equal(b["kibana.alert.group.id"], shell["kibana.alert.uuid"]);
  const ordered = [...events, net].sort((a, b) => a["@timestamp"].localeCompare(b["@timestamp"]));
  const follow = runCli(
    ["scan", "--follow", "--rules", rules, "--format", "ndjson", "-"],
    ordered.map((e) => JSON.stringify(e)).join("\n"),
  );
  const ids = (out: string) =>
    alertsOf(out)
      .filter((a) => a["kibana.alert.rule.name"] === "Shell Then Connection")
      .map((a) => a["kibana.alert.uuid"])
      .sort();
  assert.deepEqual(ids(follow.stdout), ids(batch.stdout));
});

test("exceptions drop the events they except, and --fail-on-alert exits 1", () => {
  const exceptions = join(dir, "exceptions.toml");
  writeFileSync(
    exceptions,
    '[[exception]]\nname = "c0 is a test container"\nall_rules = true\nentries = [ { field = "container.id", type = "match", value = "c0" } ]\n',
  );
  const r = runCli([
    "scan",
    "--rules",
    join(dir, "rule.toml"),
    "--exceptions",
    exceptions,
    "--format",
    "ndjson",
    "--fail-on-alert",
    input,
  ]);
  assert.equal(r.code, 1);
  assert.deepEqual(
    alertsOf(r.stdout).map((a) => (a.container as { id: string }).id),
    ["c1", "c1"],
  );
  // An exception is counted for the events it takes from a rule that could match them: the
  // c0 event with interactive: false matches no rule anyway (the prefilter does not even parse
  // it), nor does the network event (its category, an array, is read from the text too).
  assert.match(r.stderr, /1 events excepted/);
  assert.match(r.stderr, /2 more lines left unparsed/);
  const all = runCli([
    "scan",
    "--no-prefilter",
    "--rules",
    join(dir, "rule.toml"),
    "--exceptions",
    exceptions,
    input,
  ]);
  assert.match(all.stderr, /1 events excepted/);
  assert.doesNotMatch(all.stderr, /left unparsed/);
});

test("a field given both as a dotted key and as nested objects alerts on either value: prefiltered, parsed, on worker threads", () => {
  const rule = join(dir, "twins.toml");
  writeFileSync(rule, RULE.replace("max_signals = 2", "max_signals = 100"));
  const twins = join(dir, "twins.ndjson");
  const hidden = { pid: 0, name: "sh", interactive: false };
  writeFileSync(
    twins,
    [
      ev(0, { process: hidden }),
      ev(1, { "process.interactive": true, process: { ...hidden, pid: 1 } }),
      ev(2, { process: { ...hidden, pid: 2 } }),
      ev(3, { event: { category: ["file"] }, "event.category": "process" }),
      ev(4, { process: { ...hidden, pid: 4 }, "process.interactive": [false, true] }),
    ]
      .map((e) => JSON.stringify(e))
      .join("\n"),
  );
  for (const options of [["--workers", "0"], ["--no-prefilter"], ["--workers", "2"]]) {
    const r = runCli(["scan", "--rules", rule, "--format", "ndjson", ...options, twins]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(
      alertsOf(r.stdout)
        .map((a) => (a.process as { pid: number }).pid)
        .sort(),
      [1, 3, 4],
      options.join(" "),
    );
    if (options[0] === "--workers") assert.match(r.stderr, /more lines left unparsed/, options.join(" "));
  }
});

test("a rule's exception list given with --exceptions is not counted as a warning that it is missing", () => {
  const listed = join(dir, "listed.toml");
  writeFileSync(
    listed,
    RULE.replace(
      'type = "eql"',
      'type = "eql"\nexceptions_list = [{ id = "ops", list_id = "ops", namespace_type = "single", type = "detection" }]',
    ),
  );
  const exceptions = join(dir, "ops-exceptions.toml");
  writeFileSync(
    exceptions,
    '[[exception]]\nname = "c0 is a test container"\nlist_id = "ops"\nentries = [ { field = "container.id", type = "match", value = "c0" } ]\n',
  );
  const without = runCli(["scan", "--rules", listed, "--format", "ndjson", input]);
  assert.match(without.stderr, /uses exception list "ops", which was not loaded/);
  const given = runCli(["scan", "--rules", listed, "--exceptions", exceptions, "--format", "ndjson", input]);
  assert.equal(given.code, 0, given.stderr);
  assert.match(given.stderr, /1 events excepted/);
  assert.doesNotMatch(given.stderr, /not loaded|rule warnings/);
});

test("timestamp_override with its fallback disabled: an event without the override field reaches no rule, on one thread or with workers", () => {
  const strict = join(dir, "override-only.toml");
  writeFileSync(
    strict,
    RULE.replace("max_signals = 2", "max_signals = 100").replace(
      'type = "eql"',
      'type = "eql"\ntimestamp_override = "event.ingested"\ntimestamp_override_fallback_disabled = true',
    ),
  );
  const stamped = join(dir, "ingested.ndjson");
  writeFileSync(
    stamped,
    [
      ev(1, { event: { category: ["process"], ingested: "2026-01-01T00:00:09Z" } }),
      ev(2),
      ev(3, { event: { category: ["process"], ingested: null } }),
    ]
      .map((e) => JSON.stringify(e))
      .join("\n"),
  );
  for (const workers of ["0", "2"]) {
    const r = runCli(["scan", "--rules", strict, "--format", "ndjson", "--workers", workers, stamped]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(
      alertsOf(r.stdout).map((a) => (a.process as { pid: number }).pid),
      [1],
      `--workers ${workers}`,
    );
  }
  // with the fallback, @timestamp stands in for the missing field
  const withFallback = join(dir, "override-fallback.toml");
  writeFileSync(
    withFallback,
    readFileSync(strict, "utf8").replace("fallback_disabled = true", "fallback_disabled = false"),
  );
  const fallback = runCli(["scan", "--rules", withFallback, "--format", "ndjson", stamped]);
  assert.equal(alertsOf(fallback.stdout).length, 3, fallback.stderr);
});

test("csv and summary formats", () => {
  const csv = runCli(["scan", "--rules", join(dir, "rule.toml"), "--format", "csv", input]);
  const lines = csv.stdout.trim().split("\n");
  assert.match(lines[0], /^time,severity,risk_score,rule/);
  assert.equal(lines.length, 3);
  const summary = runCli(["scan", "--rules", join(dir, "rule.toml"), "--format", "summary", input]);
  assert.match(summary.stdout, /^ +2 {2}high {6}Interactive Shell In Container$/m);
});

test("--output: alerts go to the file; a path that cannot be written is said before the scan, a failed write after it", () => {
  const file = join(dir, "alerts.ndjson");
  const ok = runCli(["scan", "--rules", join(dir, "rule.toml"), "--output", file, input]);
  assert.equal(ok.code, 0, ok.stderr);
  assert.equal(readFileSync(file, "utf8").trim().split("\n").length, 2);

  const missing = runCli([
    "scan",
    "--rules",
    join(dir, "rule.toml"),
    "--output",
    join(dir, "no", "a.ndjson"),
    input,
  ]);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /^eqlite: cannot write alerts to .*a\.ndjson: ENOENT/);
  assert.doesNotMatch(missing.stderr, /events read/, "said before the scan");

  // a device that refuses every write (Linux): the alerts are not silently lost
  if (existsSync("/dev/full")) {
    const full = runCli(["scan", "--rules", join(dir, "rule.toml"), "--output", "/dev/full", input]);
    assert.equal(full.code, 2);
    assert.match(full.stderr, /writing alerts to \/dev\/full failed: ENOSPC.*the alerts after it are lost/);
  }
});

test("--output on a disk that fills mid-write: the file ends with the last whole alert, exit 2", {
  skip: existsSync("/bin/bash") ? false : "no bash for ulimit",
}, () => {
  const file = join(dir, "filled.ndjson");
  const whole = runCli(["scan", "--rules", join(dir, "rule.toml"), "--output", file, input]);
  const [first, second] = readFileSync(file, "utf8").split("\n");
  // a file size limit (ulimit -f, in KiB) past the first alert and short of the second: the
  // kernel writes what fits and refuses the rest (EFBIG), as a full disk does (SIGXFSZ ignored)
  const limitKiB = Math.ceil((Buffer.byteLength(first) + 1) / 1024);
  assert.ok(limitKiB * 1024 < Buffer.byteLength(first) + Buffer.byteLength(second) + 2, whole.stderr);
  const scan = spawnSync(
    "/bin/bash",
    [
      "-c",
      `ulimit -f ${limitKiB}; trap "" XFSZ; exec "$@"`,
      "limited",
      ...[process.execPath, "--import", "tsx", cliEntry, "scan", "--rules", join(dir, "rule.toml")],
      ...["--output", file, input],
    ],
    { encoding: "utf8", env: { ...process.env, NO_COLOR: "1" } },
  );
  assert.equal(scan.status, 2, scan.stderr);
  assert.match(scan.stderr, /writing alerts to .*filled\.ndjson failed: EFBIG/);
  const kept = readFileSync(file, "utf8");
  assert.ok(kept.endsWith("\n"), "no half alert at the end");
  const uuid = (line: string) => JSON.parse(line)["kibana.alert.uuid"];
  assert.deepEqual(kept.trimEnd().split("\n").map(uuid), [uuid(first)]);
});

test("stdout redirected to a device that refuses writes: said, exit 2, no stack trace", {
  skip: existsSync("/dev/full") ? false : "no /dev/full on this system",
}, () => {
  const fd = openSync("/dev/full", "w");
  try {
    const r = spawnSync(
      process.execPath,
      ["--import", "tsx", cliEntry, "scan", "--rules", join(dir, "rule.toml"), "--format", "ndjson", input],
      { stdio: ["ignore", fd, "pipe"], encoding: "utf8" },
    );
    assert.equal(r.status, 2);
    assert.match(r.stderr, /eqlite: cannot write to stdout: ENOSPC/);
    assert.doesNotMatch(r.stderr, /\n\s+at /);
  } finally {
    closeSync(fd);
  }
});

test("the seed rules alert on exactly the expected events of the kubectl exec session", {
  skip: !existsSync(shared) && "../shared not found: seed scan skipped",
}, () => {
  const expected = JSON.parse(
    readFileSync(join(shared, "cloud_defend/examples/expected-matches.json"), "utf8"),
  );
  const lines = readFileSync(join(shared, "cloud_defend/examples/kubectl-exec-session.ndjson"), "utf8")
    .trim()
    .split("\n");
  const session = join(shared, "cloud_defend/examples/kubectl-exec-session.ndjson");
  const labels = Object.keys(
    JSON.parse(readFileSync(join(shared, "cloud_defend/examples/kubectl-exec-session.pretty.json"), "utf8")),
  );
  for (const [file, key] of [
    ["interactive_exec_container.toml", "rule_v1_2023"],
    ["interactive_exec_container.2026-07.toml", "rule_2026_07"],
  ]) {
    const r = runCli([
      "scan",
      "--quiet",
      "--format",
      "ndjson",
      "--rules",
      join(shared, "seed", file),
      session,
    ]);
    assert.equal(r.code, 0, r.stderr);
    const matched = alertsOf(r.stdout).map((a) => a["kibana.alert.original_time"]);
    const want = (expected[key].matches as string[]).map((label) => {
      const i = labels.indexOf(label);
      assert.ok(i >= 0, `label ${label} in the pretty file`);
      return (JSON.parse(lines[i]) as { "@timestamp": string })["@timestamp"];
    });
    assert.deepEqual(matched.sort(), want.sort(), file);
  }
});

test("--from/--to replays scheduled runs: windows on timestamp_override, overlaps give no duplicates", () => {
  const windowed = join(dir, "windowed.toml");
  writeFileSync(
    windowed,
    RULE.replace('from = "now-6m"', 'from = "now-9m"')
      .replace("max_signals = 2", "max_signals = 1")
      .replace('type = "eql"', 'timestamp_override = "event.ingested"\ntype = "eql"'),
  );
  const at = (minute: number, ingestedMinute?: number) => ({
    ...ev(minute),
    "@timestamp": new Date(Date.UTC(2026, 0, 1, 0, minute)).toISOString(),
    event: {
      category: ["process"],
      ...(ingestedMinute === undefined
        ? {}
        : { ingested: new Date(Date.UTC(2026, 0, 1, 0, ingestedMinute)).toISOString() }),
    },
    process: { pid: minute, interactive: true },
  });
  // minute 2 is ingested at minute 31: outside every window of the replay, as Kibana would never see it in time
  const file = join(dir, "timeline.ndjson");
  writeFileSync(
    file,
    [at(1, 1), at(2, 31), at(7, 7), at(8), at(14, 14)].map((e) => JSON.stringify(e)).join("\n"),
  );
  const r = runCli([
    "scan",
    "--rules",
    windowed,
    "--format",
    "ndjson",
    "--from",
    "2026-01-01T00:00:00Z",
    "--to",
    "2026-01-01T00:15:00Z",
    file,
  ]);
  assert.equal(r.code, 0, r.stderr);
  const pids = alertsOf(r.stdout).map((a) => (a.process as { pid: number }).pid);
  // runs at 00:05 [23:56, 00:05], 00:10 [00:01, 00:10], 00:15 [00:06, 00:15]; one alert (the latest) per run
  assert.deepEqual(pids, [1, 8, 14]);
  assert.match(r.stderr, /over max_signals/);
  // each alert stands for its run, as the alerts of Kibana's manual (backfill) runs do
  assert.deepEqual(
    alertsOf(r.stdout).map((a) => [
      a["kibana.alert.intended_timestamp"],
      a["kibana.alert.rule.execution.type"],
    ]),
    [
      ["2026-01-01T00:05:00.000Z", "manual"],
      ["2026-01-01T00:10:00.000Z", "manual"],
      ["2026-01-01T00:15:00.000Z", "manual"],
    ],
  );
  const again = runCli([
    "scan",
    "--rules",
    windowed,
    "--format",
    "ndjson",
    "--now",
    "2026-01-01T00:15:00Z",
    file,
  ]);
  assert.deepEqual(
    alertsOf(again.stdout).map((a) => (a.process as { pid: number }).pid),
    [14],
  );
  const [scheduled] = alertsOf(again.stdout);
  assert.equal(scheduled["kibana.alert.intended_timestamp"], "2026-01-01T00:15:00.000Z");
  assert.equal(scheduled["kibana.alert.rule.execution.type"], "scheduled");
  assert.equal(runCli(["scan", "--rules", windowed, "--to", "now", file]).code, 2);
});

test("alert_suppression folds a group's matches into its first alert, with docs_count", () => {
  const suppressed = join(dir, "suppressed.toml");
  writeFileSync(
    suppressed,
    `${RULE.replace("max_signals = 2", "max_signals = 100")}
[rule.alert_suppression]
group_by = ["container.id"]
missing_fields_strategy = "suppress"
`,
  );
  const r = runCli(["scan", "--rules", suppressed, "--format", "ndjson", input]);
  assert.equal(r.code, 0, r.stderr);
  const alerts = alertsOf(r.stdout);
  assert.deepEqual(
    alerts.map((a) => [(a.container as { id: string }).id, a["kibana.alert.suppression.docs_count"]]),
    [
      ["c1", 1],
      ["c0", 0],
    ],
  );
  assert.match(alerts[0]["kibana.alert.instance.id"] as string, /^[0-9a-f]{64}$/);
  assert.match(r.stderr, /1 matches suppressed into earlier alerts/);
});

/** A child the test did not see end: SIGKILL. */
function killLeftOver(child: ChildProcess): void {
  if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
}

/**
 * `eqlite scan --follow ARGS` from source in a child, its output gathered as it comes; killed
 * when the test ends, so that a failing test does not leave it following for ever and keep the
 * test file's process, and the whole run, from ending.
 */
async function followScan(t: TestContext, args: string[]) {
  const { spawn } = await import("node:child_process");
  const child = spawn(process.execPath, ["--import", "tsx", cliEntry, "scan", "--follow", ...args]);
  t.after(() => killLeftOver(child));
  const out = { stdout: "", stderr: "" };
  child.stdout.on("data", (d) => {
    out.stdout += d;
  });
  child.stderr.on("data", (d) => {
    out.stderr += d;
  });
  const closed = new Promise<[number | null, string | null]>((r) => child.on("close", (c, s) => r([c, s])));
  return { child, out, closed };
}

test("--follow on a growing file alerts on appended events; Ctrl-C flushes and summarises", async (t) => {
  const { appendFileSync } = await import("node:fs");
  const growing = join(dir, "growing.ndjson");
  writeFileSync(growing, `${JSON.stringify(ev(1))}\n`);
  const { child, out, closed } = await followScan(t, [
    "--rules",
    join(dir, "rule.toml"),
    "--format",
    "ndjson",
    growing,
  ]);
  const alerted = (n: number) => () => out.stdout.split("\n").filter(Boolean).length >= n;
  await until(alerted(1), () => `the first alert: ${out.stderr}`);
  appendFileSync(growing, `${JSON.stringify(ev(3))}\n`);
  await until(alerted(2), () => `the appended event's alert: ${out.stderr}`);
  child.kill("SIGINT");
  const [code] = await closed;
  assert.equal(code, 0, out.stderr);
  assert.deepEqual(
    alertsOf(out.stdout).map((a) => (a.process as { pid: number }).pid),
    [1, 3],
  );
  assert.match(out.stderr, /2 events read/);
});

test("--follow on a file not created yet says it waits for it, then alerts on its events", async (t) => {
  const later = join(dir, "created-later.ndjson");
  const { child, out, closed } = await followScan(t, ["--rules", rules, "--format", "ndjson", later]);
  await until(
    () => out.stderr.includes("waiting"),
    () => `word that it waits: ${out.stderr}`,
  );
  assert.match(out.stderr, /^eqlite: waiting for .*created-later\.ndjson to be created \(Ctrl-C stops\)$/m);
  writeFileSync(later, `${JSON.stringify(ev(1))}\n`);
  await until(
    () => out.stdout.includes("\n"),
    () => `the created file's alert: ${out.stderr}`,
  );
  child.kill("SIGINT");
  assert.deepEqual(await closed, [0, null], out.stderr);
  assert.equal(alertsOf(out.stdout).length, 1);
  assert.match(out.stderr, /1 events read, 0 malformed lines skipped, 1 alerts/);
});

test("--follow: a file truncated and written again has its lines numbered from 1 in problems", async (t) => {
  const truncated = join(dir, "truncated.ndjson");
  writeFileSync(truncated, `${JSON.stringify(ev(1))}\n`);
  const { child, out, closed } = await followScan(t, ["--rules", rules, "--format", "ndjson", truncated]);
  const lines = () => out.stdout.split("\n").filter(Boolean).length;
  await until(
    () => lines() >= 1,
    () => `the first alert: ${out.stderr}`,
  );
  writeFileSync(truncated, `{bad\n${JSON.stringify(ev(2))}\n`);
  await until(
    () => lines() >= 2,
    () => `the rewritten file's alert: ${out.stderr}`,
  );
  child.kill("SIGINT");
  assert.deepEqual(await closed, [0, null], out.stderr);
  assert.match(out.stderr, /truncated\.ndjson:1:2: invalid JSON/);
  assert.match(out.stderr, /2 events read, 1 malformed lines skipped, 2 alerts/);
});

test("--follow stopped by SIGTERM, as a service manager stops it, flushes and summarises like Ctrl-C", async (t) => {
  const growing = join(dir, "terminated.ndjson");
  writeFileSync(growing, `${JSON.stringify(ev(1))}\n`);
  const { child, out, closed } = await followScan(t, ["--rules", rules, "--format", "ndjson", growing]);
  await until(
    () => out.stdout.includes("\n"),
    () => `the first alert: ${out.stderr}`,
  );
  child.kill("SIGTERM");
  assert.deepEqual(await closed, [0, null], out.stderr);
  assert.equal(alertsOf(out.stdout).length, 1);
  assert.match(out.stderr, /1 events read, 0 malformed lines skipped, 1 alerts/);
});

test("file names from a walked directory are shown as text: no terminal control reaches stderr", () => {
  const bundle = join(dir, "hostile-bundle");
  mkdirSync(bundle);
  const name = "x\u001b]0;owned\u0007\n.ndjson";
  writeFileSync(join(bundle, name), `${JSON.stringify(ev(1))}\n{bad\n`);
  const r = runCli(["scan", "--rules", rules, "--format", "ndjson", bundle]);
  assert.equal(r.code, 0, r.stderr);
  assert.doesNotMatch(r.stderr, /[\u0000-\u0009\u000b-\u001f]/);
  assert.match(r.stderr, /x\u241b\]0;owned\u2407\u240a\.ndjson:2:2: invalid JSON/);
  const missing = runCli(["scan", "--rules", rules, join(dir, "gone\u001b[2J.ndjson")]);
  assert.equal(missing.code, 2);
  assert.doesNotMatch(missing.stderr, /\u001b/);
  assert.match(missing.stderr, /cannot read input: .*gone\u241b\[2J\.ndjson/);
});

test("--follow: events later than --allowed-lateness are left out of sequences, and the summary says how many", () => {
  const sequence = join(rules, "sequence.toml");
  const connection = (i: number, container: string) => ({
    ...ev(i),
    event: { category: ["network"] },
    container: { id: container },
  });
  // the connection at 00:13 moves the watermark past 00:10, which runs; the shell at 00:01
  // then comes 9 s behind the newest event, later than the 2 s allowed, and joins nothing
  const lines = [ev(10), connection(13, "c0"), ev(1), connection(14, "c1")];
  const r = runCli(
    ["scan", "--follow", "--rules", sequence, "--format", "ndjson", "-"],
    lines.map((e) => JSON.stringify(e)).join("\n"),
  );
  assert.equal(r.code, 0, r.stderr);
  // the building blocks of the one sequence, then its shell (the pids differ: none)
  assert.deepEqual(
    alertsOf(r.stdout).map((a) => (a.process as { pid?: number }).pid),
    [10, 13, undefined],
  );
  assert.match(
    r.stderr,
    /Shell Then Connection \(1 events left out, older than what it had run past \(--allowed-lateness\)\)/,
  );
});

test("--follow: an event dated far ahead of the clock is left out of sequences, which go on ordering the others", () => {
  const sequence = join(rules, "sequence.toml");
  const connection = (i: number, container: string) => ({
    ...ev(i),
    event: { category: ["network"] },
    container: { id: container },
  });
  // a shell from a host whose clock says 2099 would move the watermark there: the connection
  // at 00:13 would be released at once and the shell at 00:10, 3 s behind it, be late
  const future = { ...ev(11), "@timestamp": "2099-01-01T00:00:00.000Z" };
  const lines = [future, connection(13, "c0"), ev(10), connection(14, "c1")];
  const r = runCli(
    ["scan", "--follow", "--allowed-lateness", "5000", "--rules", sequence, "--format", "ndjson", "-"],
    lines.map((e) => JSON.stringify(e)).join("\n"),
  );
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(
    alertsOf(r.stdout).map((a) => (a.process as { pid?: number }).pid),
    [10, 13, undefined],
  );
  assert.match(
    r.stderr,
    /Shell Then Connection \(1 events left out, dated more than a minute ahead of the clock\)/,
  );
  assert.match(
    r.stderr,
    /:1: warning: rule "Shell Then Connection" \([-0-9a-f]+\): an event dated 2099-01-01T00:00:00\.000Z, more than a minute ahead of the clock, is left out of its sequences and samples/,
  );
});

test("--follow says once, on stderr, that a maxspan longer than the rule's window is cut to it; a batch only counts the warning", () => {
  const long = join(dir, "long-maxspan.toml");
  writeFileSync(long, SEQUENCE_RULE.replace("maxspan=1m", "maxspan=10m"));
  const lines = [ev(10), ev(11)].map((e) => JSON.stringify(e)).join("\n");
  const follow = runCli(["scan", "--follow", "--rules", long, "--format", "ndjson", "-"], lines);
  assert.equal(follow.code, 0, follow.stderr);
  const said = follow.stderr.split("\n").filter((l) => l.includes("maxspan 10m is longer"));
  assert.equal(said.length, 1, follow.stderr);
  assert.match(
    said[0],
    /long-maxspan\.toml:\d+:\d+: warning: maxspan 10m is longer than the rule's window \(from now-6m to now: 6m\)/,
  );
  assert.doesNotMatch(follow.stderr, /rule warnings/);
  const batch = runCli(["scan", "--rules", long, "--format", "ndjson", "-"], lines);
  assert.doesNotMatch(batch.stderr, /maxspan 10m/);
  assert.match(batch.stderr, /1 rule warnings/);
});

test("the summary names what a rule left out: late and future-dated events, and what it dropped at its cap", () => {
  const rule = { rule_id: "r1", name: "Shell Then Connection", severity: "high" };
  const stats = [{ ...freshRuleStats(rule), alerts: 0 }];
  const summary = scanSummary(
    { events: 10, skipped: 0, problems: 0, workers: 0 },
    0,
    stats,
    { notExecutable: {}, disabled: 0 },
    0,
    [{ rule_id: "r1", late: 2, future: 4, evicted: 3 }],
  );
  assert.match(
    summary,
    /Shell Then Connection \(2 events left out, older than what it had run past \(--allowed-lateness\); 4 events left out, dated more than a minute ahead of the clock; 3 partial sequences or sample keys dropped at the cap of 100,000 held\)/,
  );
});

test("--follow hung up (its terminal closed) flushes the sequences waiting to its --output file and exits 0", async (t) => {
  const { spawn } = await import("node:child_process");
  const growing = join(dir, "hung-up.ndjson");
  const output = join(dir, "hung-up-alerts.ndjson");
  const net = { ...ev(5), event: { category: ["network"] }, container: { id: "c1" } };
  writeFileSync(growing, `${JSON.stringify(ev(1))}\n${JSON.stringify(net)}\n`);
  const child = spawn(process.execPath, [
    ...["--import", "tsx", cliEntry, "scan", "--follow", "--rules", rules],
    ...["--output", output, growing],
  ]);
  t.after(() => killLeftOver(child));
  const names = () =>
    existsSync(output) ? alertsOf(readFileSync(output, "utf8")).map((a) => a["kibana.alert.rule.name"]) : [];
  // the shell alert is written at once; the sequence's waits for the lateness buffer
  await until(
    () => names().length > 0,
    () => "the shell alert in the --output file",
  );
  assert.deepEqual(names(), ["Interactive Shell In Container"]);
  // the terminal is gone: the summary written to it on the way out fails
  child.stdout.destroy();
  child.stderr.destroy();
  const exited = new Promise<[number | null, string | null]>((r) => child.on("close", (c, s) => r([c, s])));
  child.kill("SIGHUP");
  assert.deepEqual(await exited, [0, null]);
  // the sequence alert and its two building blocks
  assert.equal(names().filter((name) => name === "Shell Then Connection").length, 3);
});

test("sarif: one result per alert, located at the input line of its events", () => {
  const r = runCli(["scan", "--rules", rules, "--format", "sarif", input]);
  assert.equal(r.code, 0, r.stderr);
  const sarif = JSON.parse(r.stdout);
  assert.equal(sarif.version, "2.1.0");
  const results = sarif.runs[0].results as Array<{
    ruleId: string;
    level: string;
    locations: Array<{ physicalLocation: { region: { startLine: number } } }>;
  }>;
  assert.ok(results.every((x) => x.level === "error"));
  const sequence = results.find((x) => x.ruleId === "11111111-2222-4333-8444-666666666666")!;
  assert.deepEqual(
    sequence.locations.map((l) => l.physicalLocation.region.startLine),
    [1, 5],
  );
  assert.deepEqual(sarif.runs[0].tool.driver.rules.map((x: { id: string }) => x.id).sort(), [
    "11111111-2222-4333-8444-555555555555",
    "11111111-2222-4333-8444-666666666666",
  ]);
});

test("a directory of event files is scanned as its files; one without any is exit 2", () => {
  const bundle = join(dir, "bundle");
  mkdirSync(join(bundle, "node-b"), { recursive: true });
  const lines = [...events, net].map((e) => JSON.stringify(e));
  writeFileSync(join(bundle, "node-a.ndjson"), `${lines.slice(0, 2).join("\n")}\n`);
  writeFileSync(join(bundle, "node-b", "events.ndjson.gz"), gzipSync(`${lines.slice(2).join("\n")}\n`));
  writeFileSync(join(bundle, "README.txt"), "collected by the responder\n");
  const uuids = (stdout: string) =>
    alertsOf(stdout)
      .map((a) => a["kibana.alert.uuid"])
      .sort();
  const whole = runCli(["scan", "--rules", rules, "--format", "ndjson", bundle]);
  assert.equal(whole.code, 0, whole.stderr);
  const named = runCli(["scan", "--rules", rules, "--format", "ndjson", input]);
  assert.ok(uuids(named.stdout).length > 0);
  assert.deepEqual(uuids(whole.stdout), uuids(named.stdout));
  const empty = runCli(["scan", "--rules", rules, join(bundle, "node-b", "..", "..", "rules")]);
  assert.equal(empty.code, 2);
  assert.match(empty.stderr, /rules holds no event files/);
});

test("events piped on stdin through worker threads alert as the file read alone does", () => {
  const uuids = (stdout: string) => alertsOf(stdout).map((a) => a["kibana.alert.uuid"]);
  const named = runCli(["scan", "--rules", rules, "--format", "ndjson", "--workers", "0", input]);
  const piped = runCli(
    ["scan", "--rules", rules, "--format", "ndjson", "--workers", "2"],
    readFileSync(input),
  );
  assert.equal(piped.code, 0, piped.stderr);
  assert.ok(uuids(named.stdout).length > 0);
  assert.deepEqual(uuids(piped.stdout), uuids(named.stdout));
  assert.match(piped.stderr, /<stdin>:6:\d+: invalid JSON/);
  assert.match(piped.stderr, /lines decoded and matched on 2 worker threads/);
  assert.doesNotMatch(named.stderr, /worker threads/);
});

test("a rule whose file says enabled = false does not run unless --include-disabled", () => {
  const off = join(dir, "disabled-rules");
  mkdirSync(off);
  writeFileSync(
    join(off, "shell.toml"),
    RULE.replace('author = ["test"]', 'author = ["test"]\nenabled = false'),
  );
  writeFileSync(join(off, "sequence.toml"), SEQUENCE_RULE);
  const ruleIds = (stdout: string) => new Set(alertsOf(stdout).map((a) => a["kibana.alert.rule.rule_id"]));
  const byDefault = runCli(["scan", "--rules", off, "--format", "ndjson", input]);
  assert.equal(byDefault.code, 0, byDefault.stderr);
  assert.deepEqual([...ruleIds(byDefault.stdout)], ["11111111-2222-4333-8444-666666666666"]);
  assert.match(byDefault.stderr, /1 rules disabled in their files \(enabled = false\) not run/);
  const asked = runCli(["scan", "--rules", off, "--format", "ndjson", "--include-disabled", input]);
  assert.ok(ruleIds(asked.stdout).has("11111111-2222-4333-8444-555555555555"));
  assert.doesNotMatch(asked.stderr, /disabled/);
});

test("rule settings reach the alert: building_block_type and severity/risk mappings", () => {
  const mapped = join(dir, "mapped.toml");
  writeFileSync(
    mapped,
    `${RULE.replace("max_signals = 2", "max_signals = 100").replace('type = "eql"', 'building_block_type = "default"\ntype = "eql"')}
[[rule.severity_mapping]]
field = "container.id"
operator = "equals"
value = "c0"
severity = "critical"

[[rule.risk_score_mapping]]
field = "process.pid"
operator = "equals"
value = ""
`,
  );
  const r = runCli(["scan", "--rules", mapped, "--format", "ndjson", input]);
  assert.equal(r.code, 0, r.stderr);
  const alerts = alertsOf(r.stdout);
  assert.ok(alerts.length > 0);
  for (const a of alerts) {
    assert.equal(a["kibana.alert.building_block_type"], "default");
    const container = (a.container as { id: string }).id;
    assert.equal(a["kibana.alert.severity"], container === "c0" ? "critical" : "high");
    assert.equal(a["kibana.alert.risk_score"], (a.process as { pid: number }).pid);
  }
});

test("a rule that fails at run time is reported with where, disabled, and the others go on", () => {
  const both = join(dir, "failing");
  mkdirSync(both);
  writeFileSync(join(both, "good.toml"), RULE);
  writeFileSync(
    join(both, "overflow.toml"),
    RULE.replace("11111111-2222-4333-8444-555555555555", "11111111-2222-4333-8444-777777777777")
      .replace('name = "Interactive Shell In Container"', 'name = "Overflowing Rule"')
      .replace(
        /query = '''[\s\S]*'''/,
        "query = '''\nprocess where process.pid * 4611686018427387904 > 0\n'''",
      ),
  );
  const r = runCli(["scan", "--rules", both, "--format", "ndjson", input]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(
    r.stderr,
    /events\.ndjson:\d+: rule "Overflowing Rule" \(11111111-2222-4333-8444-777777777777\) failed and is disabled: long overflow/,
  );
  assert.equal(alertsOf(r.stdout).length, 2, "the good rule still alerts");
});

test("an event too deep for its alert is reported where it is and counted; the rule goes on", () => {
  let deep: unknown = "bottom";
  for (let i = 0; i < 1005; i++) deep = { nested: deep };
  const deepInput = join(dir, "deep.ndjson");
  writeFileSync(deepInput, [ev(1), ev(2, { labels: deep }), ev(3)].map((e) => JSON.stringify(e)).join("\n"));
  const rule = join(dir, "roomy.toml");
  writeFileSync(rule, RULE.replace("max_signals = 2", "max_signals = 10"));
  for (const workers of ["0", "2"]) {
    const r = runCli(["scan", "--rules", rule, "--workers", workers, deepInput]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(
      r.stderr,
      /deep\.ndjson:2: rule "Interactive Shell In Container" \(11111111-2222-4333-8444-555555555555\) matched, but the alert could not be built \(counted, not alerted; the rule goes on\): value nests deeper than 1000 levels/,
    );
    assert.match(r.stderr, /Interactive Shell In Container \(1 matches whose alert could not be built\)/);
    assert.doesNotMatch(r.stderr, /disabled/);
    assert.deepEqual(
      alertsOf(r.stdout).map((a) => (a.process as { pid: number }).pid),
      [1, 3],
    );
  }
});

test("a sample rule alerts each sample like a sequence: building blocks and a shell alert", () => {
  const sampleRule = RULE.replace(
    "11111111-2222-4333-8444-555555555555",
    "11111111-2222-4333-8444-777777777777",
  )
    .replace('name = "Interactive Shell In Container"', 'name = "Shell And Connection In Container"')
    .replace(
      /query = '''[\s\S]*'''/,
      "query = '''\nsample by container.id [process where process.interactive == true] [network where true]\n'''",
    );
  const path = join(dir, "sample.toml");
  writeFileSync(path, sampleRule);
  const r = runCli(["scan", "--rules", path, "--format", "ndjson", input]);
  assert.equal(r.code, 0, r.stderr);
  const alerts = alertsOf(r.stdout);
  // one sample: container c1 has both an interactive process and a network event
  const shells = alerts.filter((a) => a["kibana.alert.building_block_type"] === undefined);
  assert.equal(shells.length, 1, r.stdout);
  assert.equal(alerts.length, 3);
  assert.deepEqual(new Set(alerts.map((a) => a["kibana.alert.group.id"])).size, 1);
});

test("past --spill-after, sequence events go to disk and come back: the same alerts, nothing left behind", () => {
  // shells and connections in five containers, in no particular order: a batch sorts them all
  const mixed = Array.from({ length: 80 }, (_, i) => {
    const t = (i * 37) % 80;
    const base = ev(t, { container: { id: `c${i % 5}` } });
    return i % 3 === 0 ? { ...base, event: { category: ["network"] } } : base;
  });
  const ndjson = join(dir, "mixed.ndjson");
  writeFileSync(ndjson, `${mixed.map((e) => JSON.stringify(e)).join("\n")}\n`);
  const array = join(dir, "mixed.json");
  writeFileSync(array, JSON.stringify(mixed));
  const spillDir = mkdtempSync(join(tmpdir(), "eqlite-scan-spill-"));
  const sequenceAlerts = (out: string) =>
    alertsOf(out)
      .filter((a) => a["kibana.alert.rule.name"] === "Shell Then Connection")
      .map((a) => [a["kibana.alert.uuid"], a["kibana.alert.group.id"], a["kibana.alert.original_time"]]);
  const scan = (file: string, ...extra: string[]) =>
    runCli(["scan", "--rules", rules, "--format", "ndjson", "--now", "2026-01-01T00:05:00Z", ...extra, file]);
  const held = scan(ndjson, "--spill-after", "1000000");
  assert.equal(held.code, 0, held.stderr);
  const expected = sequenceAlerts(held.stdout);
  assert.equal(
    expected.length,
    6,
    "max_signals = 2: the two most recent sequences, a shell and two blocks each",
  );
  assert.doesNotMatch(held.stderr, /held on disk/);
  // the main thread holds text, worker threads places in the file, a JSON array parsed events
  for (const [file, workers] of [
    [ndjson, "0"],
    [ndjson, "2"],
    [array, "0"],
  ]) {
    const spilled = scan(file, "--spill-after", "3", "--spill-dir", spillDir, "--workers", workers);
    assert.equal(spilled.code, 0, spilled.stderr);
    assert.deepEqual(sequenceAlerts(spilled.stdout), expected, `${file}, ${workers} workers`);
    assert.match(spilled.stderr, /\d+ sequence events held on disk \(\d+ sorted runs/);
    assert.deepEqual(readdirSync(spillDir), [], "the runs are removed at the end");
  }
  const notADirectory = join(dir, "rule.toml");
  const failed = scan(ndjson, "--spill-after", "3", "--spill-dir", notADirectory);
  assert.equal(failed.code, 2);
  assert.match(failed.stderr, new RegExp(`eqlite: cannot use ${notADirectory}.*--spill-dir`));
});

test("a batch scan stopped by a signal removes the runs it spilled, and dies of the signal", async (t) => {
  const { spawn } = await import("node:child_process");
  const spillDir = mkdtempSync(join(tmpdir(), "eqlite-scan-signal-"));
  const entry = fileURLToPath(new URL("../../src/cli/entry.ts", import.meta.url));
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    const child = spawn(process.execPath, [
      ...["--import", "tsx", entry, "scan", "--rules", rules, "-q"],
      ...["--spill-after", "2", "--spill-dir", spillDir, "-"],
    ]);
    t.after(() => killLeftOver(child));
    let stderr = "";
    child.stderr.on("data", (d) => {
      stderr += d;
    });
    // stdin stays open: the scan holds what it read, past its budget, until told to stop
    child.stdin.write(`${Array.from({ length: 20 }, (_, i) => JSON.stringify(ev(i))).join("\n")}\n`);
    const runs = () => readdirSync(spillDir).flatMap((d) => readdirSync(join(spillDir, d)));
    await until(
      () => runs().length > 0,
      () => `a run written before the signal: ${stderr}`,
    );
    const exited = new Promise<[number | null, string | null]>((r) =>
      child.on("close", (code, sig) => r([code, sig])),
    );
    child.kill(signal);
    assert.deepEqual(await exited, [null, signal]);
    assert.deepEqual(readdirSync(spillDir), [], `${signal}: the spill directory is gone`);
  }
});

test("runs left by a scan killed outright are removed by the next scan that spills in the same place", async (t) => {
  const { spawn } = await import("node:child_process");
  const spillDir = mkdtempSync(join(tmpdir(), "eqlite-scan-killed-"));
  const entry = fileURLToPath(new URL("../../src/cli/entry.ts", import.meta.url));
  const events = `${Array.from({ length: 20 }, (_, i) => JSON.stringify(ev(i))).join("\n")}\n`;
  const child = spawn(process.execPath, [
    ...["--import", "tsx", entry, "scan", "--rules", rules, "-q"],
    ...["--spill-after", "2", "--spill-dir", spillDir, "-"],
  ]);
  t.after(() => killLeftOver(child));
  child.stdin.write(events);
  const runs = () => readdirSync(spillDir).flatMap((d) => readdirSync(join(spillDir, d)));
  await until(
    () => runs().length > 0,
    () => "a run written before the kill",
  );
  const exited = new Promise((r) => child.on("close", (_code, signal) => r(signal)));
  child.kill("SIGKILL");
  assert.equal(await exited, "SIGKILL");
  const [left] = readdirSync(spillDir);
  assert.match(left, new RegExp(`^eqlite-spill-.+-${child.pid}-`), "SIGKILL leaves the runs behind");

  const file = join(dir, "twenty.ndjson");
  writeFileSync(file, events);
  const next = runCli(["scan", "--rules", rules, "-q", "--spill-after", "2", "--spill-dir", spillDir, file]);
  assert.equal(next.code, 0, next.stderr);
  assert.deepEqual(readdirSync(spillDir), [], "the next spilling scan removed them, and its own");
});

test("a rules path that is not there is named inert: its control characters cannot drive the terminal", () => {
  const missing = join(tmpdir(), "no-such-rules\u001b]0;pwned\u0007\n/etc/forged.toml:1:1: error: fake");
  for (const command of ["scan", "coverage"]) {
    const args = command === "scan" ? ["scan", "--rules", missing, "-"] : ["coverage", missing];
    const run = runCli(args, "");
    assert.equal(run.code, 2, run.stderr);
    assert.match(run.stderr, /rules not found: .*no-such-rules␛\]0;pwned␇␊\/etc\/forged/);
  }
});
