// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${name} in a note is a Python string.Template placeholder
import assert from "node:assert/strict";
import { test } from "node:test";
import { deserialize, serialize } from "node:v8";
import { buildEventAlert } from "../../src/engine/alert.ts";
import { sourceIdentity } from "../../src/engine/source-identity.ts";
import { loadRuleText } from "../../src/rules/load-rule-text.ts";
import { loadRules } from "../../src/rules/load-rules.ts";
import { renderTransformNote } from "../../src/rules/transform-note.ts";
import { execEvent, minimalEqlRule, NOW } from "../engine/fixtures.ts";
import {
  errors,
  lineOf,
  loadToml,
  messages,
  ruleToml,
  sharedPath,
  skipWithoutShared,
  warnings,
} from "./fixtures.ts";

// Keys written out of order and a multi-line query: packaging sorts the keys and keeps the
// query's line ends as JSON escapes.
const TRANSFORM = `
[transform]
[[transform.osquery]]
label = "Open sockets"
query = """
SELECT pid, remote_address FROM process_open_sockets
WHERE pid = {{process.pid}}
"""

[[transform.investigate]]
label = "Events of the same process"
description = ""
providers = [
  [
    { excluded = false, field = "host.id", queryType = "phrase", value = "{{host.id}}", valueType = "string" },
    { valueType = "boolean", value = "true", queryType = "phrase", field = "process.interactive", excluded = true },
  ],
  [
    { excluded = false, field = "process.pid", queryType = "range", value = "{{process.pid}}", valueType = "string" },
  ],
]
relativeFrom = "now-1h"
relativeTo = "now"

[[transform.investigate]]
providers = [[{ field = "user.name", excluded = false, queryType = "phrase", value = "{{user.name}}", valueType = "string" }]]
label = 'Café "user" events'
`;

const NOTE = `"""## Triage
- $investigate_0
- \${investigate_1}
- $osquery_0
- Costs $$5; $HOME, $1 and $Osquery_0 stay.
"""`;

const RENDERED = [
  "## Triage",
  `- !{investigate{"description":"","label":"Events of the same process","providers":[[{"excluded":false,"field":"host.id","queryType":"phrase","value":"{{host.id}}","valueType":"string"},{"excluded":true,"field":"process.interactive","queryType":"phrase","value":"true","valueType":"boolean"}],[{"excluded":false,"field":"process.pid","queryType":"range","value":"{{process.pid}}","valueType":"string"}]],"relativeFrom":"now-1h","relativeTo":"now"}}`,
  String.raw`- !{investigate{"label":"Caf\u00e9 \"user\" events","providers":[[{"excluded":false,"field":"user.name","queryType":"phrase","value":"{{user.name}}","valueType":"string"}]]}}`,
  String.raw`- !{osquery{"label":"Open sockets","query":"SELECT pid, remote_address FROM process_open_sockets\nWHERE pid = {{process.pid}}\n"}}`,
  "- Costs $5; $HOME, $1 and $Osquery_0 stay.",
  "",
].join("\n");

test("a TOML rule's note has its [transform] plugins in place of their placeholders, as Kibana's prebuilt rule has it", () => {
  const r = loadToml(ruleToml({ rule: { note: NOTE }, tail: TRANSFORM }));
  assert.deepEqual(r.diagnostics, []);
  const [{ rule }] = r.rules;
  assert.equal(rule.note, RENDERED);

  // what every consumer of the rule sees, the alert first
  const event = execEvent();
  const alert = buildEventAlert(rule, event, sourceIdentity(event), { now: NOW });
  assert.equal(alert["kibana.alert.rule.note"], RENDERED);
  assert.equal((alert["kibana.alert.rule.parameters"] as { note?: string }).note, RENDERED);
});

test("the note rendered when first read is the rendered note to every reader: copies, JSON, clones, the rule cache's serializer", () => {
  const load = () => loadToml(ruleToml({ rule: { note: NOTE }, tail: TRANSFORM })).rules[0].rule;
  assert.equal({ ...load() }.note, RENDERED);
  assert.equal(JSON.parse(JSON.stringify(load())).note, RENDERED);
  assert.equal(structuredClone(load()).note, RENDERED);
  assert.equal((deserialize(serialize(load())) as { note?: string }).note, RENDERED);
  assert.ok(Object.keys(load()).includes("note"));
  // written over, it is what was written
  const rule = load();
  rule.note = "replaced";
  assert.equal(rule.note, "replaced");
});

