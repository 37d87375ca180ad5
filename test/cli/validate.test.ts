import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { runCli } from "./run-cli.ts";

const dir = mkdtempSync(join(tmpdir(), "eqlite-validate-"));
const corpus = fileURLToPath(new URL("../../../shared/corpus/detection-rules", import.meta.url));

function rule(ruleId: string, query: string, extra = ""): string {
  return `[metadata]
creation_date = "2024/01/10"
integration = ["cloud_defend"]
maturity = "production"
updated_date = "2024/02/01"

[rule]
author = ["eqlite tests"]
description = "A shell started inside a container."
index = ["logs-cloud_defend*"]
language = "eql"
license = "Apache-2.0"
name = "Shell In Container"
risk_score = 47
rule_id = "${ruleId}"
severity = "medium"
type = "eql"
${extra}
query = '''
${query}
'''
`;
}

const good = join(dir, "good.toml");
writeFileSync(good, rule("5b0a3c36-2c1e-4f4e-9a55-0d6c1f7e2a01", 'process where process.name == "sh"'));
const typo = join(dir, "typo.toml");
writeFileSync(typo, rule("5b0a3c36-2c1e-4f4e-9a55-0d6c1f7e2a02", 'process where process.nme == "sh"'));
const broken = join(dir, "broken.toml");
writeFileSync(broken, rule("5b0a3c36-2c1e-4f4e-9a55-0d6c1f7e2a03", 'process where\n  process.name = "sh"'));
const kql = join(dir, "kql.ndjson");
writeFileSync(
  kql,
  `${JSON.stringify({ rule_id: "9e3c5a34-34c8-4b57-9e63-2b9a6a5e1f11", name: "K", description: "d", risk_score: 21, severity: "low", type: "query", language: "kuery", index: ["logs-*"], query: "process.name: sh" })}\n`,
);

test("a clean rule: a summary and exit 0", () => {
  const r = runCli(["validate", good]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, "1 rule in 1 file: eql 1\n1 of 1 eql rule compiled\n0 errors, 0 warnings\n");
});

test("an unknown field is a warning with a suggestion; exit 0", () => {
  const r = runCli(["validate", typo]);
  assert.equal(r.code, 0);
  assert.match(
    r.stdout,
    new RegExp(
      `^${typo}:20:15: warning: unknown field \\[process.nme\\], not in ECS 9.4.0 \\+ cloud_defend 1.2.5, did you mean \\[process.name\\]\\?$`,
      "m",
    ),
  );
  assert.match(r.stdout, /^0 errors, 1 warning$/m);
});

test("--strict turns unknown fields into errors: exit 2", () => {
  const r = runCli(["validate", "--strict", typo]);
  assert.equal(r.code, 2);
  assert.match(r.stdout, /typo.toml:20:15: error: unknown field \[process.nme\]/);
});

test("a broken rule gets file:line:column and a code frame, the others are still loaded and counted", () => {
  const r = runCli(["validate", dir]);
  assert.equal(r.code, 2);
  const lines = r.stdout.split("\n");
  const at = lines.findIndex((l) => l.startsWith(`${broken}:21:16: error: '=' is not a comparison operator`));
  assert.ok(at >= 0, r.stdout);
  assert.equal(lines[at + 2], '    21 |   process.name = "sh"');
  assert.equal(lines[at + 3], "       |                ^");
  assert.match(r.stdout, /^4 rules in 4 files: eql 3, query 1$/m);
  assert.match(
    r.stdout,
    /^2 of 3 eql rules compiled; 1 rule of other types loaded and checked, not yet executable$/m,
  );
  assert.match(r.stdout, /^1 error, 1 warning$/m);
});

test("--format json prints one object with the counts and every diagnostic", () => {
  const r = runCli(["validate", "--format", "json", dir]);
  assert.equal(r.code, 2);
  const report = JSON.parse(r.stdout);
  for (const key of ["rules", "compiled", "errors", "warnings", "by_type", "diagnostics"])
    assert.ok(key in report, key);
  assert.deepEqual(
    [report.rules, report.compiled, report.errors, report.warnings, report.by_type],
    [4, 2, 1, 1, { eql: 3, query: 1 }],
  );
  assert.deepEqual(report.not_executable, { query: 1 });
  const [error] = report.diagnostics.filter((d: { severity: string }) => d.severity === "error");
  assert.deepEqual(
    [error.file, error.line, error.column, error.code, error.rule_id],
    [broken, 21, 16, "eql", "5b0a3c36-2c1e-4f4e-9a55-0d6c1f7e2a03"],
  );
});

