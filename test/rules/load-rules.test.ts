import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { getHeapSnapshot } from "node:v8";
import { loadRules } from "../../src/rules/load-rules.ts";
import { summarize } from "../../src/rules/load-summary.ts";
import { runCli } from "../cli/run-cli.ts";
import { makePathTooLong, removeTree } from "../io/too-long-path.ts";
import { errors, lineOf, messages, ruleToml, tempTree, warnings } from "./fixtures.ts";

const id = (n: number) => `5b0a3c36-2c1e-4f4e-9a55-0d6c1f7e2a${String(n).padStart(2, "0")}`;

test("directories are walked recursively in name order; non-rule files are skipped", async () => {
  const tree = tempTree({
    "b/deep/two.toml": ruleToml({ rule: { rule_id: `"${id(2)}"` } }),
    "a.toml": ruleToml({ rule: { rule_id: `"${id(1)}"` } }),
    "README.md": "# rules",
    ".git/x.toml": "not read",
    "export.ndjson": "",
  });
  try {
    const r = await loadRules([tree.dir]);
    assert.deepEqual(
      r.files.map((f) => f.slice(tree.dir.length + 1)),
      ["a.toml", "b/deep/two.toml", "export.ndjson"],
    );
    assert.deepEqual(
      r.skipped.map((f) => f.slice(tree.dir.length + 1)),
      ["README.md"],
    );
    assert.equal(r.rules.length, 2);
    assert.deepEqual(r.diagnostics, []);
  } finally {
    tree.cleanup();
  }
});

test("linked directories are walked, each once: a link back up is no loop", async () => {
  const shared = tempTree({ "shared.toml": ruleToml({ rule: { rule_id: `"${id(4)}"` } }) });
  const tree = tempTree({ "own.toml": ruleToml({ rule: { rule_id: `"${id(5)}"` } }) });
  try {
    symlinkSync(shared.dir, join(tree.dir, "shared"));
    symlinkSync(tree.dir, join(tree.dir, "again"));
    const r = await loadRules([tree.dir]);
    assert.deepEqual(
      r.files.map((f) => f.slice(tree.dir.length + 1)),
      ["own.toml", "shared/shared.toml"],
    );
    assert.equal(r.rules.length, 2);
  } finally {
    tree.cleanup();
    shared.cleanup();
  }
});

test("a directory that cannot be read is an error at its place, and the rules beside it load", async () => {
  const tree = tempTree({ "own.toml": ruleToml({ rule: { rule_id: `"${id(6)}"` } }) });
  try {
    makePathTooLong(tree.dir);
    const r = await loadRules([tree.dir]);
    assert.equal(r.rules.length, 1);
    assert.deepEqual(
      errors(r).map((d) => [d.code, /^cannot read this directory: ENAMETOOLONG/.test(d.message)]),
      [["io", true]],
    );
  } finally {
    removeTree(tree.dir);
  }
});

test("a broken rule is diagnosed at its line and the rules beside it still load", async () => {
  const badQuery = ruleToml({
    rule: { rule_id: `"${id(3)}"` },
    query: 'process where\n  process.name = "sh"',
  });
  const missing = ruleToml({ rule: { rule_id: `"${id(4)}"`, severity: undefined } });
  const wrongType = ruleToml({ rule: { rule_id: `"${id(5)}"`, max_signals: '"many"' } });
  const tree = tempTree({
    "1-good.toml": ruleToml({ rule: { rule_id: `"${id(1)}"` } }),
    "2-bad-toml.toml": '[rule]\nname = "x\n',
    "3-bad-query.toml": badQuery,
    "4-missing.toml": missing,
    "5-wrong-type.toml": wrongType,
    "6-good.toml": ruleToml({ rule: { rule_id: `"${id(6)}"` } }),
  });
  try {
    const r = await loadRules([tree.dir]);
    const found = errors(r).map((d) => [d.file.slice(tree.dir.length + 1), d.line, d.message]);
    assert.deepEqual(found, [
      ["2-bad-toml.toml", 2, "invalid TOML: control characters are not allowed in strings"],
      [
        "3-bad-query.toml",
        lineOf(badQuery, "process.name ="),
        "'=' is not a comparison operator; use '==' (case-sensitive) or ':' (case-insensitive)",
      ],
      ["4-missing.toml", lineOf(missing, "[rule]"), "severity is required"],
      ["5-wrong-type.toml", lineOf(wrongType, "max_signals"), 'max_signals must be a number (found "many")'],
    ]);
    const s = summarize(r);
    assert.deepEqual([s.rules, s.loaded, s.rejected, s.compiled, s.errors], [5, 3, 2, 2, 4]);
    assert.deepEqual(s.by_type, { eql: 5 });
  } finally {
    tree.cleanup();
  }
});

