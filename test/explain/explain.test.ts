import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import {
  type ClauseExplanation,
  type EventExplanation,
  explainerForQuery,
  formatExplanation,
} from "../../src/explain/explain.ts";
import { minimalEqlRule } from "../engine/fixtures.ts";

const root = fileURLToPath(new URL("../../", import.meta.url));
const entry = join(root, "src/cli/entry.ts");
const shared = join(root, "../shared");

const RULE_QUERY =
  'process where container.id : "*" and event.type == "start" and process.entry_leader.same_as_process == true and process.interactive == true';

const processEvent = (over: Record<string, unknown> = {}) => ({
  "@timestamp": "2026-01-01T00:00:00Z",
  event: { category: ["process"], type: ["start"] },
  container: { id: "c1" },
  process: { name: "bash", pid: 10, interactive: true, entry_leader: { same_as_process: true } },
  ...over,
});

function leaves(c: ClauseExplanation): ClauseExplanation[] {
  return c.children ? c.children.flatMap(leaves) : [c];
}

function runCli(args: string[], input?: string) {
  const r = spawnSync(process.execPath, ["--import", "tsx", entry, ...args], {
    input,
    encoding: "utf8",
    cwd: root,
    env: { ...process.env, NO_COLOR: "1" },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test("a matching event: every clause true, nothing failed", () => {
  const x = explainerForQuery(RULE_QUERY).explain(processEvent(), "e.ndjson", 1);
  assert.equal(x.matched, true);
  assert.deepEqual(x.failed, []);
  assert.equal(x.query?.category?.result, true);
  const all = leaves(x.query?.condition as ClauseExplanation);
  assert.equal(all.length, 4);
  assert.ok(all.every((c) => c.result && !c.failed));
  const text = formatExplanation(x);
  assert.match(text, /^e\.ndjson:1: MATCH\n/);
  assert.doesNotMatch(text, /✘/);
});

test("a non-matching event names the failed clause and the value found", () => {
  const event = processEvent();
  (event.process as Record<string, unknown>).interactive = false;
  const x = explainerForQuery(RULE_QUERY).explain(event, "e.ndjson", 2);
  assert.equal(x.matched, false);
  assert.deepEqual(x.failed, ["process.interactive == true"]);
  const leaf = leaves(x.query?.condition as ClauseExplanation).find((c) => c.failed);
  assert.deepEqual(leaf?.fields, [{ field: "process.interactive", value: false, missing: false }]);
  const text = formatExplanation(x);
  assert.match(text, /^e\.ndjson:2: NO MATCH — failed: process\.interactive == true\n/);
  assert.match(text, /✘ process\.interactive == true {3}\[process\.interactive = false\] {3}← failed/);
});

test("a missing field is shown as missing", () => {
  const event = processEvent({ container: undefined });
  const x = explainerForQuery(RULE_QUERY).explain(event, "e.ndjson", 3);
  assert.deepEqual(x.failed, ['container.id : "*"']);
  const leaf = leaves(x.query?.condition as ClauseExplanation).find((c) => c.failed);
  assert.deepEqual(leaf?.fields, [{ field: "container.id", missing: true }]);
  assert.match(formatExplanation(x), /\[container\.id missing\] {3}← failed/);
});

test("the category check fails on its own", () => {
  const x = explainerForQuery(RULE_QUERY).explain(
    processEvent({ event: { category: ["network"], type: ["start"] } }),
  );
  assert.equal(x.matched, false);
  assert.deepEqual(x.failed, ['event.category == "process"']);
});

test("or and not nesting: an `or` fails through all its children, a `not` through itself", () => {
  const q = explainerForQuery(
    'process where process.name : "bash" and (process.pid > 100 or not process.interactive == true)',
  );
  const x = q.explain(processEvent());
  assert.equal(x.matched, false);
  assert.deepEqual(x.failed, ["process.pid > 100", "not process.interactive == true"]);
  const or = x.query?.condition.children?.[1] as ClauseExplanation;
  assert.equal(or.kind, "or");
  assert.equal(or.result, false);
  const not = or.children?.[1] as ClauseExplanation;
  assert.equal(not.kind, "not");
  assert.equal(not.children?.[0]?.result, true);
  const pass = q.explain(processEvent({ process: { name: "bash", pid: 500, interactive: true } }));
  assert.equal(pass.matched, true);
  assert.equal(pass.query?.condition.children?.[1]?.result, true);
});

test("a sequence is explained per stage with its join key values", () => {
  const q = explainerForQuery(
    'sequence by host.id with maxspan=1m [process where process.name : "bash"] by process.pid [network where destination.port == 4444] by source.port',
  );
  assert.equal(q.shape, "sequence");
  const first = q.explain(processEvent({ host: { id: "h1" } }), "s.ndjson", 1);
  assert.equal(first.matched, true);
  assert.deepEqual(
    first.stages?.map((s) => [s.stage, s.matched]),
    [
      [1, true],
      [2, false],
    ],
  );
  assert.deepEqual(first.stages?.[0]?.joinKeys, [
    { field: "host.id", value: "h1", missing: false },
    { field: "process.pid", value: 10, missing: false },
  ]);
  assert.match(formatExplanation(first), /^s\.ndjson:1: satisfies stage 1 of the sequence/);
  const net = q.explain(
    { event: { category: ["network"] }, host: { id: "h1" }, destination: { port: 80 } },
    "s.ndjson",
    2,
  );
  assert.equal(net.matched, false);
  assert.deepEqual(net.stages?.[1]?.failed, ["destination.port == 4444"]);
  assert.match(formatExplanation(net), /NO STAGE — .*stage 2 failed: destination\.port == 4444/);
  // samples do not crash either
  const sample = explainerForQuery("sample by host.id [process where true] [network where true]");
  assert.equal(sample.explain(processEvent()).stages?.length, 2);
});

test("CLI: eqlite explain over a rule file, text and json", () => {
  const dir = mkdtempSync(join(tmpdir(), "eqlite-explain-"));
  const rule = join(dir, "rule.toml");
  writeFileSync(
    rule,
    `[rule]
author = ["t"]
description = "d"
name = "Interactive test rule"
risk_score = 21
rule_id = "11111111-2222-3333-4444-555555555555"
severity = "low"
type = "eql"
language = "eql"
index = ["logs-*"]
query = '''
${RULE_QUERY}
'''
`,
  );
  const events = join(dir, "events.ndjson");
  const bad = processEvent();
  (bad.process as Record<string, unknown>).interactive = false;
  writeFileSync(events, `${JSON.stringify(processEvent())}\n${JSON.stringify(bad)}\n`);
  const r = runCli(["explain", "--rule", rule, events]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /events\.ndjson:1: MATCH/);
  assert.match(r.stdout, /events\.ndjson:2: NO MATCH — failed: process\.interactive == true/);
  const j = runCli(
    ["explain", "--rule", "Interactive test rule", "--rules", dir, "--format", "json", "-"],
    readFileSync(events, "utf8"),
  );
  assert.equal(j.code, 0, j.stderr);
  const out = JSON.parse(j.stdout) as EventExplanation[];
  assert.deepEqual(
    out.map((x) => [x.line, x.matched, x.failed]),
    [
      [1, true, []],
      [2, false, ["process.interactive == true"]],
    ],
  );
  const missing = runCli(["explain", "--rule", "no-such-rule", "--rules", dir, events]);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /no rule with rule_id or name "no-such-rule"/);
  assert.doesNotMatch(r.stderr, /no events/);
  const empty = runCli(["explain", "--rule", rule, "-"], "");
  assert.equal(empty.code, 0, empty.stderr);
  assert.match(empty.stderr, /^eqlite: no events in stdin$/m);
});

test("CLI: explain names the exception items that keep an event from the rule", () => {
  const dir = mkdtempSync(join(tmpdir(), "eqlite-explain-exceptions-"));
  const rule = join(dir, "rule.ndjson");
  const exported = minimalEqlRule(0, RULE_QUERY, {
    rule_id: "11111111-2222-3333-4444-666666666666",
    name: "Exported interactive rule",
    index: ["logs-*"],
    exceptions_list: [{ id: "x", list_id: "ops", namespace_type: "single", type: "detection" }],
  });
  const item = {
    item_id: "ops-1",
    list_id: "ops",
    name: "c2 is the build container",
    description: "d",
    type: "simple",
    namespace_type: "single",
    entries: [{ field: "container.id", operator: "included", type: "match", value: "c2" }],
  };
  writeFileSync(rule, [exported, item].map((x) => JSON.stringify(x)).join("\n"));
  const extra = join(dir, "extra.toml");
  writeFileSync(
    extra,
    '[[exception]]\nname = "pid 12"\nall_rules = true\nentries = [ { field = "process.pid", type = "match", value = "12" } ]\n',
  );
  const events = [processEvent(), processEvent({ container: { id: "c2" } })];
  events.push({
    ...processEvent({ container: { id: "c2" } }),
    process: { ...processEvent().process, pid: 12 },
  } as never);
  const input = events.map((e) => JSON.stringify(e)).join("\n");
  const r = runCli(["explain", "--rule", rule, "--exceptions", extra, "-"], input);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /<stdin>:1: MATCH\n {2}✔/);
  assert.match(
    r.stdout,
    /<stdin>:2: MATCH\n {2}⊘ excepted by "c2 is the build container": the rule never sees this event/,
  );
  assert.match(r.stdout, /<stdin>:3: MATCH\n {2}⊘ excepted by "c2 is the build container", "pid 12"/);
  const j = runCli(["explain", "--rule", rule, "--format", "json", "-"], input);
  assert.deepEqual(
    (JSON.parse(j.stdout) as EventExplanation[]).map((x) => x.excepted_by),
    [undefined, ["c2 is the build container"], ["c2 is the build container"]],
  );
});

test("CLI: an event nested past what an alert holds is named as too deep, by file and line, not explained", () => {
  const dir = mkdtempSync(join(tmpdir(), "eqlite-explain-deep-"));
  const rule = join(dir, "rule.ndjson");
  writeFileSync(rule, JSON.stringify(minimalEqlRule(0, RULE_QUERY, { index: ["logs-*"] })));
  const events = join(dir, "events.ndjson");
  const nested = `${'{"a":'.repeat(5000)}1${"}".repeat(5000)}`;
  const base = JSON.stringify(processEvent()).slice(0, -1);
  // the deep part beside the fields the query reads, then inside one of them
  const deepBeside = `${base},"deep":${nested}}`;
  const deepInside = `${base},"container":{"id":${"[".repeat(5000)}"c1"${"]".repeat(5000)}}}`;
  writeFileSync(events, `${deepBeside}\n${JSON.stringify(processEvent())}\n${deepInside}\n`);
  const tooDeep = (line: number) =>
    new RegExp(
      `^${events.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}:${line}: the event nests deeper than 1000 levels.*: not explained$`,
      "m",
    );
  for (const format of ["text", "json"]) {
    const r = runCli(["explain", "--rule", rule, "--format", format, events]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, tooDeep(1));
    assert.match(r.stderr, tooDeep(3));
    assert.doesNotMatch(r.stderr, /Maximum call stack|no events/);
    if (format === "json")
      assert.deepEqual(
        (JSON.parse(r.stdout) as EventExplanation[]).map((x) => [x.line, x.matched]),
        [[2, true]],
      );
    else assert.deepEqual(r.stdout.match(/events\.ndjson:\d+: \S+/g), ["events.ndjson:2: MATCH"]);
  }
  const strict = runCli(["explain", "--rule", rule, "--strict", events]);
  assert.equal(strict.code, 2);
  assert.match(strict.stderr, tooDeep(1));
  assert.match(strict.stderr, /stopped at the first malformed input/);
});

test("CLI: a --rule file that loads nothing, cannot be read or is not there says why", () => {
  const dir = mkdtempSync(join(tmpdir(), "eqlite-explain-rule-file-"));
  const empty = join(dir, "empty.toml");
  writeFileSync(empty, "");
  symlinkSync("b.toml", join(dir, "a.toml"));
  symlinkSync("a.toml", join(dir, "b.toml"));
  const cases: [string, RegExp][] = [
    [empty, /^eqlite: no rule loaded from .*empty\.toml:\n.*empty\.toml:1:1: warning: no \[rule\] table/],
    [join(dir, "a.toml"), /^eqlite: cannot read rule file .*a\.toml: ELOOP/],
    [
      join(dir, "typo.toml"),
      /^eqlite: no rule with rule_id or name ".*typo\.toml" in .* \(and there is no file .*typo\.toml\)$/m,
    ],
  ];
  for (const [rule, message] of cases) {
    const r = runCli(["explain", "--rule", rule, "-"], "");
    assert.equal(r.code, 2, rule);
    assert.match(r.stderr, message);
    assert.equal(r.stdout, "");
  }
});

test("explain the seed rule over the cloud_defend kubectl-exec session", (t) => {
  if (!existsSync(shared)) {
    t.skip("../shared not found: explain over the cloud_defend examples skipped");
    return;
  }
  const r = runCli([
    "explain",
    "--rule",
    join(shared, "seed/interactive_exec_container.toml"),
    "--format",
    "json",
    join(shared, "cloud_defend/examples/kubectl-exec-session.ndjson"),
  ]);
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout) as EventExplanation[];
  assert.ok(out.length > 0);
  assert.ok(out.some((x) => x.matched));
  for (const x of out.filter((e) => !e.matched)) {
    assert.ok(x.failed.length > 0, `line ${x.line} names no failed clause`);
    const query = x.query;
    assert.ok(query);
    const failedLeaves = [query.category, ...leaves(query.condition)].filter((c) => c?.failed);
    assert.deepEqual(
      failedLeaves.map((c) => c?.text),
      x.failed,
    );
    for (const c of failedLeaves) assert.equal(c?.result, false);
  }
});

