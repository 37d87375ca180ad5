import assert from "node:assert/strict";
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { type LoadResult, loadRules } from "../../src/rules/load-rules.ts";
import { RuleCache } from "../../src/rules/rule-cache.ts";
import { hasShared, ruleToml, sharedPath } from "./fixtures.ts";

/**
 * A rule file found in the cache must load exactly as it loads from its text: the same
 * rules (every field of them), the same queries as they run, the same diagnostics in the
 * same order — including those across files, which place themselves by reading the file
 * again.
 */

const id = (n: number) => `5b0a3c36-2c1e-4f4e-9a55-0d6c1f7e2a${String(n).padStart(2, "0")}`;

/** Rules with something to say: errors, warnings, rejection, duplicates, missing exception lists. */
const ODD_RULES: Record<string, string> = {
  "bad-query.toml": ruleToml({
    rule: { rule_id: `"${id(1)}"` },
    query: 'process where\n  process.name = "sh"',
  }),
  "unknown-field.toml": ruleToml({
    rule: { rule_id: `"${id(2)}"` },
    query: 'process where process.nmae == "sh"',
  }),
  "rejected.toml": ruleToml({ rule: { rule_id: `"${id(3)}"`, severity: undefined } }),
  "duplicate-a.toml": ruleToml({ rule: { rule_id: `"${id(4)}"` } }),
  "duplicate-b.toml": ruleToml({ rule: { rule_id: `"${id(4)}"`, name: '"Another"' } }),
  "exceptions.toml": ruleToml({
    rule: {
      rule_id: `"${id(5)}"`,
      exceptions_list:
        '[{ id = "endpoint_list", list_id = "endpoint_list", namespace_type = "agnostic", type = "endpoint" }]',
    },
  }),
  "sequence.toml": ruleToml({
    rule: { rule_id: `"${id(6)}"` },
    query: 'sequence by host.id with maxspan=1m [process where process.name == "sh"] [file where true]',
  }),
  // TOML tables are objects without a prototype, which the cache's structured clone does not keep
  "tables.toml": ruleToml({
    rule: {
      rule_id: `"${id(8)}"`,
      meta: '{ from_kibana = { nested = "x" } }',
      custom_setting: "{ a = { b = 1 } }",
    },
  }),
  "not-toml.toml": "[rule\nbroken",
  "kql.toml": ruleToml({
    rule: { rule_id: `"${id(7)}"`, type: '"query"', language: '"kuery"' },
    query: "x: 1",
  }),
};

function comparable(r: LoadResult) {
  return {
    diagnostics: r.diagnostics,
    rejected: r.rejected,
    files: r.files,
    skipped: r.skipped,
    exceptions: r.exceptions,
    rules: r.rules.map(({ query, ...rest }) => ({
      ...rest,
      query: query && {
        shape: query.shape,
        eventCategoryField: query.eventCategoryField,
        timestampField: query.timestampField,
        tiebreakerField: query.tiebreakerField,
        fields: query.fields,
        categories: query.categories,
        execution: query.execution().source,
        executed: query.execution().statement,
        checked: query.prepared.statement,
        terms: query.terms.map((t) => ({ query: t.query, category: t.category })),
      },
    })),
  };
}

async function loadTwice(paths: string[]) {
  const cacheDir = mkdtempSync(join(tmpdir(), "eqlite-cache-"));
  try {
    const fresh = await loadRules(paths);
    const first = RuleCache.open(cacheDir, "test");
    const cold = await loadRules(paths, { cache: first });
    first.save();
    assert.equal(readdirSync(cacheDir).length, 1, "the cache was written");
    const warm = await loadRules(paths, { cache: RuleCache.open(cacheDir, "test") });
    return { fresh, cold, warm, cacheDir };
  } catch (error) {
    rmSync(cacheDir, { recursive: true, force: true });
    throw error;
  }
}