test("a path that does not exist, or is not a rule file, is an error of its own", async () => {
  const tree = tempTree({ "notes.txt": "hello", "ok.toml": ruleToml() });
  try {
    const r = await loadRules([
      join(tree.dir, "missing"),
      join(tree.dir, "notes.txt"),
      join(tree.dir, "ok.toml"),
    ]);
    assert.deepEqual(messages(errors(r)), [
      "no such file or directory",
      "not a rule file: expected .toml, .ndjson, .jsonl or .json",
    ]);
    assert.equal(r.rules.length, 1);
  } finally {
    tree.cleanup();
  }
});

test("two rules with one rule_id: the last read is kept, each earlier one is left out with a warning at its rule_id", async () => {
  const tree = tempTree({
    "a.toml": ruleToml({ rule: { rule_id: `"${id(1)}"` } }),
    "b.toml": ruleToml({ rule: { rule_id: `"${id(2)}"` } }),
    "c.toml": ruleToml({ rule: { rule_id: `"${id(1)}"`, name: '"Copy"' } }),
    "d.toml": ruleToml({ rule: { rule_id: `"${id(1)}"`, name: '"Last copy"' } }),
  });
  try {
    const r = await loadRules([tree.dir]);
    assert.deepEqual(
      r.rules.map((x) => x.rule.name),
      ["Shell In Container", "Last copy"],
    );
    assert.deepEqual(errors(r), []);
    const found = warnings(r).map((d) => [d.file.slice(tree.dir.length + 1), d.line, d.code]);
    const line = lineOf(ruleToml(), "rule_id");
    assert.deepEqual(found, [
      ["a.toml", line, "duplicate-rule-id"],
      ["c.toml", line, "duplicate-rule-id"],
    ]);
    assert.match(
      warnings(r)[0].message.replace(tree.dir, "DIR"),
      /is also the id of "Last copy" \(DIR\/d\.toml:7\), read later/,
    );
  } finally {
    tree.cleanup();
  }
});

test("ATT&CK names that disagree across rules are warned about", async () => {
  const threat = (name: string) => `
[[rule.threat]]
framework = "MITRE ATT&CK"
[[rule.threat.technique]]
id = "T1059"
name = "${name}"
reference = "https://attack.mitre.org/techniques/T1059/"
[rule.threat.tactic]
id = "TA0002"
name = "Execution"
reference = "https://attack.mitre.org/tactics/TA0002/"
`;
  const odd = ruleToml({ rule: { rule_id: `"${id(3)}"` }, tail: threat("Scripting") });
  const tree = tempTree({
    "a.toml": ruleToml({
      rule: { rule_id: `"${id(1)}"` },
      tail: threat("Command and Scripting Interpreter"),
    }),
    "b.toml": ruleToml({
      rule: { rule_id: `"${id(2)}"` },
      tail: threat("Command and Scripting Interpreter"),
    }),
    "c.toml": odd,
  });
  try {
    const r = await loadRules([tree.dir]);
    const found = warnings(r).map((d) => [d.file.slice(tree.dir.length + 1), d.line, d.message]);
    assert.deepEqual(found, [
      [
        "c.toml",
        lineOf(odd, 'name = "Scripting"'),
        'T1059 is named "Scripting" here but "Command and Scripting Interpreter" in 2 other rule mapping(s)',
      ],
    ]);
  } finally {
    tree.cleanup();
  }
});

test("a byte-order mark is ignored, and a file over the size limit is skipped with an error", async () => {
  const tree = tempTree({
    "bom.toml": `\uFEFF${ruleToml()}`,
    "big.toml": ruleToml({ rule: { rule_id: `"${id(9)}"` } }),
  });
  try {
    const r = await loadRules([join(tree.dir, "bom.toml")]);
    assert.deepEqual(r.diagnostics, []);
    const big = await loadRules([join(tree.dir, "big.toml")], { maxFileBytes: 100 });
    assert.match(messages(errors(big))[0], /more than the 100 bytes a rule file may have; skipped$/);
  } finally {
    tree.cleanup();
  }
});

