import assert from "node:assert/strict";
import { test } from "node:test";
import type { Event } from "../../src/eql/field-access.ts";
import { loadRuleText } from "../../src/rules/load-rule-text.ts";
import { compileRuleFilters } from "../../src/rules/rule-filters.ts";
import { minimalEqlRule } from "../engine/fixtures.ts";

const phrase = (field: string, value: string, meta: Record<string, unknown> = {}) => ({
  meta: { type: "phrase", key: field, params: { query: value }, negate: false, disabled: false, ...meta },
  query: { match_phrase: { [field]: value } },
});

const events: Event[] = [
  { process: { name: "apt-get", command_line: "apt-get update -qq" } },
  { process: { name: "apt-get", command_line: "apt-get install curl" } },
  { process: { name: "curl" } },
];

/** Which events the filters keep, by index; and that nothing was left out. */
function kept(filters: unknown[]): number[] {
  const { keep, problems } = compileRuleFilters(filters);
  assert.deepEqual(problems, []);
  return events.flatMap((e, i) => (keep === undefined || keep(e) ? [i] : []));
}

test("a filter keeps the events its query matches; negated, those it does not", () => {
  assert.deepEqual(kept([phrase("process.command_line", "apt-get update -qq")]), [0]);
  assert.deepEqual(kept([phrase("process.command_line", "apt-get update -qq", { negate: true })]), [1, 2]);
});

test("filters all apply; a disabled one does not, and alias or index change nothing", () => {
  assert.deepEqual(
    kept([
      phrase("process.name", "apt-get", { alias: "apt", index: "some-data-view" }),
      phrase("process.command_line", "apt-get update -qq", { negate: true }),
    ]),
    [1],
  );
  assert.deepEqual(kept([phrase("process.name", "curl", { disabled: true })]), [0, 1, 2]);
  assert.equal(compileRuleFilters([phrase("process.name", "curl", { disabled: true })]).keep, undefined);
  assert.equal(compileRuleFilters(undefined).keep, undefined);
  assert.equal(compileRuleFilters([]).keep, undefined);
});

test("Kibana's filter shapes: phrases, exists, range, custom, and the legacy top-level queries", () => {
  const phrases = {
    meta: { type: "phrases", key: "process.name", params: ["curl", "wget"] },
    query: {
      bool: {
        should: [{ match_phrase: { "process.name": "curl" } }, { match_phrase: { "process.name": "wget" } }],
        minimum_should_match: 1,
      },
    },
  };
  assert.deepEqual(kept([phrases]), [2]);
  assert.deepEqual(
    kept([
      {
        meta: { type: "exists", key: "process.command_line" },
        query: { exists: { field: "process.command_line" } },
      },
    ]),
    [0, 1],
  );
  // an older Kibana's filters are their own query
  assert.deepEqual(
    kept([{ meta: { type: "exists", negate: true }, exists: { field: "process.command_line" } }]),
    [2],
  );
  assert.deepEqual(
    kept([
      {
        meta: {},
        $state: { store: "appState" },
        query: { match: { "process.name": { query: "curl", type: "phrase" } } },
      },
    ]),
    [2],
  );
  assert.deepEqual(
    kept([{ meta: { type: "custom" }, query: { bool: { must_not: { term: { "process.name": "curl" } } } } }]),
    [0, 1],
  );
  assert.deepEqual(kept([{ match_all: {} }]), [0, 1, 2]);
});

test("combined filters: AND wants every filter of meta.params, OR one; each keeps its own negate and disabled", () => {
  const combined = (relation: string, params: unknown[], meta: Record<string, unknown> = {}) => ({
    meta: { type: "combined", relation, params, ...meta },
    query: {},
  });
  const apt = phrase("process.name", "apt-get");
  const update = phrase("process.command_line", "apt-get update -qq", { negate: true });
  assert.deepEqual(kept([combined("AND", [apt, update])]), [1]);
  assert.deepEqual(kept([combined("OR", [phrase("process.name", "curl"), update])]), [1, 2]);
  assert.deepEqual(kept([combined("OR", [apt], { negate: true })]), [2]);
  // a disabled filter under OR is an empty clause, which every event passes
  assert.deepEqual(
    kept([combined("OR", [phrase("process.name", "curl", { disabled: true }), apt])]),
    [0, 1, 2],
  );
  assert.deepEqual(
    kept([combined("AND", [phrase("process.name", "curl", { disabled: true }), apt])]),
    [0, 1],
  );
});

test("a filter that cannot be evaluated is left out, whole, and said at its clause; the others apply", () => {
  const { keep, problems } = compileRuleFilters([
    phrase("process.name", "apt-get"),
    {
      meta: { negate: true },
      query: { bool: { filter: [{ term: { a: 1 } }, { query_string: { query: "x" } }] } },
    },
  ]);
  assert.deepEqual(problems, [
    {
      kind: "unsupported",
      path: ["filters", 1, "query", "bool", "filter", 1, "query_string"],
      message: "a query_string query cannot be evaluated outside Elasticsearch",
    },
  ]);
  assert.deepEqual(
    events.map((e) => keep!(e)),
    [true, true, false],
  );
});

