import assert from "node:assert/strict";
import { test } from "node:test";
import { MAX_DOCUMENT_DEPTH } from "../../src/io/json-depth.ts";
import { loadRuleText } from "../../src/rules/load-rule-text.ts";
import { errors, messages, warnings } from "./fixtures.ts";

const RULE = {
  id: "0f0e0d0c-0000-4000-8000-000000000001",
  rule_id: "8d3c5a34-34c8-4b57-9e63-2b9a6a5e1f10",
  name: "Shell In Container",
  description: "A shell started inside a container.",
  risk_score: 47,
  severity: "medium",
  type: "eql",
  language: "eql",
  index: ["logs-cloud_defend*"],
  query: 'process where process.name == "bash"',
  from: "now-9m",
  interval: "5m",
  immutable: false,
  rule_source: { type: "internal" },
  exceptions_list: [{ id: "so-1", list_id: "ops_exceptions", type: "detection", namespace_type: "single" }],
};
const KQL_RULE = {
  ...RULE,
  rule_id: "9e3c5a34-34c8-4b57-9e63-2b9a6a5e1f11",
  type: "query",
  language: "kuery",
  query: "process.name: bash",
  exceptions_list: [],
};
const LIST = {
  _version: "WzEsMV0=",
  id: "so-1",
  list_id: "ops_exceptions",
  name: "Ops exceptions",
  description: "",
  type: "detection",
  namespace_type: "single",
  immutable: false,
  os_types: [],
  tags: [],
  tie_breaker_id: "t-1",
  version: 1,
};
const ITEM = {
  comments: [],
  entries: [{ type: "match", field: "host.name", value: "build-01", operator: "included" }],
  id: "i-1",
  item_id: "item-1",
  list_id: "ops_exceptions",
  name: "Build hosts",
  namespace_type: "single",
  os_types: [],
  tags: [],
  type: "simple",
  description: "",
};
const CONNECTOR = { id: "c-1", type: "action", attributes: { actionTypeId: ".email" }, references: [] };
const summary = (over: Record<string, unknown> = {}) => ({
  exported_count: 5,
  exported_rules_count: 2,
  missing_rules: [],
  missing_rules_count: 0,
  exported_exception_list_count: 1,
  exported_exception_list_item_count: 1,
  exported_action_connector_count: 1,
  ...over,
});
const ndjson = (...lines: unknown[]): string =>
  `${lines.map((l) => (typeof l === "string" ? l : JSON.stringify(l))).join("\n")}\n`;

test("a Kibana export loads its rules, exception lists and items, connectors and summary", () => {
  const r = loadRuleText(ndjson(RULE, KQL_RULE, LIST, ITEM, CONNECTOR, summary()), "export.ndjson");
  assert.deepEqual(r.diagnostics, []);
  assert.deepEqual(
    r.rules.map((x) => [x.rule.type, x.origin.line, x.origin.format]),
    [
      ["eql", 1, "ndjson"],
      ["query", 2, "ndjson"],
    ],
  );
  assert.ok(r.rules[0].query);
  assert.equal((r.rules[0].rule as Record<string, unknown>).id, RULE.id, "server fields are kept for alerts");
  assert.deepEqual(
    r.exceptions.lists.map((l) => l.list_id),
    ["ops_exceptions"],
  );
  assert.deepEqual(
    r.exceptions.items.map((i) => [i.item_id, i.origin?.line]),
    [["item-1", 4]],
  );
  assert.equal(r.exportSummaries[0].exported_rules_count, 2);
});

test("a malformed line is reported at its line and column and the other lines still load", () => {
  const text = ndjson(RULE, '{"rule_id": "x", "name": }', KQL_RULE, "[1, 2]");
  const r = loadRuleText(text, "export.ndjson");
  assert.equal(r.rules.length, 2);
  assert.deepEqual(
    errors(r).map((d) => [d.line, d.column, d.code]),
    [
      [2, 26, "json-syntax"],
      [4, 1, "schema"],
    ],
  );
});

test("an object line that is nothing an export holds is skipped and said, with or without exceptions in the file", () => {
  // rule_id and type misspelt: without the warning the rule would vanish
  const stray = { ruleid: RULE.rule_id, name: RULE.name, kind: "eql" };
  for (const text of [ndjson(RULE, stray), ndjson(RULE, LIST, stray, ITEM)]) {
    const r = loadRuleText(text, "export.ndjson");
    assert.deepEqual(
      warnings(r)
        .filter((d) => d.code === "schema")
        .map((d) => [d.line, d.message]),
      [
        [
          text.split("\n").indexOf(JSON.stringify(stray)) + 1,
          "not a rule, an exception list or item, an action connector or an export summary; line skipped",
        ],
      ],
    );
  }
  // a file of events in a rules directory is said once
  const events = loadRuleText(
    ndjson({ event: { category: "process" } }, {}, { message: "x" }),
    "events.ndjson",
  );
  assert.deepEqual(
    events.diagnostics.map((d) => [d.line, d.severity, d.message]),
    [
      [
        1,
        "warning",
        "none of the 3 JSON objects is a rule, an exception list or item, or an export summary: not a rules export, skipped",
      ],
    ],
  );
});