test("CLI: a rule's name and query cannot drive the terminal from explain's header or errors", () => {
  const dir = mkdtempSync(join(tmpdir(), "eqlite-explain-hostile-"));
  const hostile = "\\u001b]0;pwned\\u0007\\u001b[2J\\r\\n\\u202e";
  const rule = (id: string, query: string) => `[rule]
author = ["t"]
description = "d"
name = "Evil${hostile}rule: forged"
risk_score = 21
rule_id = "${id}"
severity = "low"
type = "eql"
language = "eql"
index = ["logs-*"]
query = "${query}"
`;
  writeFileSync(join(dir, "runs.toml"), rule("r1", 'process where process.name == \\"x\\u001b[2J\\u202e\\"'));
  writeFileSync(join(dir, "broken.toml"), rule("r2", "process where process.name =="));
  const events = join(dir, "events.ndjson");
  writeFileSync(events, `${JSON.stringify(processEvent())}\n`);
  const ACTIVE = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e]/;
  const runs = runCli(["explain", "--rule", "r1", "--rules", dir, events]);
  assert.equal(runs.code, 0, runs.stderr);
  assert.doesNotMatch(runs.stdout, ACTIVE);
  assert.match(runs.stdout, /^rule: Evil.*rule: forged \(r1\)\nquery: process where/);
  const broken = runCli(["explain", "--rule", "r2", "--rules", dir, events]);
  assert.equal(broken.code, 2);
  assert.match(broken.stderr, /the query of rule Evil.*rule: forged does not compile/);
  assert.doesNotMatch(broken.stderr, ACTIVE);
});