test("a rule without [transform] keeps its note as written, $$ included", () => {
  const note = '"""Costs $$5 in $HOME."""';
  const r = loadToml(ruleToml({ rule: { note } }));
  assert.deepEqual(r.diagnostics, []);
  assert.equal(r.rules[0].rule.note, "Costs $$5 in $HOME.");
});

test("a placeholder with no entry stays as written and is warned about at the note; so is an entry the note leaves out", () => {
  const note = `"""- $osquery_0
- $osquery_3
- $investigate_0
- $osquery_3 again
"""`;
  const text = ruleToml({ rule: { note }, tail: TRANSFORM });
  const r = loadToml(text);
  assert.deepEqual(errors(r), []);
  const note0 = r.rules[0].rule.note!;
  assert.match(note0, /^- !\{osquery\{/);
  assert.match(note0, /\n- \$osquery_3\n/);
  assert.match(note0, /\n- \$osquery_3 again\n$/);
  assert.deepEqual(
    warnings(r).map((d) => [d.code, d.line, d.message]),
    [
      [
        "transform",
        lineOf(text, "note = "),
        "note: $osquery_3 names no entry of [transform]; it is left as written",
      ],
      [
        "transform",
        lineOf(text, 'providers = [[{ field = "user.name"') - 1,
        "[[transform.investigate]] entry 1 is not in the note ($investigate_1 is not there)",
      ],
    ],
  );
});

test("placeholders in the note of a rule with no [transform] are warned about and left as written", () => {
  const r = loadToml(ruleToml({ rule: { note: '"See $osquery_0 and ${investigate_1}; $HOME is fine."' } }));
  assert.deepEqual(messages(warnings(r)), [
    "note: $osquery_0 names a [transform] entry, but the rule has no [transform]; it is left as written",
    "note: ${investigate_1} names a [transform] entry, but the rule has no [transform]; it is left as written",
  ]);
  assert.equal(r.rules[0].rule.note, "See $osquery_0 and ${investigate_1}; $HOME is fine.");
});

test("an exported rule's note is left alone: Kibana exports it rendered", () => {
  const exported = minimalEqlRule(1, 'process where process.name == "sh"', {
    index: ["logs-*"],
    note: "- $osquery_0 costs $$5",
  });
  const r = loadRuleText(JSON.stringify(exported), "export.ndjson");
  assert.deepEqual(r.diagnostics, []);
  assert.equal(r.rules[0].rule.note, "- $osquery_0 costs $$5");
});

test("entries render as Python's json.dumps(sort_keys=True, separators=(',', ':')) writes them", () => {
  const transform = {
    osquery: [
      {
        query: "SELECT 1",
        label: "ctl\u0001 del\u007f tab\t emoji \u{1F600} slash / back\\",
        ecs_mapping: {
          "z.field": { value: "v" },
          "a.field": { field: "f" },
          "2": { field: "two" },
          "10": { field: "ten" },
        },
      },
    ],
  };
  assert.equal(
    renderTransformNote("$osquery_0", transform).note,
    String.raw`!{osquery{"ecs_mapping":{"10":{"field":"ten"},"2":{"field":"two"},"a.field":{"field":"f"},"z.field":{"value":"v"}},"label":"ctl\u0001 del\u007f tab\t emoji \ud83d\ude00 slash / back\\","query":"SELECT 1"}}`,
  );
});

test("no placeholder is left unwarned in the notes of the detection-rules corpus", {
  skip: skipWithoutShared("the detection-rules corpus", "corpus/detection-rules"),
}, async () => {
  const r = await loadRules([sharedPath("corpus", "detection-rules")]);
  const warned = new Set(
    r.diagnostics.filter((d) => d.code === "transform").map((d) => `${d.file}\u0000${d.message}`),
  );
  let rendered = 0;
  const unwarned: string[] = [];
  for (const { rule, transform, origin } of r.rules) {
    if (transform && rule.note?.includes("!{")) rendered++;
    for (const [placeholder] of (rule.note ?? "").matchAll(/\$\{?(?:osquery|investigate)_\d+\}?/g)) {
      const said = [...warned].some((w) => w.startsWith(`${origin.file}\u0000note: ${placeholder} `));
      if (!said) unwarned.push(`${origin.file}: ${placeholder}`);
    }
  }
  // a placeholder packaging cannot fill stays, as in Kibana's package, and is warned about
  assert.deepEqual(unwarned, []);
  assert.ok(rendered >= 200, `${rendered} notes rendered`);
});
