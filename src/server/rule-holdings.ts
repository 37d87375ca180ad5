import type { DetectionEngine } from "../engine/detection-engine.ts";
import type { ExecutableRule, RuleSet } from "../rules/rule-set.ts";
import type { RuleHolding } from "./checkpoint-planner.ts";
import { type RuleReach, reachKey, ruleReach } from "./rule-reach.ts";

/** Reaches are worked out once per loaded rule: a reload brings new rule objects. */
const reaches = new WeakMap<ExecutableRule, RuleReach>();
const fields = new WeakMap<RuleSet, string[]>();

function reachOf(rule: ExecutableRule): RuleReach {
  let reach = reaches.get(rule);
  if (!reach) {
    reach = ruleReach(rule);
    reaches.set(rule, reach);
  }
  return reach;
}

/** What each running rule holds now, with its reach: what the checkpoint planner judges. */
export function ruleHoldings(engine: DetectionEngine): RuleHolding[] {
  const activity = engine.activity();
  const occurrences = new Map<string, number>();
  // activity() lists the rules in the rule set's order
  return engine.rules.rules.map((rule, i) => {
    const reach = reachOf(rule);
    const n = occurrences.get(reach.rule_id) ?? 0;
    occurrences.set(reach.rule_id, n + 1);
    const a = activity[i];
    return {
      ...reach,
      // rule_ids should be unique, but a duplicate is only a warning: keep the two apart
      rule_id: n === 0 ? reach.rule_id : `${reach.rule_id}\u0000${n}`,
      buffered: a.buffered,
      openSequences: a.openSequences,
      deferred: a.deferred,
      sampleKeys: a.sampleKeys,
    };
  });
}

/**
 * The fields the rules that hold events reach on, as keys (reachKey): the planner notes each
 * batch's newest time in them.
 */
export function orderingFields(ruleSet: RuleSet): string[] {
  let found = fields.get(ruleSet);
  if (!found) {
    found = [
      ...new Set(ruleSet.rules.filter((r) => reachOf(r).reachNs > 0n).map((r) => reachKey(reachOf(r)))),
    ];
    fields.set(ruleSet, found);
  }
  return found;
}
