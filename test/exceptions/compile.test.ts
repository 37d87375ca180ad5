import assert from "node:assert/strict";
import { test } from "node:test";
import {
  compileExceptionItem,
  compileExceptionList,
  ExceptionCompileError,
  exceptionFilter,
  KEEP_ALL,
} from "../../src/exceptions/compile.ts";
import type { Diagnostic, ExceptionEntry, ExceptionItem } from "../../src/exceptions/model.ts";
import { buildValueList, type ValueList } from "../../src/exceptions/value-lists.ts";

type Event = Record<string, unknown>;

function item(entries: ExceptionEntry[], extra: Partial<ExceptionItem> = {}): ExceptionItem {
  return { item_id: "i1", list_id: "l1", name: "test item", namespace_type: "single", entries, ...extra };
}

/** The predicate of one entry: "is this event excepted". */
function entry(e: ExceptionEntry, valueLists?: Map<string, ValueList>): (event: Event) => boolean {
  return compileExceptionItem(item([e]), valueLists ? { valueLists } : {});
}

test("match: exact, case-sensitive, any value of an array; excluded holds on a missing field", () => {
  const inc = entry({ type: "match", field: "process.name", operator: "included", value: "bash" });
  const exc = entry({ type: "match", field: "process.name", operator: "excluded", value: "bash" });
  const cases: Array<[Event, boolean]> = [
    [{ process: { name: "bash" } }, true],
    [{ "process.name": "bash" }, true],
    [{ process: { name: "Bash" } }, false],
    [{ process: { name: "bash2" } }, false],
    [{ process: { name: ["sh", "bash"] } }, true],
    [{ process: [{ name: "sh" }, { name: "bash" }] }, true],
    [{ process: { name: null } }, false],
    [{}, false],
  ];
  for (const [event, excepted] of cases) {
    assert.equal(inc(event), excepted, JSON.stringify(event));
    assert.equal(exc(event), !excepted, `excluded ${JSON.stringify(event)}`);
  }
});

test("match compares numbers and booleans as their text, as a keyword match_phrase does", () => {
  const port = entry({ type: "match", field: "destination.port", operator: "included", value: "443" });
  assert.ok(port({ destination: { port: 443 } }));
  assert.ok(port({ destination: { port: "443" } }));
  assert.ok(!port({ destination: { port: 4430 } }));
  const flag = entry({ type: "match", field: "process.interactive", operator: "included", value: "true" });
  assert.ok(flag({ process: { interactive: true } }));
  assert.ok(!flag({ process: { interactive: false } }));
});

test("match_any: any of the values; excluded: none of them", () => {
  const inc = entry({
    type: "match_any",
    field: "user.name",
    operator: "included",
    value: ["root", "admin"],
  });
  const exc = entry({
    type: "match_any",
    field: "user.name",
    operator: "excluded",
    value: ["root", "admin"],
  });
  assert.ok(inc({ user: { name: "admin" } }));
  assert.ok(inc({ user: { name: ["guest", "root"] } }));
  assert.ok(!inc({ user: { name: "ROOT" } }));
  assert.ok(!inc({}));
  assert.ok(!exc({ user: { name: "root" } }));
  assert.ok(exc({ user: { name: "guest" } }));
  assert.ok(exc({}));
});

test("wildcard: * and ?, whole value, case-sensitive", () => {
  const inc = entry({
    type: "wildcard",
    field: "file.path",
    operator: "included",
    value: "/usr/*/python3.?",
  });
  const exc = entry({
    type: "wildcard",
    field: "file.path",
    operator: "excluded",
    value: "/usr/*/python3.?",
  });
  assert.ok(inc({ file: { path: "/usr/bin/python3.9" } }));
  assert.ok(inc({ file: { path: "/usr/local/bin/python3.8" } }));
  assert.ok(!inc({ file: { path: "/usr/bin/python3.10" } }));
  assert.ok(!inc({ file: { path: "/USR/bin/python3.9" } }));
  assert.ok(!inc({ file: { path: "/opt/usr/bin/python3.9" } }));
  assert.ok(inc({ file: { path: ["/bin/sh", "/usr/bin/python3.9"] } }));
  assert.ok(!exc({ file: { path: "/usr/bin/python3.9" } }));
  assert.ok(exc({ file: { path: "/bin/sh" } }));
  assert.ok(exc({}));
});

