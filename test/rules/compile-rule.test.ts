import assert from "node:assert/strict";
import { test } from "node:test";
import { errors, lineOf, loadToml, messages, ruleToml, warnings } from "./fixtures.ts";

const event = (fields: Record<string, unknown>) => ({ "@timestamp": "2026-01-01T00:00:00Z", ...fields });

test("an eql rule compiles once: its terms, categories and fields are kept on the rule", () => {
  const r = loadToml(ruleToml());
  const query = r.rules[0].query;
  assert.ok(query);
  assert.equal(query.shape, "event");
  assert.deepEqual(
    query.terms.map((t) => t.category),
    ["process"],
  );
  assert.deepEqual(query.fields, ["event.type", "process.name"]);
  assert.equal(query.eventCategoryField, "event.category");
  const match = query.terms[0].predicate;
  assert.equal(
    match(event({ event: { category: ["process"], type: ["start"] }, process: { name: "bash" } })),
    true,
  );
  assert.equal(
    match(event({ event: { category: ["network"], type: ["start"] }, process: { name: "bash" } })),
    false,
  );
});

test("a compiled query keeps one tree: the checked view and the executed one are made from it when read", () => {
  const r = loadToml(ruleToml({ query: 'process where process.pid > 1 and process.name == "sh"' }));
  const query = r.rules[0].query!;
  const { statement } = query;
  assert.equal(query.execution().statement, statement);
  assert.equal(query.prepared.statement, statement);
  assert.equal(query.prepared, query.prepared, "made once");
  const condition = statement.query.kind === "EventQuery" ? statement.query.condition : undefined;
  assert.ok(condition?.kind === "Logical" && condition.left.kind === "Comparison");
  // the checked view knows the catalog's types, the executed one types a field by its value
  assert.equal(query.prepared.context.typeOf(condition.left.left), "long");
  assert.equal(query.execution().context.typeOf(condition.left.left), "unknown");
});

test("sequences compile each term and `until`; join keys count as fields", () => {
  const r = loadToml(
    ruleToml({
      query:
        'sequence by host.id with maxspan=1m\n  [process where process.name == "curl"] by process.entity_id\n  [network where true] by process.entity_id\nuntil [process where event.type == "end"] by process.entity_id',
    }),
  );
  assert.deepEqual(errors(r), []);
  const query = r.rules[0].query!;
  assert.equal(query.shape, "sequence");
  assert.deepEqual(
    query.terms.map((t) => t.category),
    ["process", "network", "process"],
  );
  assert.deepEqual(query.fields.sort(), ["event.type", "host.id", "process.entity_id", "process.name"]);
});

test("an unknown field is a warning at its place, with the nearest known field", () => {
  const text = ruleToml({ query: 'process where event.type == "start" and\n  process.nme == "bash"' });
  const r = loadToml(text);
  assert.deepEqual(errors(r), []);
  const [d] = warnings(r);
  assert.equal(d.code, "unknown-field");
  assert.equal(
    d.message,
    "unknown field [process.nme], not in ECS 9.4.0 + cloud_defend 1.2.5, did you mean [process.name]?",
  );
  assert.deepEqual([d.line, d.column], [lineOf(text, "process.nme"), 3]);
  assert.ok(r.rules[0].query, "a rule with unknown fields still runs: the field is read from the event");
});

test("unknown join keys are checked too, each field once per rule", () => {
  const r = loadToml(
    ruleToml({
      query: "sequence by host.idd [process where true] by host.idd [process where true] by host.idd",
    }),
  );
  assert.deepEqual(messages(warnings(r)), [
    "unknown field [host.idd], not in ECS 9.4.0 + cloud_defend 1.2.5, did you mean [host.id]?",
  ]);
});

test("optional ?fields may be absent from every schema: no warning", () => {
  const r = loadToml(ruleToml({ query: 'process where ?process.Ext.token.integrity_level_name == "high"' }));
  assert.deepEqual(r.diagnostics, []);
});

test("--strict makes unknown fields errors, and the rule is still compiled", () => {
  const r = loadToml(ruleToml({ query: 'process where process.nme == "bash"' }), true);
  assert.deepEqual(
    errors(r).map((d) => d.code),
    ["unknown-field"],
  );
  assert.ok(r.rules[0].query);
});

test("integration fields are known only to rules of that integration", () => {
  const query = 'process where cloud_defend.hook_point == "tracepoint__sched_process_exec"';
  assert.deepEqual(loadToml(ruleToml({ query })).diagnostics, []);
  const withoutIntegration = loadToml(
    ruleToml({
      query,
      metadata:
        '[metadata]\ncreation_date = "2024/01/01"\nupdated_date = "2024/01/01"\nintegration = ["endpoint"]\n',
    }),
  );
  assert.deepEqual(messages(warnings(withoutIntegration)), [
    "unknown field [cloud_defend.hook_point], not in ECS 9.4.0 (no field list ships for endpoint)",
  ]);
  // related_integrations names integrations too (Kibana exports have no [metadata])
  const related = loadToml(
    ruleToml({
      query,
      metadata: '[metadata]\ncreation_date = "2024/01/01"\nupdated_date = "2024/01/01"\n',
      rule: { related_integrations: '[{ package = "cloud_defend", version = "^1.2.0" }]' },
    }),
  );
  assert.deepEqual(related.diagnostics, []);
});

test("fields under an ECS object or flattened field are known", () => {
  const r = loadToml(
    ruleToml({ query: 'process where labels.team == "a" and orchestrator.resource.label.app == "web"' }),
  );
  assert.deepEqual(r.diagnostics, []);
});