test("loaded rules do not hold their files' text; a place outside the query is found by reading the file again", async () => {
  const marker = randomUUID();
  const { tree, note } = writeRuleWithNote(marker);
  try {
    const r = await loadRules([tree.dir]);
    assert.equal(r.rules[0].rule.note, note);
    // timestamp_override is placed through the locator, the query's unknown field through the query's place
    const [fieldLine, overrideLine] = linesIn(
      join(tree.dir, "rule.toml"),
      "no_such.field ==",
      "timestamp_override =",
    );
    assert.deepEqual(
      warnings(r).map((d) => [d.line, d.column, d.message.split(/[:,]/)[0]]),
      [
        [fieldLine, 15, "unknown field [no_such.field]"],
        [overrideLine, 1, "timestamp_override"],
      ],
    );
    // the note as written in the file (the text around it) is only in the file's text
    const inPlace = (strings: string[]) => strings.some((s) => s.includes(`note = """\n${marker}`));
    assert.equal(inPlace(await heapStrings()), false, "a file's text is still held after loading");
    // the same search finds a text that something does hold
    const held = readFileSync(join(tree.dir, "rule.toml"), "utf8");
    assert.equal(inPlace(await heapStrings()), true);
    assert.ok(held.length > 0 && r.rules.length === 1);
  } finally {
    tree.cleanup();
  }
});

/** Writes a rule whose note (long enough to be set aside before parsing) starts with the marker. */
function writeRuleWithNote(marker: string): { tree: ReturnType<typeof tempTree>; note: string } {
  const note = `${marker}\n${"Look at the parent process and the user. ".repeat(12)}`;
  const rule = ruleToml({
    rule: { note: `"""\n${note}"""`, timestamp_override: '"event.ingested_at"' },
    query: 'process where no_such.field == "x"',
  });
  return { tree: tempTree({ "rule.toml": rule }), note };
}

/** The lines of a file holding each needle (the file's text is not kept). */
const linesIn = (file: string, ...needles: string[]): number[] =>
  needles.map((needle) => lineOf(readFileSync(file, "utf8"), needle));

/** Every string in a heap snapshot of this process (taking one collects the garbage first). */
async function heapStrings(): Promise<string[]> {
  const chunks: string[] = [];
  for await (const chunk of getHeapSnapshot()) chunks.push(chunk.toString());
  return (JSON.parse(chunks.join("")) as { strings: string[] }).strings;
}

test("a byte that is not UTF-8 is an error at its place, and the rule is still checked; a U+FFFD written as such is no error", async () => {
  const text = ruleToml({ query: 'process where process.name == "\uFFFD caf\u00e9"' });
  const tree = tempTree({});
  try {
    // the é as Windows-1252 writes it: one byte, E9; the U+FFFD before it is UTF-8's three bytes
    const bytes = Buffer.from(text, "utf8");
    const e9 = bytes.indexOf(Buffer.from("\u00e9", "utf8"));
    const latin1 = Buffer.concat([bytes.subarray(0, e9), Buffer.from([0xe9]), bytes.subarray(e9 + 2)]);
    writeFileSync(join(tree.dir, "latin1.toml"), latin1);
    writeFileSync(
      join(tree.dir, "utf8.toml"),
      ruleToml({ rule: { rule_id: `"${id(3)}"` }, query: 'process where process.name == "\uFFFD"' }),
    );
    const r = await loadRules([tree.dir]);
    const [d, ...others] = r.diagnostics;
    assert.deepEqual(others, []);
    assert.equal(d.file, join(tree.dir, "latin1.toml"));
    assert.equal(d.code, "encoding");
    assert.equal(d.severity, "error");
    assert.equal(d.line, lineOf(text, "caf"));
    assert.equal(d.column, 'process where process.name == "\uFFFD caf'.length + 1);
    assert.match(d.message, /not UTF-8/);
    assert.equal(r.rules.length, 2);
  } finally {
    tree.cleanup();
  }
});

test("rule types named like Object's own properties are counted as any other, and shown inert", async () => {
  const types = ["constructor", "__proto__", "toString", "hasOwnProperty", "x\\u001b[2J\\r\\nforged"];
  const tree = tempTree(
    Object.fromEntries(
      types.map((type, n) => [`${n}.toml`, ruleToml({ rule: { rule_id: `"${id(n)}"`, type: `"${type}"` } })]),
    ),
  );
  try {
    const s = summarize(await loadRules([tree.dir]));
    assert.equal(s.rejected, types.length);
    const counted = Object.entries(s.by_type).sort();
    assert.deepEqual(counted, [...types.map((t) => [JSON.parse(`"${t}"`), 1])].sort());
    const validate = runCli(["validate", tree.dir]);
    assert.equal(validate.code, 2);
    assert.match(validate.stdout, /^5 rules in 5 files: .*__proto__ 1.*x␛\[2J␍␊forged 1$/m);
  } finally {
    tree.cleanup();
  }
});