test("wildcard: backslash escapes as in an Elasticsearch wildcard query", () => {
  const windows = entry({
    type: "wildcard",
    field: "process.executable",
    operator: "included",
    value: "C:\\\\Windows\\\\*.exe",
  });
  assert.ok(windows({ process: { executable: "C:\\Windows\\notepad.exe" } }));
  assert.ok(!windows({ process: { executable: "C:Windowsnotepad.exe" } }));
  const literalStar = entry({ type: "wildcard", field: "m", operator: "included", value: "a\\*b*" });
  assert.ok(literalStar({ m: "a*bcd" }));
  assert.ok(!literalStar({ m: "axbcd" }));
  const literalQuestion = entry({ type: "wildcard", field: "m", operator: "included", value: "why\\?" });
  assert.ok(literalQuestion({ m: "why?" }));
  assert.ok(!literalQuestion({ m: "whyX" }));
  // a lone backslash before an ordinary character stands for that character
  const sloppy = entry({ type: "wildcard", field: "m", operator: "included", value: "C:\\Temp\\*" });
  assert.ok(sloppy({ m: "C:Temp*" }));
  assert.ok(!sloppy({ m: "C:\\Temp\\x" }));
  const trailing = entry({ type: "wildcard", field: "m", operator: "included", value: "dir\\" });
  assert.ok(trailing({ m: "dir\\" }));
});

test("exists: a non-null value; excluded: absent, null or empty", () => {
  const inc = entry({ type: "exists", field: "process.parent.name", operator: "included" });
  const exc = entry({ type: "exists", field: "process.parent.name", operator: "excluded" });
  const cases: Array<[Event, boolean]> = [
    [{ process: { parent: { name: "sshd" } } }, true],
    [{ "process.parent.name": "" }, true],
    [{ process: { parent: { name: 0 } } }, true],
    [{ process: { parent: { name: false } } }, true],
    [{ process: { parent: { name: null } } }, false],
    [{ process: { parent: { name: [] } } }, false],
    [{ process: { parent: { name: [null] } } }, false],
    [{ process: { parent: {} } }, false],
    [{}, false],
  ];
  for (const [event, exists] of cases) {
    assert.equal(inc(event), exists, JSON.stringify(event));
    assert.equal(exc(event), !exists, `excluded ${JSON.stringify(event)}`);
  }
  const object = entry({ type: "exists", field: "process.parent", operator: "included" });
  assert.ok(object({ process: { parent: { pid: 1 } } }));
  assert.ok(!object({ process: { parent: { pid: null } } }));
});

function lists(...built: ValueList[]): Map<string, ValueList> {
  return new Map(built.map((l) => [l.id, l]));
}

function valueList(id: string, type: "keyword" | "ip" | "ip_range", values: string[]): ValueList {
  const built = buildValueList(
    id,
    type,
    values.map((text) => ({ text })),
    `${id}.txt`,
  );
  assert.deepEqual(built.diagnostics, []);
  return built.list;
}

test("list (keyword): membership, excluded on missing", () => {
  const vl = lists(valueList("hosts", "keyword", ["build-1", "build-2", "8080"]));
  const inc = entry(
    { type: "list", field: "host.name", operator: "included", list: { id: "hosts", type: "keyword" } },
    vl,
  );
  const exc = entry(
    { type: "list", field: "host.name", operator: "excluded", list: { id: "hosts", type: "keyword" } },
    vl,
  );
  assert.ok(inc({ host: { name: "build-2" } }));
  assert.ok(inc({ host: { name: ["web", "build-1"] } }));
  assert.ok(inc({ host: { name: 8080 } }));
  assert.ok(!inc({ host: { name: "BUILD-1" } }));
  assert.ok(!inc({}));
  assert.ok(!exc({ host: { name: "build-1" } }));
  assert.ok(exc({ host: { name: "web" } }));
  assert.ok(exc({}));
});