test("CLI: a rule is explained as scan runs it, each value read as what it is, not as its integrations' catalog types it", () => {
  const dir = mkdtempSync(join(tmpdir(), "eqlite-explain-types-"));
  const rule = join(dir, "rule.ndjson");
  // process.name is a keyword in the catalog: typed so, the number 1e20 compared as a text below "5"
  writeFileSync(
    rule,
    JSON.stringify(minimalEqlRule(0, "process where process.name < 5", { index: ["logs-*"] })),
  );
  const events = join(dir, "events.ndjson");
  const named = (name: unknown) => JSON.stringify(processEvent({ process: { name } }));
  writeFileSync(events, [named(1e20), named(3), named("10"), named(7)].join("\n"));
  const explained = runCli(["explain", "--rule", rule, "--format", "json", events]);
  assert.equal(explained.code, 0, explained.stderr);
  const matched = (JSON.parse(explained.stdout) as EventExplanation[]).filter((x) => x.matched);
  const scanned = runCli(["scan", "--rules", rule, "--format", "ndjson", "--no-prefilter", events]);
  assert.equal(scanned.code, 0, scanned.stderr);
  const alerted = scanned.stdout
    .trim()
    .split("\n")
    .map((l) => (JSON.parse(l) as { process: { name: unknown } }).process.name);
  assert.deepEqual(alerted, [3, "10"]);
  assert.deepEqual(
    matched.map((x) => x.line),
    [2, 3],
  );
});
