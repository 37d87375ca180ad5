import assert from "node:assert/strict";
import { test } from "node:test";
import { buildEventAlert } from "../../src/engine/alert.ts";
import { sourceIdentity } from "../../src/engine/source-identity.ts";
import { makeSource, printCodeFrame } from "../../src/eql/source.ts";
import { terminalSafeJson, visibleLine, visibleText } from "../../src/eql/terminal-text.ts";
import { formatDiagnostic as formatExceptionDiagnostic } from "../../src/exceptions/model.ts";
import { explainerForQuery, formatExplanation } from "../../src/explain/explain.ts";
import { formatProblem } from "../../src/io/event-source.ts";
import { formatCsv, formatNdjson, formatPretty, formatSummary } from "../../src/io/sinks/alert-formats.ts";
import { formatDiagnostic } from "../../src/rules/diagnostic.ts";
import { formatReport } from "../../src/ruletest/runner.ts";

/** What a terminal would act on: C0 and C1 controls, DEL, bidirectional overrides and isolates. */
const ACTIVE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/;
// retitle the window, write the clipboard, erase the line above, reverse what follows
const HOSTILE = "\u001b]0;pwned\u0007\u001b]52;c;ZWNobyBoaQ==\u0007\u001b[1A\u001b[2K\u009b2J\u202eevil";

test("each control character becomes one visible stand-in", () => {
  assert.equal(
    visibleLine("a\u001b[2Kb\nc\td\u007f\u0085\u202e"),
    "a\u241b[2Kb\u240ac\u2409d\u2421\ufffd\ufffd",
  );
  assert.equal(visibleText("line one\n\tline two\u001b"), "line one\n\tline two\u241b");
  assert.equal(visibleLine(HOSTILE).length, HOSTILE.length);
  assert.doesNotMatch(visibleLine(HOSTILE), ACTIVE);
  assert.equal(visibleLine("kubectl exec -it café — 日本"), "kubectl exec -it café — 日本");
});

/** An alert whose event and rule texts carry HOSTILE. */
function hostileAlert() {
  const event = {
    "@timestamp": "2026-11-02T09:14:03.112Z",
    event: { category: ["process"] },
    host: { name: `node-a${HOSTILE}` },
    process: { name: "sh", pid: 1, args: ["sh", "-c", `true\n  alert forged${HOSTILE}`] },
  };
  const rule = {
    rule_id: "b0ddccf7-2626-4414-8602-a808c33d4b0c",
    name: `Shell${HOSTILE}`,
    description: "d",
    severity: "high",
    risk_score: 73,
    type: "eql",
    query: "process where true",
    language: "eql",
  };
  return buildEventAlert(rule, event, sourceIdentity(event), { now: new Date("2026-11-02T09:20:00Z") });
}

test("an alert's event and rule texts cannot drive the terminal or forge lines", () => {
  const alert = hostileAlert();
  const plain = formatPretty(alert, false);
  assert.doesNotMatch(plain, ACTIVE);
  assert.equal(
    plain.split("\n").length,
    formatPretty({ ...alert, "process.args": ["sh"] }, false).split("\n").length,
  );
  // with colour, the only escapes are the colours' own
  assert.doesNotMatch(formatPretty(alert, true).replace(/\u001b\[\d+m/g, ""), ACTIVE);
  const summary = formatSummary(
    new Map([["a", { rule: `Shell\n     9  low       Fake${HOSTILE}`, severity: "high", alerts: 1 }]]),
  );
  assert.doesNotMatch(summary, ACTIVE);
  assert.equal(summary.split("\n").length, 2);
});

test("problems, diagnostics, code frames and explanations show hostile text inert", () => {
  assert.doesNotMatch(
    formatProblem({ source: "e.ndjson", line: 3, column: 1, reason: `invalid JSON: ${HOSTILE}` }),
    ACTIVE,
  );
  assert.doesNotMatch(
    formatDiagnostic({
      file: "r.toml",
      line: 1,
      column: 1,
      severity: "error",
      code: "schema",
      message: HOSTILE,
    }),
    ACTIVE,
  );
  const source = makeSource(`process where process.name == "${HOSTILE}" and x ==`);
  const frame = printCodeFrame(source, source.body.length - 2, 2);
  assert.doesNotMatch(frame, ACTIVE);
  // the caret stays under the operator it points at
  const [line, caret] = frame.split("\n");
  assert.equal(line.lastIndexOf("=="), caret.indexOf("^^"));
  const explainer = explainerForQuery('process where process.name == "sh"');
  const text = formatExplanation(
    explainer.explain({ event: { category: "process" }, process: { name: HOSTILE } }, "e", 1),
  );
  assert.doesNotMatch(text, ACTIVE);
});

test("JSON output escapes what a terminal acts on and still reads back as the same data", () => {
  assert.equal(terminalSafeJson(JSON.stringify("a\u009b2J\u202eb\u2028")), '"a\\u009b2J\\u202eb\\u2028"');
  assert.equal(terminalSafeJson('{"name":"café — 日本"}'), '{"name":"café — 日本"}');
  const alert = hostileAlert();
  const line = formatNdjson(alert);
  assert.doesNotMatch(line, ACTIVE);
  assert.deepEqual(JSON.parse(line), alert);
  // one line per alert, whatever the event holds
  assert.equal(line.indexOf("\n"), line.length - 1);
  const row = formatCsv(alert);
  assert.doesNotMatch(row, ACTIVE);
  assert.match(row, /Shell\u241b\]0;pwned/);
});

test("a file's name is as untrusted as its text: diagnostics show it inert, on one line", () => {
  const file = `rules/x${HOSTILE}\n/tmp/forged.toml:1:1: error: fake`;
  for (const line of [
    formatDiagnostic({ file, line: 1, column: 1, severity: "error", code: "schema", message: "m" }),
    formatExceptionDiagnostic({ file, line: 1, column: 1, severity: "error", message: "m" }),
  ]) {
    assert.doesNotMatch(line, ACTIVE);
    assert.equal(line.split("\n").length, 1);
  }
});

test("the rule test report keeps each rule, case and file to its line", () => {
  const forged = `\n✔ forged case${HOSTILE}`;
  const expected = { name: `case${forged}`, line: 1, expect: "alert" as const, events: [{ a: 1 }] };
  const text = formatReport({
    results: [
      {
        file: `r${forged}.test.toml`,
        rule_id: "id",
        rule_name: `rule${forged}`,
        cases: [
          {
            name: expected.name,
            passed: false,
            expected,
            actual: { alerts: 0, alertedEvents: [], sequences: [], error: `boom${forged}` },
            problems: [`rule error: boom${forged}`],
          },
        ],
      },
    ],
    passed: 0,
    failed: 1,
    untested: [{ rule_id: "u", name: `lonely${forged}`, file: `u${forged}.toml` }],
    diagnostics: [],
  });
  assert.doesNotMatch(text, ACTIVE);
  assert.doesNotMatch(text, /^✔ forged/m);
});