test("type mismatches where types are known are errors: arithmetic on a keyword, functions on the wrong type", () => {
  const text = ruleToml({ query: "process where process.name + 1 == 2" });
  const r = loadToml(text);
  const [d] = errors(r);
  assert.equal(
    d.message,
    "first argument of [process.name + 1] must be [numeric], found value [process.name] type [keyword]",
  );
  assert.deepEqual([d.line, d.column], [lineOf(text, "process.name + 1"), 15]);
  assert.equal(r.rules[0].query, undefined);

  assert.match(
    messages(errors(loadToml(ruleToml({ query: 'network where cidrMatch(source.port, "10.0.0.0/8")' }))))[0],
    /must be \[ip\], found value \[source.port\] type \[long\]/,
  );
  assert.match(
    messages(errors(loadToml(ruleToml({ query: 'process where process.pid == "abc"' }))))[0],
    /cannot compare \[process.pid\] of type \[long\]/,
  );
  assert.match(
    messages(errors(loadToml(ruleToml({ query: 'process where message == "x"' }))))[0],
    /\[message\] is a text field/,
  );
});

test("cidrMatch on a keyword field is an error, as Elasticsearch's verifier makes it; on an ip field nothing", () => {
  assert.deepEqual(
    loadToml(ruleToml({ query: 'network where cidrMatch(source.ip, "10.0.0.0/8")' })).diagnostics,
    [],
  );
  const r = loadToml(ruleToml({ query: 'network where cidrMatch(host.name, "10.0.0.0/8")' }));
  assert.deepEqual(messages(errors(r)), [
    'first argument of [cidrMatch(host.name, "10.0.0.0/8")] must be [ip], found value [host.name] type [keyword]',
  ]);
});

test("deprecated rules and query_schema_validation = false skip field checks, not compilation", () => {
  const metadata = (extra: string) =>
    `[metadata]\ncreation_date = "2024/01/01"\nupdated_date = "2024/01/01"\n${extra}\n`;
  const query = 'process where process.nme == "bash"';
  const deprecated = loadToml(
    ruleToml({ query, metadata: metadata('maturity = "deprecated"\ndeprecation_date = "2024/06/01"') }),
  );
  assert.deepEqual(deprecated.diagnostics, []);
  assert.ok(deprecated.rules[0].query);
  assert.deepEqual(
    loadToml(ruleToml({ query, metadata: metadata("query_schema_validation = false") })).diagnostics,
    [],
  );
});

test("event_category_override changes the field `process where` tests, and is checked as a field", () => {
  const r = loadToml(
    ruleToml({
      rule: { event_category_override: '"event.type"' },
      query: 'process where process.name == "sh"',
    }),
  );
  assert.deepEqual(r.diagnostics, []);
  const query = r.rules[0].query!;
  assert.equal(query.eventCategoryField, "event.type");
  assert.equal(
    query.terms[0].predicate(event({ event: { type: "process" }, process: { name: "sh" } })),
    true,
  );
  const unknown = loadToml(ruleToml({ rule: { event_category_override: '"event.kinds"' } }));
  assert.deepEqual(messages(warnings(unknown)), [
    "event_category_override: unknown field [event.kinds], not in ECS 9.4.0 + cloud_defend 1.2.5, did you mean [event.kind]?",
  ]);
});

test("other rule types load and are checked but carry no compiled query", () => {
  const r = loadToml(
    ruleToml({ rule: { type: '"query"', language: '"kuery"' }, query: "process.name: bash" }),
  );
  assert.deepEqual(r.diagnostics, []);
  assert.equal(r.rules[0].rule.type, "query");
  assert.equal(r.rules[0].query, undefined);
});

test("a query in an inline table is still compiled; its problems point at its key", () => {
  const text = `rule = { name = "Inline", description = "d", index = ["logs-*"], risk_score = 21, rule_id = "5b0a3c36-2c1e-4f4e-9a55-0d6c1f7e2a10", severity = "low", type = "eql", query = "process where process.name = 1" }\n`;
  const r = loadToml(text);
  const [d] = errors(r);
  assert.match(d.message, /'=' is not a comparison operator/);
  assert.deepEqual([d.line, d.column], [1, text.indexOf("query =") + 1]);
  assert.ok(loadToml(text.replace("name = 1", "name == 1")).rules[0].query);
});

test("a maxspan longer than the rule's window is a warning at the maxspan, naming the span a stream keeps; not with timestamp_override, nor within the window", () => {
  const query = `sequence by user.name with maxspan=10m
  [authentication where event.outcome == "failure"]
  [authentication where event.outcome == "success"]`;
  const cut = loadToml(ruleToml({ query, rule: { from: '"now-6m"' } }));
  const said = warnings(cut).filter((d) => d.code === "maxspan");
  assert.equal(said.length, 1);
  assert.equal(said[0].line, lineOf(ruleToml({ query, rule: { from: '"now-6m"' } }), "with maxspan"));
  assert.match(
    said[0].message,
    /^maxspan 10m is longer than the rule's window \(from now-6m to now: 6m\): .* spanning 6m at most/,
  );
  const ingested = loadToml(
    ruleToml({ query, rule: { from: '"now-6m"', timestamp_override: '"event.ingested"' } }),
  );
  assert.deepEqual(
    warnings(ingested).filter((d) => d.code === "maxspan"),
    [],
  );
  const within = loadToml(ruleToml({ query, rule: { from: '"now-11m"' } }));
  assert.deepEqual(
    warnings(within).filter((d) => d.code === "maxspan"),
    [],
  );
});