test("a line nesting deeper than a document may is skipped and said; the other lines load", () => {
  const nested = (levels: number) => `${"[".repeat(levels)}1${"]".repeat(levels)}`;
  const deep = (over: Record<string, unknown>, levels: number) =>
    `${JSON.stringify(over).slice(0, -1)}, "meta": {"deep": ${nested(levels)}}}`;
  const tooDeep = MAX_DOCUMENT_DEPTH - 1;
  // far deeper than any stack: the passes over a document recurse
  const text = ndjson(
    deep(RULE, 100_000),
    deep({ ...ITEM, item_id: "item-2" }, tooDeep),
    KQL_RULE,
    LIST,
    ITEM,
  );
  const r = loadRuleText(text, "export.ndjson");
  assert.deepEqual(
    errors(r).map((d) => [d.line, d.column, d.code, d.message]),
    [1, 2].map((line) => [
      line,
      1,
      "too-deep",
      `the line nests more than ${MAX_DOCUMENT_DEPTH} levels deep; line skipped`,
    ]),
  );
  assert.deepEqual(
    r.rules.map((x) => x.origin.line),
    [3],
  );
  assert.deepEqual(
    r.exceptions.items.map((i) => i.item_id),
    ["item-1"],
  );
  // at the limit a rule loads, and is placed as any other
  const atLimit = loadRuleText(ndjson(deep(RULE, tooDeep - 1)), "export.ndjson");
  assert.deepEqual(errors(atLimit), []);
  assert.equal(atLimit.rules.length, 1);
  const file = loadRuleText(`[${deep(RULE, tooDeep)}]`, "rules.json");
  assert.deepEqual(
    errors(file).map((d) => [d.line, d.code]),
    [[1, "too-deep"]],
  );
  assert.equal(file.rules.length, 0);
});

test("the summary is compared with what the file holds", () => {
  const r = loadRuleText(
    ndjson(
      RULE,
      summary({ exported_rules_count: 3, missing_rules: [{ rule_id: "gone" }], missing_rules_count: 1 }),
    ),
    "export.ndjson",
  );
  assert.deepEqual(messages(warnings(r)).sort(), [
    "Kibana could not export 1 rule(s): gone",
    "exception list ops_exceptions is not loaded; its exceptions will not be applied",
    "the export summary counts 1 exception items but the file has 0",
    "the export summary counts 1 exception lists but the file has 0",
    "the export summary counts 3 rules but the file has 1",
  ]);
  const notLast = loadRuleText(
    ndjson(
      summary({
        exported_count: 1,
        exported_rules_count: 1,
        exported_exception_list_count: 0,
        exported_exception_list_item_count: 0,
      }),
      KQL_RULE,
    ),
    "e.ndjson",
  );
  assert.deepEqual(messages(warnings(notLast)), [
    "the export summary is not the last line: the file was edited or concatenated",
  ]);
});

test("exception problems come from the exceptions loader, at their line", () => {
  const badItem = { ...ITEM, entries: [{ type: "match", field: "host.name", operator: "included" }] };
  const r = loadRuleText(ndjson(RULE, LIST, badItem), "export.ndjson");
  const [d] = errors(r);
  assert.equal(d.line, 3);
  assert.equal(d.code, "exceptions");
  assert.equal(r.rules.length, 1);
});

test("a reference to a list of another type is reported", () => {
  const r = loadRuleText(
    ndjson(
      {
        ...RULE,
        exceptions_list: [{ ...RULE.exceptions_list[0], type: "endpoint", namespace_type: "agnostic" }],
      },
      LIST,
      ITEM,
    ),
    "e.ndjson",
  );
  assert.deepEqual(messages(warnings(r)), [
    "exception list ops_exceptions is of type detection, but the rule references it as endpoint",
  ]);
});

test("query errors inside a JSON string land on the file's column, escapes included", () => {
  const rule = { ...RULE, query: 'process where process.name == "a\\"b" and\nprocess.pid = 1' };
  const line = JSON.stringify(rule);
  const r = loadRuleText(`${line}\n`, "export.ndjson");
  const [d] = errors(r);
  assert.equal(d.line, 1);
  assert.equal(line[d.column - 1], "=");
  assert.equal(line.slice(d.column - 15, d.column), "\\nprocess.pid =");
});

test("a query error's frame and message in a JSON string name the file's line, not the query's", () => {
  const rule = { ...RULE, query: 'process where\n  process.name in ("a" "b")' };
  const line = JSON.stringify(rule);
  const r = loadRuleText(`${JSON.stringify(KQL_RULE)}\n${line}\n`, "export.ndjson");
  const [d] = errors(r);
  assert.equal(d.line, 2);
  const bracket = line.indexOf("in (") + 4;
  assert.match(d.message, new RegExp(`opened at 2:${bracket},`));
  const [shown, caret] = (d.frame ?? "").split("\n");
  assert.match(shown, /^2 \| /);
  assert.equal(shown.slice(caret.indexOf("^"), caret.indexOf("^") + 5), '\\"b\\"');
  assert.match(caret, /\| +\^{5}$/);
});

test("schema errors in a JSON rule point at the key", () => {
  const line = JSON.stringify({ ...KQL_RULE, risk_score: 500 });
  const r = loadRuleText(`${JSON.stringify(KQL_RULE)}\n${line}\n`, "export.ndjson");
  const [d] = errors(r);
  assert.equal(d.line, 2);
  assert.equal(line.slice(d.column - 1).startsWith('"risk_score"'), true);
  assert.equal(r.rejected[0].origin.line, 2);
});

test("a .json file holds one rule or an array of rules", () => {
  const one = loadRuleText(JSON.stringify(RULE, null, 2), "rule.json");
  assert.equal(one.rules.length, 1);
  const text = JSON.stringify([KQL_RULE, { ...KQL_RULE, severity: "urgent" }], null, 2);
  const many = loadRuleText(text, "rules.json");
  assert.equal(many.rules.length, 1);
  const [d] = errors(many);
  assert.equal(text.split("\n")[d.line - 1].trim(), '"severity": "urgent",');
  assert.deepEqual(
    errors(loadRuleText('{"a": 1,}', "bad.json")).map((x) => [x.line, x.column]),
    [[1, 9]],
  );
});