test("list (ip): canonical IP equality, IPv4 and IPv6", () => {
  const vl = lists(valueList("ips", "ip", ["10.0.0.1", "2001:DB8:0:0::1", "::ffff:192.168.1.1"]));
  const inc = entry(
    { type: "list", field: "source.ip", operator: "included", list: { id: "ips", type: "ip" } },
    vl,
  );
  assert.ok(inc({ source: { ip: "10.0.0.1" } }));
  assert.ok(inc({ source: { ip: "::ffff:10.0.0.1" } }));
  assert.ok(inc({ source: { ip: "2001:db8::1" } }));
  assert.ok(inc({ source: { ip: "2001:0db8:0000::0001" } }));
  assert.ok(inc({ source: { ip: "192.168.1.1" } }));
  assert.ok(!inc({ source: { ip: "10.0.0.2" } }));
  assert.ok(!inc({ source: { ip: "not an ip" } }));
  assert.ok(!inc({ source: { ip: 167772161 } }));
});

test("list (ip_range): CIDR blocks and dash ranges, IPv4 and IPv6, bounds included", () => {
  const vl = lists(
    valueList("nets", "ip_range", [
      "10.0.0.0/8",
      "192.168.1.10-192.168.1.20",
      "192.168.1.15-192.168.1.30",
      "172.16.5.5",
      "fd00::/8",
      "2001:db8::10-2001:db8::20",
    ]),
  );
  const inc = entry(
    { type: "list", field: "destination.ip", operator: "included", list: { id: "nets", type: "ip_range" } },
    vl,
  );
  const exc = entry(
    { type: "list", field: "destination.ip", operator: "excluded", list: { id: "nets", type: "ip_range" } },
    vl,
  );
  for (const ip of [
    "10.1.2.3",
    "192.168.1.10",
    "192.168.1.25",
    "192.168.1.30",
    "172.16.5.5",
    "fd12:3456::1",
    "2001:db8::10",
    "2001:db8::1a",
    "2001:db8::20",
    "::ffff:10.9.9.9",
  ])
    assert.ok(inc({ destination: { ip } }), ip);
  for (const ip of ["11.0.0.1", "192.168.1.9", "192.168.1.31", "172.16.5.6", "fe80::1", "2001:db8::21", "x"])
    assert.ok(!inc({ destination: { ip } }), ip);
  assert.ok(exc({ destination: { ip: "8.8.8.8" } }));
  assert.ok(!exc({ destination: { ip: "10.0.0.1" } }));
  assert.ok(exc({}));
});

test("list entries: a list that is not loaded, of another type, or of a type Kibana does not apply", () => {
  const vl = lists(valueList("hosts", "keyword", ["a"]));
  const broken: Array<[ExceptionEntry, RegExp]> = [
    [
      { type: "list", field: "f", operator: "included", list: { id: "nope", type: "keyword" } },
      /"nope" is not loaded/,
    ],
    [
      { type: "list", field: "f", operator: "included", list: { id: "hosts", type: "ip" } },
      /expects a value list of type ip/,
    ],
    [
      { type: "list", field: "f", operator: "included", list: { id: "hosts", type: "long" } },
      /type long; Kibana does not apply/,
    ],
  ];
  for (const [e, message] of broken)
    assert.throws(
      () => compileExceptionItem(item([e]), { valueLists: vl }),
      (error: unknown) => error instanceof ExceptionCompileError && message.test(error.message),
    );
});

