import assert from "node:assert/strict";
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { exitCodeOf, formatReport, runRuleTests } from "../../src/ruletest/runner.ts";

const rules = fileURLToPath(new URL("../../rules", import.meta.url));

test("every bundled rule has tests, and they all pass", async () => {
  const report = await runRuleTests([rules]);
  const text = formatReport(report);
  assert.deepEqual(report.diagnostics, [], text);
  assert.equal(report.failed, 0, text);
  assert.deepEqual(report.untested, [], text);
  assert.equal(report.results.length, 12);
  for (const r of report.results) {
    assert.ok(
      r.cases.some((c) => c.expected.expect === "alert"),
      `${r.file}: no case that must alert`,
    );
    assert.ok(
      r.cases.some((c) => c.expected.expect === "none"),
      `${r.file}: no near-miss case`,
    );
  }
  assert.ok(
    report.results.some((r) => r.cases.some((c) => c.expected.sequences?.length)),
    "the sequence rule has a sequence case",
  );
  assert.equal(exitCodeOf(report), 0);
});

test("breaking a bundled rule's query makes its alerting case fail with a readable diff", async () => {
  const dir = mkdtempSync(join(tmpdir(), "eqlite-ruletest-broken-"));
  const stem = "execution_download_then_exec_tmp";
  const original = readFileSync(join(rules, "container", `${stem}.toml`), "utf8");
  const broken = original.replace('process.name in ("curl", "wget", "busybox")', 'process.name in ("wget")');
  assert.notEqual(broken, original, "the query text to break was found");
  writeFileSync(join(dir, `${stem}.toml`), broken);
  copyFileSync(join(rules, "container", `${stem}.test.toml`), join(dir, `${stem}.test.toml`));

  const report = await runRuleTests([dir]);
  assert.equal(report.failed, 1);
  assert.equal(exitCodeOf(report), 1);
  const text = formatReport(report);
  assert.match(text, /✘ curl downloads, then \/tmp\/payload runs/);
  assert.match(text, /missing sequence \[0, 2\]/);
  assert.match(text, /expected: exactly 1 alert; sequences \[0, 2\]/);
  assert.match(text, /actual: {3}0 alerts/);
  assert.match(text, /event 0: .*process\.name="curl"/);
  assert.match(text, /^3 passed, 1 failed$/m);
});