test("rules loaded from the cache are the rules loaded from their files", async () => {
  const dir = mkdtempSync(join(tmpdir(), "eqlite-rules-"));
  try {
    cpSync(join(import.meta.dirname, "../../rules"), join(dir, "bundled"), { recursive: true });
    for (const [name, text] of Object.entries(ODD_RULES)) writeFileSync(join(dir, name), text);
    const { fresh, cold, warm, cacheDir } = await loadTwice([dir]);
    rmSync(cacheDir, { recursive: true, force: true });
    assert.ok(fresh.diagnostics.length > 5 && fresh.rejected.length > 0, "the odd rules say something");
    assert.deepStrictEqual(comparable(cold), comparable(fresh));
    assert.deepStrictEqual(comparable(warm), comparable(fresh));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a file changed since it was cached is loaded again", async () => {
  const dir = mkdtempSync(join(tmpdir(), "eqlite-rules-"));
  const cacheDir = mkdtempSync(join(tmpdir(), "eqlite-cache-"));
  try {
    const file = join(dir, "rule.toml");
    writeFileSync(file, ruleToml({ rule: { rule_id: `"${id(8)}"`, name: '"Before"' } }));
    const cache = RuleCache.open(cacheDir, "test");
    await loadRules([dir], { cache });
    cache.save();
    writeFileSync(file, ruleToml({ rule: { rule_id: `"${id(8)}"`, name: '"After"' } }));
    const again = await loadRules([dir], { cache: RuleCache.open(cacheDir, "test") });
    assert.equal(again.rules[0].rule.name, "After");
    // another set of options is another cache
    const other = RuleCache.open(cacheDir, "strict");
    assert.equal((await loadRules([dir], { cache: other })).rules[0].rule.name, "After");
  } finally {
    rmSync(dir, { recursive: true, force: true });
    rmSync(cacheDir, { recursive: true, force: true });
  }
});

test("a cache that cannot be read is as good as none", async () => {
  const dir = mkdtempSync(join(tmpdir(), "eqlite-rules-"));
  const cacheDir = mkdtempSync(join(tmpdir(), "eqlite-cache-"));
  try {
    writeFileSync(join(dir, "rule.toml"), ruleToml({ rule: { rule_id: `"${id(9)}"` } }));
    const cache = RuleCache.open(cacheDir, "test");
    await loadRules([dir], { cache });
    cache.save();
    for (const name of readdirSync(cacheDir)) writeFileSync(join(cacheDir, name), "not a cache");
    const loaded = await loadRules([dir], { cache: RuleCache.open(cacheDir, "test") });
    assert.equal(loaded.rules.length, 1);
    assert.deepEqual(loaded.diagnostics, []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
    rmSync(cacheDir, { recursive: true, force: true });
  }
});

test("a damaged cache that still deserializes is not used: its rules would be in no file", async () => {
  const dir = mkdtempSync(join(tmpdir(), "eqlite-rules-"));
  const cacheDir = mkdtempSync(join(tmpdir(), "eqlite-cache-"));
  try {
    writeFileSync(
      join(dir, "rule.toml"),
      ruleToml({ rule: { rule_id: `"${id(10)}"`, name: '"Unix Shell"' } }),
    );
    const cache = RuleCache.open(cacheDir, "test");
    await loadRules([dir], { cache });
    cache.save();
    // one bit of the name flipped on disk: "Unix Shell" becomes "Unix ShEll", still a valid string
    for (const name of readdirSync(cacheDir)) {
      const bytes = readFileSync(join(cacheDir, name));
      const at = bytes.indexOf("Unix Shell");
      assert.ok(at > 0);
      bytes[at + 7] ^= 0x20;
      writeFileSync(join(cacheDir, name), bytes);
    }
    const loaded = await loadRules([dir], { cache: RuleCache.open(cacheDir, "test") });
    assert.equal(loaded.rules[0].rule.name, "Unix Shell");
  } finally {
    rmSync(dir, { recursive: true, force: true });
    rmSync(cacheDir, { recursive: true, force: true });
  }
});

test("the detection-rules corpus loads from the cache as from its files", {
  skip: !hasShared("corpus/detection-rules") && "../shared not found",
}, async () => {
  const { fresh, warm, cacheDir } = await loadTwice([sharedPath("corpus/detection-rules")]);
  rmSync(cacheDir, { recursive: true, force: true });
  const plain = (r: LoadResult) => ({
    diagnostics: r.diagnostics,
    rejected: r.rejected,
    rules: r.rules.map(({ query, ...rest }) => ({
      ...rest,
      query: query && { source: query.execution().source, statement: query.execution().statement },
    })),
  });
  assert.deepStrictEqual(plain(warm), plain(fresh));
});

test("the caches of other builds are pruned: the most recent few stay", async () => {
  const dir = mkdtempSync(join(tmpdir(), "eqlite-rules-"));
  const cacheDir = mkdtempSync(join(tmpdir(), "eqlite-cache-"));
  try {
    writeFileSync(join(dir, "rule.toml"), ruleToml({ rule: { rule_id: `"${id(10)}"` } }));
    for (let i = 0; i < 6; i++) {
      const old = join(cacheDir, `rules-${"0".repeat(23)}${i}.v8`);
      writeFileSync(old, "old");
      utimesSync(old, new Date(2020, 0, 1 + i), new Date(2020, 0, 1 + i));
    }
    const cache = RuleCache.open(cacheDir, "test");
    await loadRules([dir], { cache });
    cache.save();
    const left = readdirSync(cacheDir).sort();
    assert.equal(left.length, 4);
    // the newest of the old ones stay beside the one just written
    assert.deepEqual(
      left.filter((n) => n.startsWith("rules-0000")),
      [`rules-${"0".repeat(23)}3.v8`, `rules-${"0".repeat(23)}4.v8`, `rules-${"0".repeat(23)}5.v8`],
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
    rmSync(cacheDir, { recursive: true, force: true });
  }
});