test("nested: one element of the array must satisfy every inner entry", () => {
  const nested = item([
    {
      type: "nested",
      field: "file.Ext.code_signature",
      operator: "included",
      entries: [
        { type: "match", field: "subject_name", operator: "included", value: "Acme Inc" },
        { type: "match", field: "trusted", operator: "included", value: "true" },
      ],
    },
  ]);
  const p = compileExceptionItem(nested);
  assert.ok(p({ file: { Ext: { code_signature: [{ subject_name: "Acme Inc", trusted: true }] } } }));
  assert.ok(p({ file: { Ext: { code_signature: { subject_name: "Acme Inc", trusted: true } } } }));
  assert.ok(
    p({
      file: {
        Ext: {
          code_signature: [
            { subject_name: "Other", trusted: true },
            { subject_name: "Acme Inc", trusted: true },
          ],
        },
      },
    }),
  );
  // the values are there, but in different elements
  assert.ok(
    !p({
      file: {
        Ext: {
          code_signature: [
            { subject_name: "Acme Inc", trusted: false },
            { subject_name: "Other", trusted: true },
          ],
        },
      },
    }),
  );
  assert.ok(!p({}));
  assert.ok(!p({ file: { Ext: { code_signature: "Acme Inc" } } }));

  const inner = compileExceptionItem(
    item([
      {
        type: "nested",
        field: "dll",
        operator: "included",
        entries: [
          { type: "wildcard", field: "name", operator: "included", value: "*.so" },
          { type: "exists", field: "hash", operator: "excluded" },
        ],
      },
    ]),
  );
  assert.ok(inner({ dll: [{ name: "a.so", hash: "x" }, { name: "b.so" }] }));
  assert.ok(!inner({ dll: [{ name: "a.so", hash: "x" }, { name: "b.dll" }] }));

  const negated = compileExceptionItem(
    item([
      {
        type: "nested",
        field: "dll",
        operator: "excluded",
        entries: [{ type: "match", field: "name", operator: "included", value: "evil.so" }],
      },
    ]),
  );
  assert.ok(negated({ dll: [{ name: "a.so" }] }));
  assert.ok(negated({}));
  assert.ok(!negated({ dll: [{ name: "a.so" }, { name: "evil.so" }] }));
});

test("entries are ANDed within an item; items are ORed", () => {
  const a = item(
    [
      { type: "match", field: "process.name", operator: "included", value: "apt" },
      { type: "match", field: "container.image.name", operator: "included", value: "ci" },
    ],
    { item_id: "a" },
  );
  const b = item([{ type: "match", field: "user.name", operator: "included", value: "backup" }], {
    item_id: "b",
  });
  const and = compileExceptionItem(a);
  assert.ok(and({ process: { name: "apt" }, container: { image: { name: "ci" } } }));
  assert.ok(!and({ process: { name: "apt" } }));
  assert.ok(!and({ container: { image: { name: "ci" } } }));

  const or = compileExceptionList([a, b]);
  assert.ok(or({ process: { name: "apt" }, container: { image: { name: "ci" } } }));
  assert.ok(or({ user: { name: "backup" } }));
  assert.ok(!or({ process: { name: "apt" }, user: { name: "root" } }));
  assert.ok(!compileExceptionList([])({ user: { name: "backup" } }));
});

test("os_types: host.os.type exactly, or host.os.name without regard to case", () => {
  const p = compileExceptionItem(
    item([{ type: "match", field: "process.name", operator: "included", value: "cron" }], {
      os_types: ["linux"],
    }),
  );
  assert.ok(p({ process: { name: "cron" }, host: { os: { type: "linux" } } }));
  assert.ok(p({ process: { name: "cron" }, host: { os: { name: "Linux" } } }));
  assert.ok(!p({ process: { name: "cron" }, host: { os: { type: "Linux" } } }));
  assert.ok(!p({ process: { name: "cron" }, host: { os: { type: "windows" } } }));
  assert.ok(!p({ process: { name: "cron" } }));
  assert.ok(!p({ process: { name: "sshd" }, host: { os: { type: "linux" } } }));
  const none = compileExceptionItem(
    item([{ type: "match", field: "process.name", operator: "included", value: "cron" }], { os_types: [] }),
  );
  assert.ok(none({ process: { name: "cron" } }));
});

test("expire_time: an item past it excepts nothing, relative to `now`", () => {
  const expiring = item([{ type: "exists", field: "process.name", operator: "included" }], {
    expire_time: "2025-06-01T00:00:00Z",
  });
  const event = { process: { name: "x" } };
  assert.ok(compileExceptionItem(expiring, { now: new Date("2025-05-31T23:59:59Z") })(event));
  assert.ok(compileExceptionItem(expiring, { now: Date.parse("2025-06-01T00:00:00Z") })(event));
  assert.ok(!compileExceptionItem(expiring, { now: new Date("2025-06-01T00:00:01Z") })(event));

  const diagnostics: Diagnostic[] = [];
  const keep = exceptionFilter([[expiring]], { now: new Date("2026-01-01T00:00:00Z"), diagnostics });
  assert.equal(keep, KEEP_ALL);
  assert.match(diagnostics[0].message, /expired at 2025-06-01T00:00:00Z; not applied/);
});

