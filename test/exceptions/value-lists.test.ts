import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { gzipSync } from "node:zlib";
import { formatDiagnostic } from "../../src/exceptions/model.ts";
import {
  buildValueList,
  KIBANA_MAX_DASH_RANGES,
  KIBANA_MAX_LIST_ITEMS,
  parseValueListText,
  readValueListFile,
} from "../../src/exceptions/value-lists.ts";

let dir = "";
before(async () => {
  dir = await mkdtemp(join(tmpdir(), "eqlite-value-lists-"));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

test("text format: one value per line, blank lines and # comments ignored, whitespace and CR trimmed", () => {
  const { list, diagnostics } = parseValueListText(
    "# build hosts\n\nbuild-1\r\n  build-2  \n# more\nbuild 3\n",
    {
      source: "lists/hosts.txt",
    },
  );
  assert.deepEqual(diagnostics, []);
  assert.equal(list.id, "hosts.txt");
  assert.equal(list.type, "keyword");
  assert.equal(list.size, 3);
  assert.ok(list.has("build-1") && list.has("build-2") && list.has("build 3"));
  assert.ok(!list.has("# build hosts") && !list.has("") && !list.has("  build-2  "));
});

test("header lines give type and id; the caller's type wins, with a warning on a conflict", () => {
  const text = "# value_list_type: ip\n# value_list_id: scanners\n10.0.0.1\n";
  const fromHeader = parseValueListText(text, { source: "s.txt" });
  assert.equal(fromHeader.list.type, "ip");
  assert.equal(fromHeader.list.id, "scanners");
  assert.deepEqual(fromHeader.diagnostics, []);

  const overridden = parseValueListText(text, { source: "s.txt", type: "ip_range", id: "other" });
  assert.equal(overridden.list.type, "ip_range");
  assert.equal(overridden.list.id, "other");
  assert.equal(
    formatDiagnostic(overridden.diagnostics[0]),
    "s.txt:1: warning: the file says its type is ip but it was declared ip_range; read as ip_range",
  );

  const unknown = parseValueListText("#value_list_type=long\n5\n", { source: "n.txt" });
  assert.equal(unknown.list.type, "keyword");
  assert.match(formatDiagnostic(unknown.diagnostics[0]), /^n\.txt:1: unknown value list type "long"/);

  // after the first value, a header-like line is just a comment
  const late = parseValueListText("a\n# value_list_type: ip\n", { source: "k.txt" });
  assert.equal(late.list.type, "keyword");
  assert.equal(late.list.size, 1);
});

test("ip lists: canonical equality; values that are not addresses are reported by line and left out", () => {
  const { list, diagnostics } = parseValueListText("10.0.0.1\nnot-an-ip\n2001:DB8::1\n10.0.0.0/8\n", {
    source: "ips.txt",
    type: "ip",
  });
  assert.equal(list.size, 4);
  assert.deepEqual(diagnostics.map(formatDiagnostic), [
    'ips.txt:2: "not-an-ip" is not an IP address; left out of ip list "ips.txt"',
    'ips.txt:4: "10.0.0.0/8" is not an IP address; left out of ip list "ips.txt"',
  ]);
  assert.ok(list.has("10.0.0.1"));
  assert.ok(list.has("::ffff:a00:1"));
  assert.ok(list.has("2001:db8:0:0:0:0:0:1"));
  assert.ok(!list.has("not-an-ip"));
  assert.ok(!list.has("10.1.1.1"));
});

test("ip_range lists: CIDR blocks, single addresses and dash ranges (IPv4 and IPv6)", () => {
  const { list, diagnostics } = parseValueListText(
    [
      "# value_list_type: ip_range",
      "10.0.0.0/8",
      "192.168.0.1",
      "172.16.0.10 - 172.16.0.20",
      "2001:db8::/32",
      "fe80::1-fe80::ff",
      "10.0.0.5-10.0.0.1",
      "1.2.3.4-banana",
      "300.0.0.0/8",
    ].join("\n"),
    { source: "nets.txt" },
  );
  assert.equal(list.type, "ip_range");
  assert.equal(list.size, 8);
  assert.equal(list.dashRanges, 2);
  assert.deepEqual(diagnostics.map(formatDiagnostic), [
    'nets.txt:7: "10.0.0.5-10.0.0.1" is an empty range (its first address is after its last); left out of ip_range list "nets.txt"',
    'nets.txt:8: "1.2.3.4-banana" is not a range of two IP addresses; left out of ip_range list "nets.txt"',
    'nets.txt:9: "300.0.0.0/8" is not a CIDR block or an IP address; left out of ip_range list "nets.txt"',
  ]);
  for (const ip of [
    "10.200.0.1",
    "192.168.0.1",
    "172.16.0.10",
    "172.16.0.15",
    "172.16.0.20",
    "2001:db8:ffff::1",
    "fe80::80",
  ])
    assert.ok(list.has(ip), ip);
  for (const ip of [
    "11.0.0.1",
    "192.168.0.2",
    "172.16.0.9",
    "172.16.0.21",
    "2001:db9::1",
    "fe80::100",
    "fe80::",
    "x",
  ])
    assert.ok(!list.has(ip), ip);
});

test("ip_range: overlapping and many dash ranges", () => {
  const ranges: { text: string }[] = [];
  for (let i = 0; i < 250; i++) ranges.push({ text: `10.${i}.0.0-10.${i}.0.255` });
  ranges.push({ text: "10.5.0.100-10.6.0.10" });
  const { list, diagnostics } = buildValueList("many", "ip_range", ranges, "many.txt");
  assert.equal(list.dashRanges, 251);
  assert.ok(list.has("10.5.0.200"));
  assert.ok(list.has("10.6.0.5"));
  assert.ok(list.has("10.249.0.255"));
  assert.ok(list.has("10.5.1.0"));
  assert.ok(!list.has("10.4.1.0"));
  assert.ok(!list.has("10.6.1.0"));
  assert.ok(!list.has("10.250.0.1"));
  assert.deepEqual(diagnostics.map(formatDiagnostic), [
    `many.txt: warning: value list "many" has 251 dash ranges, more than Kibana's limit of ${KIBANA_MAX_DASH_RANGES}: Kibana would not apply exceptions using it to EQL rules; eqlite applies them`,
  ]);
});

test("a list over Kibana's 65,536 items is reported and still works", () => {
  const values = Array.from({ length: KIBANA_MAX_LIST_ITEMS + 1 }, (_, i) => ({ text: `v${i}` }));
  const { list, diagnostics } = buildValueList("big", "keyword", values, "big.txt");
  assert.equal(diagnostics.length, 1);
  assert.equal(diagnostics[0].severity, "warning");
  assert.match(diagnostics[0].message, /has 65537 items, more than Kibana's limit of 65536/);
  assert.ok(list.has(`v${KIBANA_MAX_LIST_ITEMS}`));
  const atLimit = buildValueList("ok", "keyword", values.slice(1), "ok.txt");
  assert.deepEqual(atLimit.diagnostics, []);
});

test("reading files: plain, compressed, missing, and over the size limit", async () => {
  const plain = join(dir, "users.txt");
  await writeFile(plain, "\uFEFFroot\nadmin\n");
  const read = await readValueListFile(plain);
  assert.deepEqual(read.diagnostics, []);
  assert.equal(read.list?.id, "users.txt");
  assert.ok(read.list?.has("root") && read.list.has("admin"));

  const gz = join(dir, "ips.txt.gz");
  await writeFile(gz, gzipSync("10.0.0.1\n"));
  const compressed = await readValueListFile(gz, { type: "ip", id: "ips" });
  assert.ok(compressed.list?.has("10.0.0.1"));

  const missing = await readValueListFile(join(dir, "nope.txt"));
  assert.equal(missing.list, undefined);
  assert.equal(
    formatDiagnostic(missing.diagnostics[0]),
    `${join(dir, "nope.txt")}: value list file not found`,
  );

  const big = join(dir, "big.txt");
  await writeFile(big, "x\n".repeat(600_000));
  const refused = await readValueListFile(big, { maxBytes: 1024 * 1024 });
  assert.equal(refused.list, undefined);
  assert.equal(
    formatDiagnostic(refused.diagnostics[0]),
    `${big}: value list file is larger than the limit of 1 MiB; refused`,
  );
  // a compressed file is limited by what it expands to, so a small bomb is refused too
  const bomb = join(dir, "bomb.txt.gz");
  await writeFile(bomb, gzipSync(Buffer.alloc(4 * 1024 * 1024, 0x41)));
  const defused = await readValueListFile(bomb, { maxBytes: 1024 * 1024 });
  assert.equal(defused.list, undefined);
  assert.match(defused.diagnostics[0].message, /larger than the limit of 1 MiB/);
});
