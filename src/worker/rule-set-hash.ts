/**
 * Rule content identity: a rule is "the same" across loads when its whole content is (that is
 * what decides whether a reload keeps its state). Workers publish the hash of the set they run,
 * so a fleet half-way through a rollout is visible, and a snapshot records the hash of the
 * rules it was taken for.
 */
import { createHash } from "node:crypto";
import { canonicalJson } from "../engine/json-tree.ts";
import type { ExecutableRule } from "../rules/rule-set.ts";

function ruleContent(rule: ExecutableRule): string {
  return `${rule.rule.rule_id}\u0000${canonicalJson(rule.rule)}`;
}

/** Equal for the same rules in any order, different as soon as one rule's content differs. */
export function ruleSetHash(rules: readonly ExecutableRule[]): string {
  const contents = rules.map(ruleContent).sort();
  const hash = createHash("sha256");
  for (const c of contents) hash.update(c).update("\u0001");
  return hash.digest("hex").slice(0, 16);
}

export interface RuleSetDiff {
  /** same content: their state carries over a reload */
  kept: string[];
  added: string[];
  /** same rule_id, new content: their state starts afresh */
  changed: string[];
  removed: string[];
}

/** What a reload from `before` to `after` keeps, by rule_id (as DetectionEngine.reload decides it). */
export function diffRuleSets(
  before: readonly ExecutableRule[],
  after: readonly ExecutableRule[],
): RuleSetDiff {
  const old = new Set(before.map(ruleContent));
  const oldIds = new Set(before.map((r) => r.rule.rule_id));
  const newIds = new Set(after.map((r) => r.rule.rule_id));
  const diff: RuleSetDiff = { kept: [], added: [], changed: [], removed: [] };
  for (const rule of after) {
    const id = rule.rule.rule_id;
    if (old.has(ruleContent(rule))) diff.kept.push(id);
    else if (oldIds.has(id)) diff.changed.push(id);
    else diff.added.push(id);
  }
  for (const id of oldIds) if (!newIds.has(id)) diff.removed.push(id);
  return diff;
}