test("exceptionFilter: true when the event goes on to the rule; items of several lists ORed", () => {
  const l1 = [item([{ type: "match", field: "a", operator: "included", value: "1" }], { item_id: "x" })];
  const l2 = [item([{ type: "match", field: "b", operator: "included", value: "2" }], { item_id: "y" })];
  const keep = exceptionFilter([l1, l2]);
  assert.ok(!keep({ a: "1" }));
  assert.ok(!keep({ b: "2" }));
  assert.ok(keep({ a: "2", b: "1" }));
  assert.equal(exceptionFilter([]), KEEP_ALL);
  assert.equal(exceptionFilter([[], []]), KEEP_ALL);
  const events = [{ a: "1" }, { a: "3" }, { b: "2" }];
  assert.deepEqual(events.filter(keep), [{ a: "3" }]);
});

test("an item that cannot be applied is reported once with its origin and left out; the others apply", () => {
  const broken = item(
    [{ type: "list", field: "source.ip", operator: "included", list: { id: "missing", type: "ip" } }],
    { item_id: "broken", name: "Broken", origin: { file: "ex.ndjson", line: 7 } },
  );
  const good = item([{ type: "match", field: "a", operator: "included", value: "1" }], { item_id: "good" });
  const diagnostics: Diagnostic[] = [];
  const cache = new Map();
  const rule1 = exceptionFilter([[broken, good]], { diagnostics, cache });
  const rule2 = exceptionFilter([[broken]], { diagnostics, cache });
  assert.ok(!rule1({ a: "1" }));
  assert.ok(rule1({ source: { ip: "10.0.0.1" } }));
  assert.equal(rule2, KEEP_ALL);
  assert.equal(diagnostics.length, 1);
  assert.deepEqual(diagnostics[0], {
    severity: "error",
    file: "ex.ndjson",
    line: 7,
    message:
      'exception item "Broken" (broken): entries[0]: value list "missing" is not loaded; the item is not applied',
  });
  // without a diagnostics array the problem is thrown
  assert.throws(() => compileExceptionList([broken]), ExceptionCompileError);
});

test("an item without entries would except everything: refused", () => {
  assert.throws(() => compileExceptionItem(item([])), /no entries/);
});

test("hostile field names never reach Object.prototype", () => {
  const proto = entry({ type: "exists", field: "__proto__", operator: "included" });
  assert.ok(!proto({}));
  assert.ok(!proto({ a: 1 }));
  const ctor = entry({ type: "match", field: "constructor.name", operator: "included", value: "Object" });
  assert.ok(!ctor({}));
  const toStr = entry({ type: "exists", field: "toString", operator: "included" });
  assert.ok(!toStr({}));
  const excluded = entry({ type: "exists", field: "__proto__.polluted", operator: "excluded" });
  assert.ok(excluded({}));
  // an own property of that name is an ordinary field
  const own = JSON.parse('{"__proto__": {"polluted": "yes"}}') as Event;
  assert.ok(entry({ type: "match", field: "__proto__.polluted", operator: "included", value: "yes" })(own));
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
});

test("deeply nested event values do not overflow the stack", () => {
  let deep: unknown = "x";
  for (let i = 0; i < 200_000; i++) deep = i % 2 === 0 ? [deep] : { a: deep };
  const exists = entry({ type: "exists", field: "v", operator: "included" });
  assert.ok(exists({ v: deep }));
  let arrays: unknown = { name: "n" };
  for (let i = 0; i < 200_000; i++) arrays = [arrays];
  const nested = compileExceptionItem(
    item([
      {
        type: "nested",
        field: "v",
        operator: "included",
        entries: [{ type: "match", field: "name", operator: "included", value: "n" }],
      },
    ]),
  );
  assert.ok(nested({ v: arrays }));
});

test("very wide event values", () => {
  const wide = Array.from({ length: 1_000_000 }, () => null);
  const exists = entry({ type: "exists", field: "v", operator: "included" });
  assert.ok(!exists({ v: wide }));
  wide.push("x" as never);
  assert.ok(exists({ v: wide }));
});
