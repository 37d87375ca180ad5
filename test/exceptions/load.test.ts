import assert from "node:assert/strict";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { exceptionFilter } from "../../src/exceptions/compile.ts";
import {
  loadExceptionFile,
  loadExceptionFiles,
  loadKibanaExport,
  loadPlainExceptions,
} from "../../src/exceptions/load.ts";
import { formatDiagnostic } from "../../src/exceptions/model.ts";

let dir = "";
before(async () => {
  dir = await mkdtemp(join(tmpdir(), "eqlite-exceptions-"));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

const ndjson = (...objects: unknown[]): string => objects.map((o) => JSON.stringify(o)).join("\n");

const RULE = {
  id: "5e1c1f3a-0000-4000-8000-000000000001",
  rule_id: "r-shell",
  name: "Shell in container",
  type: "eql",
  language: "eql",
  query: 'process where process.name == "bash"',
  exceptions_list: [{ id: "so-1", list_id: "ops-exceptions", type: "detection", namespace_type: "single" }],
};
const LIST = {
  _version: "WzEsMV0=",
  id: "so-1",
  list_id: "ops-exceptions",
  name: "Ops exceptions",
  description: "Known admin activity",
  type: "detection",
  namespace_type: "single",
  os_types: [],
  tags: [],
  immutable: false,
  version: 1,
};
const ITEM = {
  id: "so-2",
  item_id: "ops-1",
  list_id: "ops-exceptions",
  name: "Backups run tar",
  description: "",
  type: "simple",
  namespace_type: "single",
  comments: [{ comment: "approved by ops", created_by: "alice", id: "c1" }],
  entries: [
    { field: "process.name", operator: "included", type: "match", value: "tar" },
    { field: "user.name", operator: "included", type: "match_any", value: ["backup", "svc-backup"] },
  ],
  os_types: ["linux"],
  tags: [],
};
const SUMMARY = {
  exported_count: 3,
  exported_rules_count: 1,
  missing_rules: [],
  missing_rules_count: 0,
  exported_exception_list_count: 1,
  exported_exception_list_item_count: 1,
  missing_exception_list_item_count: 0,
};

test("Kibana export: lists and items read, the rule and the summary skipped", () => {
  const loaded = loadKibanaExport(`\uFEFF${ndjson(RULE, LIST, ITEM, SUMMARY)}\n`, "export.ndjson");
  assert.deepEqual(loaded.diagnostics, []);
  assert.equal(loaded.lists.length, 1);
  assert.deepEqual(loaded.lists[0], {
    list_id: "ops-exceptions",
    name: "Ops exceptions",
    type: "detection",
    namespace_type: "single",
    id: "so-1",
    description: "Known admin activity",
    os_types: [],
    tags: [],
    version: 1,
    origin: { file: "export.ndjson", line: 2 },
  });
  assert.equal(loaded.items.length, 1);
  const item = loaded.items[0];
  assert.equal(item.item_id, "ops-1");
  assert.equal(item.list_id, "ops-exceptions");
  assert.deepEqual(item.os_types, ["linux"]);
  assert.deepEqual(item.comments, [{ comment: "approved by ops", id: "c1", created_by: "alice" }]);
  assert.deepEqual(item.origin, { file: "export.ndjson", line: 3 });
  assert.deepEqual(item.entries[1], {
    type: "match_any",
    field: "user.name",
    operator: "included",
    value: ["backup", "svc-backup"],
  });
  assert.equal(loaded.allRules.length, 0);

  const keep = exceptionFilter([loaded.items]);
  assert.ok(!keep({ process: { name: "tar" }, user: { name: "backup" }, host: { os: { type: "linux" } } }));
  assert.ok(keep({ process: { name: "tar" }, user: { name: "root" }, host: { os: { type: "linux" } } }));
});

test("Kibana export: broken lines reported with line and column, bad items skipped, the rest loads", () => {
  const badEntry = {
    ...ITEM,
    item_id: "bad-1",
    entries: [{ field: "a", operator: "included", type: "regex", value: "x" }],
  };
  const noValue = {
    ...ITEM,
    item_id: "bad-2",
    entries: [{ field: "a", operator: "included", type: "match" }],
  };
  const exportsValue = {
    ...ITEM,
    item_id: "bad-3",
    entries: [{ field: "a", operator: "included", type: "exists", value: "x" }],
  };
  const connector = { id: "c", type: "action", attributes: { actionTypeId: ".email" }, references: [] };
  const text = [
    JSON.stringify(LIST),
    '{"item_id": "x", "entries": [}',
    "",
    JSON.stringify(badEntry),
    JSON.stringify(noValue),
    "[1, 2]",
    JSON.stringify(connector),
    JSON.stringify({ hello: "world" }),
    JSON.stringify(exportsValue),
    JSON.stringify(ITEM),
    JSON.stringify({ exported_exception_list_count: 1, exported_exception_list_item_count: 1 }),
  ].join("\r\n");
  const loaded = loadKibanaExport(text, "ex.ndjson");
  assert.equal(loaded.lists.length, 1);
  assert.deepEqual(
    loaded.items.map((i) => i.item_id),
    ["ops-1"],
  );
  assert.deepEqual(loaded.diagnostics.map(formatDiagnostic), [
    "ex.ndjson:2:30: invalid JSON: Unexpected token '}'; line skipped",
    'ex.ndjson:4: exception item "Backups run tar" (bad-1): entries[0]: unknown entry type "regex" (expected one of match, match_any, wildcard, exists, list, nested); skipped',
    'ex.ndjson:5: exception item "Backups run tar" (bad-2): entries[0]: match entry on "a" needs a non-empty string "value"; skipped',
    "ex.ndjson:6: expected a JSON object; line skipped",
    "ex.ndjson:8: warning: not an exception list, item, rule or export summary; line skipped",
    'ex.ndjson:9: exception item "Backups run tar" (bad-3): entries[0]: exists entry on "a" cannot have a "value"; skipped',
  ]);
});

test("Kibana export: entry shapes, nested and list entries, expire_time and namespace", () => {
  const item = {
    item_id: "n1",
    list_id: "endpoint_list",
    name: "signed",
    namespace_type: "agnostic",
    expire_time: "2030-01-01T00:00:00.000Z",
    entries: [
      {
        field: "file.Ext.code_signature",
        type: "nested",
        entries: [
          { field: "subject_name", operator: "included", type: "match", value: "Acme" },
          { field: "trusted", operator: "included", type: "match", value: "true" },
        ],
      },
      { field: "source.ip", operator: "excluded", type: "list", list: { id: "ips.txt", type: "ip" } },
      { field: "file.path", operator: "included", type: "wildcard", value: "/opt/*" },
    ],
  };
  const nestedList = {
    ...item,
    item_id: "n2",
    entries: [
      {
        field: "x",
        type: "nested",
        entries: [{ field: "y", operator: "included", type: "list", list: { id: "l", type: "ip" } }],
      },
    ],
  };
  const badTime = { ...item, item_id: "n3", expire_time: "next tuesday" };
  const loaded = loadKibanaExport(ndjson(item, nestedList, badTime), "e.ndjson");
  assert.equal(loaded.items.length, 1);
  const [read] = loaded.items;
  assert.equal(read.namespace_type, "agnostic");
  assert.equal(read.expire_time, "2030-01-01T00:00:00.000Z");
  assert.deepEqual(read.entries[0], {
    type: "nested",
    field: "file.Ext.code_signature",
    operator: "included",
    entries: [
      { type: "match", field: "subject_name", operator: "included", value: "Acme" },
      { type: "match", field: "trusted", operator: "included", value: "true" },
    ],
  });
  assert.deepEqual(read.entries[1], {
    type: "list",
    field: "source.ip",
    operator: "excluded",
    list: { id: "ips.txt", type: "ip" },
  });
  assert.deepEqual(loaded.diagnostics.map(formatDiagnostic), [
    'e.ndjson:2: exception item "signed" (n2): entries[0].entries[0]: a nested entry cannot hold a list entry; skipped',
    'e.ndjson:3: exception item "signed" (n3): "expire_time" is not a date and time: "next tuesday"; skipped',
  ]);
});

test("Kibana export: a __proto__ key or field never reaches Object.prototype", () => {
  const text = [
    '{"item_id":"p1","list_id":"l","name":"p","__proto__":{"polluted":"yes"},"entries":[{"field":"__proto__","operator":"included","type":"exists","__proto__":{"polluted":"yes"}}]}',
    '{"list_id":"__proto__","type":"detection","name":"odd","__proto__":{"polluted":"yes"}}',
  ].join("\n");
  const loaded = loadKibanaExport(text, "p.ndjson");
  assert.deepEqual(loaded.diagnostics, []);
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
  assert.equal(loaded.items.length, 1);
  assert.equal(loaded.lists[0].list_id, "__proto__");
  const keep = exceptionFilter([loaded.items]);
  assert.ok(keep({}), "{} has no own __proto__ field");
  assert.ok(!keep(JSON.parse('{"__proto__": "own"}')));
});

test("Kibana export loaded for all rules", async () => {
  const path = join(dir, "all.ndjson");
  await writeFile(path, ndjson(LIST, ITEM, SUMMARY));
  const loaded = await loadExceptionFile(path, { allRules: true });
  assert.deepEqual(loaded.diagnostics, []);
  assert.equal(loaded.allRules.length, 1);
  assert.equal(loaded.allRules[0], loaded.items[0]);
});

const PLAIN = `# exceptions for the container rules
[[value_list]]
id = "ci-hosts"
file = "lists/ci-hosts.txt"

[[value_list]]
id = "office"
type = "ip_range"
values = ["10.20.0.0/16", "192.168.7.1-192.168.7.50"]

[[exception]]
name = "CI runners install packages"
id = "ci-apt"
rules = ["r-pkg", "r-shell"]
os_types = ["linux"]
expire_time = 2099-12-31T00:00:00Z
entries = [
  { field = "process.name", type = "match_any", value = ["apt", "apt-get"] },
  { field = "host.name", type = "list", list = "ci-hosts" },
]

[[exception]]
name = "Office network"
all_rules = true
entries = [
  { field = "source.ip", type = "list", list = "office" },
  { field = "destination.port", type = "match", value = 22 },
  { field = "user.name", type = "match", operator = "excluded", value = "root" },
]

[[exception]]
name = "Team list"
list_id = "team"
entries = [{ field = "container.image.name", type = "wildcard", value = "registry.local/ci/*" }]

[[exception]]
name = "Nested"
rules = ["r-lib"]
entries = [
  { field = "dll", type = "nested", entries = [
    { field = "name", type = "match", value = "libfoo.so" },
    { field = "hash", type = "exists" },
  ] },
]
`;

test("plain TOML format: value lists, rules / all_rules / list_id scopes, entries", async () => {
  await mkdir(join(dir, "rules", "lists"), { recursive: true });
  await writeFile(join(dir, "rules", "lists", "ci-hosts.txt"), "# CI runners\nci-1\nci-2\n");
  const path = join(dir, "rules", "exceptions.toml");
  await writeFile(path, PLAIN);
  const loaded = await loadExceptionFile(path);
  assert.deepEqual(loaded.diagnostics.map(formatDiagnostic), []);

  assert.deepEqual([...loaded.valueLists.keys()], ["ci-hosts", "office"]);
  assert.equal(loaded.valueLists.get("ci-hosts")?.type, "keyword");
  assert.deepEqual([...loaded.byRuleId.keys()], ["r-pkg", "r-shell", "r-lib"]);
  const [ci] = loaded.byRuleId.get("r-pkg") ?? [];
  assert.equal(ci.item_id, "ci-apt");
  assert.equal(ci.expire_time, "2099-12-31T00:00:00.000Z");
  assert.deepEqual(ci.entries[1], {
    type: "list",
    field: "host.name",
    operator: "included",
    list: { id: "ci-hosts", type: "keyword" },
  });
  assert.deepEqual(ci.origin, { file: path, line: 11 });
  assert.deepEqual(
    loaded.allRules.map((i) => [i.name, i.item_id, i.origin?.line]),
    [["Office network", "exceptions.toml#2", 22]],
  );
  assert.deepEqual(
    loaded.items.map((i) => [i.item_id, i.list_id]),
    [["exceptions.toml#3", "team"]],
  );
  // value = 22 is read as the text "22"
  assert.deepEqual(loaded.allRules[0].entries[1], {
    type: "match",
    field: "destination.port",
    operator: "included",
    value: "22",
  });

  const valueLists = loaded.valueLists;
  const ciKeep = exceptionFilter([[ci]], { valueLists });
  assert.ok(!ciKeep({ process: { name: "apt-get" }, host: { name: "ci-2", os: { type: "linux" } } }));
  assert.ok(ciKeep({ process: { name: "apt-get" }, host: { name: "laptop", os: { type: "linux" } } }));
  const officeKeep = exceptionFilter([loaded.allRules], { valueLists });
  assert.ok(!officeKeep({ source: { ip: "10.20.3.4" }, destination: { port: 22 }, user: { name: "dev" } }));
  assert.ok(!officeKeep({ source: { ip: "192.168.7.50" }, destination: { port: 22 } }));
  assert.ok(officeKeep({ source: { ip: "10.20.3.4" }, destination: { port: 22 }, user: { name: "root" } }));
  assert.ok(officeKeep({ source: { ip: "10.21.3.4" }, destination: { port: 22 } }));
});

test("plain TOML: a broken file is reported with line and column, and loads nothing", async () => {
  const loaded = await loadPlainExceptions(
    '[[exception]]\nname = "x"\nentries = [ { field = "a", type = } ]\n',
    "bad.toml",
  );
  assert.equal(loaded.allRules.length + loaded.items.length + loaded.byRuleId.size, 0);
  assert.equal(loaded.diagnostics.length, 1);
  const [d] = loaded.diagnostics;
  assert.equal(d.file, "bad.toml");
  assert.equal(d.line, 3);
  assert.equal(typeof d.column, "number");
  assert.match(formatDiagnostic(d), /^bad\.toml:3:\d+: invalid TOML: /);

  const single = await loadPlainExceptions(
    '# one table, not an array of them\n[exception]\nname = "x"\n',
    "one.toml",
  );
  assert.deepEqual(single.diagnostics.map(formatDiagnostic), [
    'one.toml:2: "exception" must be [[exception]] tables',
  ]);
});

test("plain TOML: each problem is reported at its table and costs only its item", async () => {
  const text = `[[value_list]]
id = "gone"
file = "missing.txt"

[[exception]]
name = "unknown type"
rules = ["r1"]
entries = [{ field = "a", type = "regex", value = "x" }]

[[exception]]
name = "missing value"
rules = ["r1"]
entries = [{ field = "a", type = "match" }]

[[exception]]
name = "uses a list that could not be read"
rules = ["r1"]
entries = [{ field = "a", type = "list", list = "gone" }]

[[exception]]
name = "good"
rule = ["typo"]
rules = ["r1"]
entries = [{ field = "a", type = "exists" }]

[[exception]]
name = "nowhere"
entries = [{ field = "a", type = "exists" }]

[[exception]]
name = "expired"
rules = ["r1"]
expire_time = "tomorrow-ish"
entries = [{ field = "a", type = "exists" }]

[[exception]]
entries = []
all_rules = true

[exceptoin]
x = 1
`;
  const path = join(dir, "problems.toml");
  await writeFile(path, text);
  const loaded = await loadExceptionFile(path);
  assert.deepEqual(
    (loaded.byRuleId.get("r1") ?? []).map((i) => i.name),
    ["good"],
  );
  assert.deepEqual(loaded.diagnostics.map(formatDiagnostic), [
    `${path}:40: warning: unknown key "exceptoin" (expected [[exception]] and [[value_list]] tables)`,
    `${path}:1: value list "gone": ${join(dir, "missing.txt")}: value list file not found`,
    `${path}:5: exception "unknown type": entries[0]: unknown entry type "regex" (expected one of match, match_any, wildcard, exists, list, nested); not loaded`,
    `${path}:10: exception "missing value": entries[0]: match entry on "a" needs a non-empty string "value"; not loaded`,
    `${path}:15: exception "uses a list that could not be read": entries[0]: value list "gone" is not declared by a [[value_list]] of this file (or could not be read); write list = { id = "gone", type = "..." } for a list loaded elsewhere; not loaded`,
    `${path}:20: warning: exception "good": unknown key "rule" (ignored)`,
    `${path}:26: warning: exception "nowhere" applies to no rule: give it rules, all_rules = true or a list_id`,
    `${path}:30: exception "expired": "expire_time" is not a date and time: "tomorrow-ish"; not loaded`,
    `${path}:36: exception #7: entries: needs a non-empty array of entries; not loaded`,
  ]);
});

test("plain TOML given for all rules: unscoped exceptions apply to every rule", async () => {
  const text = '[[exception]]\nname = "n"\nentries = [{ field = "a", type = "exists" }]\n';
  const loaded = await loadPlainExceptions(text, "x.toml", { allRules: true });
  assert.deepEqual(loaded.diagnostics, []);
  assert.equal(loaded.allRules.length, 1);
});

test("plain TOML: a detection-rules exception file is recognised and refused clearly", async () => {
  const text = `[metadata]
creation_date = "2024/01/01"
list_name = "x"
rule_ids = []
rule_names = []
updated_date = "2024/01/01"

[[exceptions]]
[exceptions.container]
name = "x"
`;
  const loaded = await loadPlainExceptions(text, "dr.toml");
  assert.match(
    formatDiagnostic(loaded.diagnostics[0]),
    /^dr\.toml:1: this is a detection-rules exception file/,
  );
});

test("plain TOML: __proto__ keys and fields stay data", async () => {
  const text = `[[exception]]
name = "p"
all_rules = true
"__proto__" = { polluted = "yes" }
entries = [{ field = "__proto__", type = "exists", "__proto__" = { polluted = "yes" } }]
`;
  const loaded = await loadPlainExceptions(text, "p.toml");
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
  assert.deepEqual(loaded.diagnostics.map(formatDiagnostic), [
    'p.toml:1: warning: exception "p": unknown key "__proto__" (ignored)',
  ]);
  const keep = exceptionFilter([loaded.allRules]);
  assert.ok(keep({}));
});

test("loading several files; missing and oversized files are reported, the others load", async () => {
  const a = join(dir, "a.toml");
  await writeFile(
    a,
    '[[value_list]]\nid = "v"\nvalues = ["1"]\n[[exception]]\nall_rules = true\nentries = [{ field = "a", type = "exists" }]\n',
  );
  const b = join(dir, "b.toml");
  await writeFile(b, '[[value_list]]\nid = "v"\nvalues = ["2"]\n');
  const big = join(dir, "big.ndjson");
  await writeFile(big, `${JSON.stringify(ITEM)}\n`.repeat(5000));
  const loaded = await loadExceptionFiles([a, join(dir, "none.toml"), b], {});
  assert.equal(loaded.allRules.length, 1);
  assert.ok(loaded.valueLists.get("v")?.has("1"));
  assert.deepEqual(loaded.diagnostics.map(formatDiagnostic), [
    `${join(dir, "none.toml")}: exception file not found`,
    `${b}: warning: value list "v" is already loaded from ${a}; this one is ignored`,
  ]);
  const refused = await loadExceptionFile(big, { maxBytes: 64 * 1024 });
  assert.deepEqual(refused.diagnostics.map(formatDiagnostic), [
    `${big}: exception file is larger than the limit of 65536 bytes; refused`,
  ]);
});

test("the format is chosen by extension, else by content", async () => {
  const noExt = join(dir, "exceptions");
  await writeFile(noExt, ndjson(LIST, ITEM));
  assert.equal((await loadExceptionFile(noExt)).items.length, 1);
  const tomlNoExt = join(dir, "exceptions-plain");
  await writeFile(
    tomlNoExt,
    '[[exception]]\nall_rules = true\nentries = [{ field = "a", type = "exists" }]\n',
  );
  assert.equal((await loadExceptionFile(tomlNoExt)).allRules.length, 1);
});