test("a directory holding no rule file is an error at it, exit 2: a check that read nothing does not pass", () => {
  const empty = mkdtempSync(join(dir, "empty-"));
  writeFileSync(join(empty, "README.md"), "rules go here\n");
  writeFileSync(join(empty, "rule.json"), "{}\n");
  const r = runCli(["validate", empty]);
  assert.equal(r.code, 2, r.stdout);
  assert.match(
    r.stdout,
    new RegExp(
      `^${empty}:1:1: error: no rule files under this directory: .*\\.json file is read when named`,
      "m",
    ),
  );
  assert.match(r.stdout, /^1 error, 0 warnings$/m);
  // beside a directory that has rules, an empty one is no error (a custom-rules directory not yet used)
  const both = runCli(["validate", empty, good]);
  assert.equal(both.code, 0, both.stdout);
});

test("no path is a usage error", () => {
  const r = runCli(["validate"]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /missing required argument/);
});

test("eqlite validate over the detection-rules corpus: every file loads, all 1,081 EQL rules compile", {
  skip: !existsSync(corpus) && "../shared not found: detection-rules corpus validation skipped",
}, (t) => {
  const r = runCli(["validate", "--format", "json", corpus]);
  const report = JSON.parse(r.stdout);
  t.diagnostic(
    `files ${report.files}, rules ${report.rules} ${JSON.stringify(report.by_type)}, compiled ${report.compiled}, errors ${report.errors}, warnings ${report.warnings}`,
  );
  const byCode: Record<string, number> = {};
  for (const d of report.diagnostics)
    byCode[`${d.severity} ${d.code}`] = (byCode[`${d.severity} ${d.code}`] ?? 0) + 1;
  t.diagnostic(`diagnostics by kind: ${JSON.stringify(byCode)}`);
  assert.equal(r.code, 0, "no errors");
  assert.equal(report.files, 2192);
  assert.equal(report.rules, 2192, "one rule per file, none rejected");
  assert.equal(report.rejected, 0);
  assert.deepEqual(report.by_type, {
    eql: 1081,
    query: 508,
    new_terms: 245,
    esql: 212,
    machine_learning: 106,
    threshold: 31,
    threat_match: 9,
  });
  assert.equal(report.compiled, 1081);
  assert.equal(report.errors, 0);
  // 4 of them code transform: two notes name an entry their [transform] lacks, and leave one out;
  // 2 code maxspan: the Okta push-bombing rules' maxspan=10m outlasts their 6-minute window
  assert.equal(report.warnings, 438);
  assert.equal(byCode["warning maxspan"], 2);
  for (const d of report.diagnostics) assert.ok(d.line >= 1 && d.column >= 1 && d.file.endsWith(".toml"));
});

test("a rule file or test file that is a link to a device is read up to the size limit, not forever; met in a walk, it and a named pipe are skipped and said", {
  skip: !existsSync("/dev/zero") && "no /dev/zero here",
}, () => {
  const devices = mkdtempSync(join(tmpdir(), "eqlite-devices-"));
  symlinkSync("/dev/zero", join(devices, "zero.toml"));
  symlinkSync("/dev/zero", join(devices, "zero.test.toml"));
  // opening a named pipe waits for a writer: read, it would hold the walk for ever
  const fifo = spawnSync("mkfifo", [join(devices, "pipe.toml")]);
  const entry = fileURLToPath(new URL("../../src/cli/entry.ts", import.meta.url));
  // the old readers never stopped: the timeout only keeps that from hanging the suite
  const run = (...args: string[]) =>
    spawnSync(process.execPath, ["--import", "tsx", entry, ...args], { encoding: "utf8", timeout: 120_000 });

  const walked = run("validate", devices);
  // skipped, they leave the directory without a rule read: that alone is the error
  assert.equal(walked.status, 2, `${walked.signal ?? ""} ${walked.stderr}`);
  assert.match(walked.stdout, /error: no rule files under this directory/);
  const skipped = ["zero.toml", "zero.test.toml", ...(fifo.status === 0 ? ["pipe.toml"] : [])];
  for (const file of skipped)
    assert.match(
      `${walked.stdout}${walked.stderr}`,
      new RegExp(`${join(devices, file)}:1:1: warning: a (device|named pipe), not a file: skipped`),
    );

  const tooMuch = "not a regular file, and more than the 67108864 bytes";
  for (const [command, file] of [
    ["validate", "zero.toml"],
    ["test", "zero.test.toml"],
  ] as const) {
    const named = run(command, join(devices, file));
    assert.equal(named.status, 2, `${command}: ${named.signal ?? ""} ${named.stderr}`);
    const said = `${named.stdout}${named.stderr}`;
    assert.ok(said.includes(`${join(devices, file)}:1:1: error: ${tooMuch}`), said);
  }
});
