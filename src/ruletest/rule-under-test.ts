import { statSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import type { Diagnostic } from "../rules/diagnostic.ts";
import type { LoadResult } from "../rules/load-rules.ts";
import type { LoadedRule } from "../rules/loaded-rule.ts";
import { DUPLICATE_RULE_ID } from "../rules/rule-references.ts";
import { loadTestFile, TEST_FILE_SUFFIX, type TestFile } from "./format.ts";

/** The loaded rules as a test file looks its rule up: by rule_id, and by the file each came from. */
export interface RulesToTest {
  byId: Map<string, LoadedRule>;
  /** by absolute path of the rule file */
  byFile: Map<string, LoadedRule[]>;
  diagnostics: Diagnostic[];
}

/** Indexes the rules once: thousands of test files each looking through thousands of rules took minutes. */
export function rulesToTest(loaded: Pick<LoadResult, "rules" | "diagnostics">): RulesToTest {
  const byId = new Map<string, LoadedRule>();
  const byFile = new Map<string, LoadedRule[]>();
  for (const r of loaded.rules) {
    if (!byId.has(r.rule.rule_id)) byId.set(r.rule.rule_id, r);
    const file = resolve(r.origin.file);
    const list = byFile.get(file);
    if (list) list.push(r);
    else byFile.set(file, [r]);
  }
  return { byId, byFile, diagnostics: loaded.diagnostics };
}

/** The rule a test file tests, or why there is none: by its rule_id, else by its name's stem. */
export function ruleUnderTest(test: TestFile, rules: RulesToTest): LoadedRule | string {
  if (test.ruleId) return rules.byId.get(test.ruleId) ?? `no loaded rule has rule_id "${test.ruleId}"`;
  const candidates = ruleFilesFor(test.file).map((f) => resolve(f));
  const found = candidates.flatMap((f) => rules.byFile.get(f) ?? []);
  if (found.length === 1) return found[0];
  if (found.length > 1)
    return `${found[0].origin.file} holds ${found.length} rules: give the test file the rule_id of the one it tests`;
  // the rule file is there, but its rule gave way to another with its rule_id: a warning `test` does not print
  const replaced = rules.diagnostics.find(
    (d) => d.code === DUPLICATE_RULE_ID && candidates.includes(resolve(d.file)),
  );
  if (replaced)
    return `the rule it tests is left out: ${replaced.file}:${replaced.line}: ${replaced.message}`;
  return `no rule file ${test.stem}.toml (or .ndjson, .json) beside it (or above its tests/ directory), and no rule_id`;
}

/**
 * The rule_ids of the loaded rules that one of these test files tests: a rule counts when its
 * test file is valid, whether or not its cases pass. Read, never run: `coverage` asks only this.
 */
export function rulesWithTests(
  testFiles: readonly string[],
  loaded: Pick<LoadResult, "rules" | "diagnostics">,
): string[] {
  const rules = rulesToTest(loaded);
  const ids = new Set<string>();
  for (const file of new Set(testFiles)) {
    const { test } = loadTestFile(file);
    const rule = test && ruleUnderTest(test, rules);
    if (rule && typeof rule !== "string") ids.add(rule.rule.rule_id);
  }
  return [...ids];
}

/** The rule file a test file's name points to, if it is there. */
export function ruleFileFor(testFile: string): string | undefined {
  return ruleFilesFor(testFile).find((f) => {
    try {
      return statSync(f).isFile();
    } catch {
      return false;
    }
  });
}

const RULE_FILE_EXTENSIONS = [".toml", ".ndjson", ".json"];

/** `<stem>.toml` (.ndjson, .json) beside the test file, or above its `tests/` directory. */
function ruleFilesFor(testFile: string): string[] {
  const stem = basename(testFile).slice(0, -TEST_FILE_SUFFIX.length);
  const dir = dirname(testFile);
  const dirs = basename(dir) === "tests" ? [dir, dirname(dir)] : [dir];
  return dirs.flatMap((d) => RULE_FILE_EXTENSIONS.map((ext) => join(d, `${stem}${ext}`)));
}
