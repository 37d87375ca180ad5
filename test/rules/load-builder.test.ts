import assert from "node:assert/strict";
import { test } from "node:test";
import { LoadBuilder } from "../../src/rules/load-builder.ts";
import { loadRuleText } from "../../src/rules/load-rule-text.ts";
import { acceptRuleDocument } from "../../src/rules/rule-document.ts";
import { ruleToml } from "./fixtures.ts";

const IDS: Record<string, string> = {
  "rule-a": "0a0a0a0a-0000-4000-8000-00000000000a",
  "rule-b": "0b0b0b0b-0000-4000-8000-00000000000b",
  "rule-c": "0c0c0c0c-0000-4000-8000-00000000000c",
  "rule-d": "0d0d0d0d-0000-4000-8000-00000000000d",
};
const rule = (name: string, query = 'process where process.name == "bash"') =>
  ruleToml({ rule: { rule_id: `"${IDS[name]}"`, name: `"${name}"` }, query });

test("files load in stages, their results in file order: diagnostics, rules, and what the cache keeps", () => {
  const builder = new LoadBuilder({});
  const a = builder.addFile(rule("rule-a", "process where process.name = 1"), "a.toml");
  builder.addUnreadable("b.toml", "unreadable");
  const c = builder.addFile(rule("rule-c", "process where process.nmae == 1"), "c.toml");
  const d = builder.addFile(rule("rule-d"), "d.toml");
  assert.ok(!("cached" in a && a.cached), "nothing to cache before the later stages");
  builder.settle(acceptRuleDocument);
  const result = builder.finish(["a.toml", "b.toml", "c.toml", "d.toml"], []);

  assert.deepEqual(
    result.diagnostics.map((x) => [x.file, x.code]),
    [
      ["a.toml", "eql"],
      ["b.toml", "io"],
      ["c.toml", "unknown-field"],
    ],
  );
  assert.deepEqual(
    result.rules.map((r) => [r.rule.name, r.query !== undefined]),
    [
      ["rule-a", false],
      ["rule-c", true],
      ["rule-d", true],
    ],
  );
  // each file's own diagnostics, for the rule cache
  assert.deepEqual(
    a.cached?.diagnostics.map((x) => x.code),
    ["eql"],
  );
  assert.deepEqual(
    c.cached?.diagnostics.map((x) => x.code),
    ["unknown-field"],
  );
  assert.deepEqual(d.cached?.diagnostics, []);
  assert.equal(d.cached?.documents.length, 1);
});

test("a bug met while checking one file fails that file alone, at its place, and it is not cached", () => {
  const builder = new LoadBuilder({});
  const a = builder.addFile(rule("rule-a"), "a.toml");
  const b = builder.addFile(rule("rule-b"), "b.toml");
  builder.settle((doc, diagnostics) => {
    if (doc.origin.file === "a.toml") throw new Error("a bug");
    return acceptRuleDocument(doc, diagnostics);
  });
  const result = builder.finish(["a.toml", "b.toml"], []);
  assert.deepEqual(
    result.diagnostics.map((x) => [x.file, x.code, x.message.split("\n")[0]]),
    [["a.toml", "internal", "internal error while loading this file: Error: a bug"]],
  );
  assert.deepEqual(
    result.rules.map((r) => r.rule.name),
    ["rule-b"],
  );
  assert.equal(a.cached, undefined);
  assert.equal(b.cached?.documents.length, 1);
});

test("a rule file saved as UTF-16 is said to be so, not as a stray character, whatever its format", () => {
  const rule = ruleToml();
  const exported = JSON.stringify({ rule_id: "x", type: "eql" });
  for (const [text, file] of [
    [rule, "rule.toml"],
    [exported, "export.ndjson"],
    [exported, "rule.json"],
  ]) {
    // as a rule file is read: UTF-8
    const saved = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, "utf16le")]).toString("utf8");
    const { diagnostics } = loadRuleText(saved, file);
    assert.equal(diagnostics.length, 1, file);
    assert.equal(diagnostics[0].code, "encoding");
    assert.match(diagnostics[0].message, /^the file is UTF-16 text, and rule files are UTF-8/);
  }
});