test("malformed filters are left out with a problem each", () => {
  const { keep, problems } = compileRuleFilters([
    5,
    { meta: "x", query: { match_all: {} } },
    { meta: { negate: "yes" }, query: { match_all: {} } },
    { meta: {} },
    { meta: {}, exists: { field: "a" }, range: { a: { gt: 1 } } },
    { meta: { type: "combined", relation: "XOR", params: [] } },
  ]);
  assert.equal(keep, undefined);
  assert.deepEqual(
    problems.map((p) => [p.kind, p.path]),
    [
      ["malformed", ["filters", 0]],
      ["malformed", ["filters", 1, "meta"]],
      ["malformed", ["filters", 2, "meta", "negate"]],
      ["malformed", ["filters", 3]],
      ["malformed", ["filters", 4]],
      ["malformed", ["filters", 5, "meta", "relation"]],
    ],
  );
});

test("hostile filters: __proto__ keys pollute nothing, combined filters nested without end are refused", () => {
  const hostile = JSON.parse(
    '[{"meta": {"__proto__": {"negate": true}}, "__proto__": {"query": {"match_none": {}}}, "query": {"match_phrase": {"__proto__": "x"}}}]',
  );
  const { keep, problems } = compileRuleFilters(hostile);
  assert.deepEqual(problems, []);
  assert.equal(keep!(JSON.parse('{"__proto__": "x"}')), true);
  assert.equal(keep!({}), false);
  assert.equal(({} as Record<string, unknown>).negate, undefined);

  // a legacy filter whose only key is __proto__ is a query named __proto__, which cannot be evaluated
  assert.equal(
    compileRuleFilters(JSON.parse('[{"__proto__": {"match_all": {}}}]')).problems[0].kind,
    "unsupported",
  );

  let deep: unknown = { meta: {}, query: { match_all: {} } };
  for (let i = 0; i < 10_000; i++) deep = { meta: { type: "combined", relation: "AND", params: [deep] } };
  const refused = compileRuleFilters([deep]);
  assert.equal(refused.keep, undefined);
  assert.match(refused.problems[0].message, /combined filters nest deeper than/);

  // the clauses of a filter are bounded together, those of its combined filters included
  const many = (n: number) => Array.from({ length: n }, (_, i) => ({ query: { term: { a: i } } }));
  const wide = compileRuleFilters([
    { meta: { type: "combined", relation: "OR", params: many(3000) } },
    ...many(2),
  ]);
  assert.deepEqual(wide.problems, []);
  const tooWide = compileRuleFilters([
    {
      meta: {
        type: "combined",
        relation: "OR",
        params: [...many(3000), { query: { bool: { should: many(2000).map((f) => f.query) } } }],
      },
    },
  ]);
  assert.match(tooWide.problems[0].message, /more than 4096 clauses/);
  const disabled = Array.from({ length: 5000 }, () => ({
    meta: { disabled: true },
    query: { match_all: {} },
  }));
  assert.match(
    compileRuleFilters([{ meta: { type: "combined", relation: "AND", params: disabled } }]).problems[0]
      .message,
    /more than 4096 filters combined/,
  );
});

test("validate warns of each filter it cannot evaluate, at the clause in the file", () => {
  const rule = minimalEqlRule(0, 'process where process.name == "apt-get"', {
    index: ["logs-*"],
    filters: [
      phrase("process.command_line", "apt-get update -qq", { negate: true }),
      { meta: {}, query: { wildcard: { "process.name": "apt*" } } },
    ],
  });
  const text = JSON.stringify(rule);
  const result = loadRuleText(text, "rules.ndjson");
  const warnings = result.diagnostics.filter((d) => d.code === "filters");
  assert.equal(warnings.length, 1);
  const [w] = warnings;
  assert.equal(w.severity, "warning");
  assert.equal(w.line, 1);
  assert.equal(w.column, text.indexOf('"wildcard"') + 1);
  assert.equal(
    w.message,
    "filters[1]: a wildcard query cannot be evaluated outside Elasticsearch; the rule runs without this filter and may alert on events Kibana would filter out",
  );
  assert.equal(result.rules.length, 1);
});

test("filters of a TOML rule ([[rule.filters]]) are checked at their table", () => {
  const text = `[metadata]
creation_date = "2024/01/10"
maturity = "production"
updated_date = "2024/01/10"

[rule]
author = ["eqlite tests"]
description = "d"
index = ["logs-*"]
language = "eql"
license = "Apache-2.0"
name = "Probe filters"
risk_score = 21
rule_id = "8d3c5a34-34c8-4b57-9e63-2b9a6a5e1f10"
severity = "low"
type = "eql"
query = '''
process where true
'''

[[rule.filters]]
[rule.filters.meta]
negate = true
[rule.filters.query.match_phrase]
"process.name" = "apt-get"

[[rule.filters]]
[rule.filters.query.regexp]
"process.name" = "apt.*"
`;
  const result = loadRuleText(text, "rule.toml");
  const warnings = result.diagnostics.filter((d) => d.code === "filters");
  assert.deepEqual(
    warnings.map((w) => [w.line, w.message.split(";")[0]]),
    [[28, "filters[1]: a regexp query cannot be evaluated outside Elasticsearch"]],
  );
  const keep = compileRuleFilters(result.rules[0].rule.filters).keep!;
  assert.equal(keep({ process: { name: "apt-get" } }), false);
  assert.equal(keep({ process: { name: "curl" } }), true);
});
