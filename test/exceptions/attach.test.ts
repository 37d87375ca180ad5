import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { attachExceptions } from "../../src/exceptions/attach.ts";
import { exceptionFilter, KEEP_ALL } from "../../src/exceptions/compile.ts";
import { emptyExceptions, loadExceptionFiles } from "../../src/exceptions/load.ts";
import { type ExceptionItem, formatDiagnostic } from "../../src/exceptions/model.ts";

let dir = "";
before(async () => {
  dir = await mkdtemp(join(tmpdir(), "eqlite-attach-"));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

function item(itemId: string, listId: string, field = "process.name", value = itemId): ExceptionItem {
  return {
    item_id: itemId,
    list_id: listId,
    name: itemId,
    namespace_type: "single",
    entries: [{ type: "match", field, operator: "included", value }],
  };
}

const ref = (listId: string) => ({
  id: `so-${listId}`,
  list_id: listId,
  type: "detection",
  namespace_type: "single",
});

test("items reach rules through exceptions_list (by list_id), rules = [...] and all rules, without duplicates", () => {
  const loaded = emptyExceptions();
  const a1 = item("a1", "list-a");
  const a2 = item("a2", "list-a");
  const b1 = item("b1", "list-b");
  const named = item("named", "exceptions.toml");
  const everywhere = item("everywhere", "exceptions.toml");
  loaded.lists.push({ list_id: "list-a", name: "A", type: "detection", namespace_type: "single" });
  loaded.items.push(a1, a2, b1);
  loaded.byRuleId.set("r2", [named]);
  loaded.allRules.push(everywhere, a1);

  const { byRule, diagnostics } = attachExceptions(
    [
      { rule_id: "r1", exceptions_list: [ref("list-a")] },
      { rule_id: "r2", exceptions_list: [ref("list-b"), ref("list-a")] },
      { rule_id: "r3" },
    ],
    loaded,
  );
  assert.deepEqual(diagnostics, []);
  const ids = (ruleId: string) => byRule.get(ruleId)?.map((i) => i.item_id);
  assert.deepEqual(ids("r1"), ["a1", "a2", "everywhere"]);
  assert.deepEqual(ids("r2"), ["b1", "a1", "a2", "named", "everywhere"]);
  assert.deepEqual(ids("r3"), ["everywhere", "a1"]);
});

test("lists that were not loaded: a warning for each rule missing its own; a loaded list without items is no problem", () => {
  const loaded = emptyExceptions();
  loaded.lists.push({ list_id: "empty", name: "E", type: "rule_default", namespace_type: "single" });
  const { byRule, diagnostics } = attachExceptions(
    [
      {
        rule_id: "r1",
        name: "Reverse shell",
        source: "rules/linux/reverse_shell.toml",
        exceptions_list: [ref("endpoint_list"), ref("gone"), ref("endpoint_list"), ref("empty")],
      },
      { rule_id: "r2", exceptions_list: [ref("endpoint_list")] },
      { rule_id: "r3", exceptions_list: [ref("empty")] },
    ],
    loaded,
  );
  assert.deepEqual(byRule.get("r1"), []);
  assert.deepEqual(diagnostics.map(formatDiagnostic), [
    'rules/linux/reverse_shell.toml: warning: rule "Reverse shell" (r1) uses exception lists "endpoint_list", "gone", which were not loaded; their exceptions are not applied',
    'warning: rule r2 uses exception list "endpoint_list", which was not loaded; its exceptions are not applied',
  ]);
});

test("rules missing the same lists share one warning, naming a few and counting the rest", () => {
  const rules = ["a", "b", "c", "d", "e"].map((id) => ({
    rule_id: id,
    name: `Rule ${id.toUpperCase()}`,
    exceptions_list: [ref("endpoint_list")],
  }));
  const { diagnostics } = attachExceptions(
    [...rules, { rule_id: "f", exceptions_list: [ref("endpoint_list"), ref("gone")] }],
    emptyExceptions(),
  );
  assert.deepEqual(diagnostics.map(formatDiagnostic), [
    'warning: 5 rules use exception list "endpoint_list", which was not loaded; its exceptions are not applied: rule "Rule A" (a), rule "Rule B" (b), rule "Rule C" (c) and 2 more',
    'warning: rule f uses exception lists "endpoint_list", "gone", which were not loaded; their exceptions are not applied',
  ]);
  const two = attachExceptions(rules.slice(0, 2), emptyExceptions()).diagnostics;
  assert.deepEqual(two.map(formatDiagnostic), [
    'warning: 2 rules use exception list "endpoint_list", which was not loaded; its exceptions are not applied: rule "Rule A" (a), rule "Rule B" (b)',
  ]);
});

test("rule ids and list ids named like Object.prototype members are ordinary keys", () => {
  const loaded = emptyExceptions();
  loaded.items.push(item("p", "__proto__"));
  loaded.byRuleId.set("constructor", [item("c", "x")]);
  const { byRule, diagnostics } = attachExceptions(
    [
      { rule_id: "toString", exceptions_list: [ref("__proto__")] },
      { rule_id: "constructor", exceptions_list: [ref("hasOwnProperty")] },
    ],
    loaded,
  );
  assert.deepEqual(
    byRule.get("toString")?.map((i) => i.item_id),
    ["p"],
  );
  assert.deepEqual(
    byRule.get("constructor")?.map((i) => i.item_id),
    ["c"],
  );
  assert.equal(diagnostics.length, 1);
  assert.match(diagnostics[0].message, /"hasOwnProperty", which was not loaded/);
});

test("end to end: an export and a plain file, attached and compiled once per item for every rule", async () => {
  const exportPath = join(dir, "export.ndjson");
  await writeFile(
    exportPath,
    [
      { rule_id: "r-shell", name: "Shell", type: "eql", exceptions_list: [ref("ops")] },
      { list_id: "ops", name: "Ops", type: "detection", namespace_type: "single" },
      {
        item_id: "ops-1",
        list_id: "ops",
        name: "ops tar",
        namespace_type: "single",
        type: "simple",
        entries: [{ field: "process.name", operator: "included", type: "match", value: "tar" }],
      },
      { exported_count: 2 },
    ]
      .map((o) => JSON.stringify(o))
      .join("\n"),
  );
  const plainPath = join(dir, "exceptions.toml");
  await writeFile(
    plainPath,
    `[[value_list]]
id = "scanners"
type = "ip"
values = ["10.9.9.9"]

[[exception]]
name = "vulnerability scanner"
all_rules = true
entries = [{ field = "source.ip", type = "list", list = "scanners" }]

[[exception]]
name = "package builds"
rules = ["r-pkg"]
entries = [
  { field = "container.image.name", type = "wildcard", value = "builder:*" },
  { field = "process.name", type = "match_any", value = ["apt", "dpkg"] },
]
`,
  );
  const loaded = await loadExceptionFiles([exportPath, plainPath]);
  assert.deepEqual(loaded.diagnostics, []);
  const rules = [
    { rule_id: "r-shell", exceptions_list: [ref("ops")] },
    { rule_id: "r-pkg", exceptions_list: [] },
    { rule_id: "r-other" },
  ];
  const attached = attachExceptions(rules, loaded);
  const cache = new Map();
  const diagnostics = loaded.diagnostics;
  const filters = new Map(
    rules.map((r) => [
      r.rule_id,
      exceptionFilter([attached.byRule.get(r.rule_id) ?? []], {
        valueLists: loaded.valueLists,
        cache,
        diagnostics,
      }),
    ]),
  );
  assert.deepEqual(diagnostics, []);
  assert.equal(cache.size, 3);
  const shell = filters.get("r-shell")!;
  const pkg = filters.get("r-pkg")!;
  const other = filters.get("r-other")!;
  assert.notEqual(other, KEEP_ALL);

  const tar = { process: { name: "tar" } };
  const scanner = { source: { ip: "10.9.9.9" }, process: { name: "nmap" } };
  const build = { container: { image: { name: "builder:1.2" } }, process: { name: "dpkg" } };
  const buildElsewhere = { container: { image: { name: "web:1.2" } }, process: { name: "dpkg" } };
  assert.deepEqual(
    [tar, scanner, build, buildElsewhere].map((e) => [shell(e), pkg(e), other(e)]),
    [
      [false, true, true],
      [false, false, false],
      [true, false, true],
      [true, true, true],
    ],
  );
});
