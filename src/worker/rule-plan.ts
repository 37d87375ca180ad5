/**
 * How a worker runs a loaded rule bundle: which rules run on host partitions and which on the
 * global one (rule-scope.ts), and within each, which rules a takeover rebuilds by replaying the
 * stream ("short") and which from snapshots ("long", lookback.ts). Each partition runner
 * keeps one engine per kind, so a snapshot replays only into the rules that need it.
 */
import { buildLineFilter } from "../engine/line-prefilter.ts";
import type { Event } from "../eql/field-access.ts";
import type { LineFilter } from "../io/line-filter.ts";
import { buildRuleSet, type ExecutableRule, type RuleSet } from "../rules/rule-set.ts";
import type { RuleBundle } from "../server/rule-bundle.ts";
import { reachKey, ruleReach } from "../server/rule-reach.ts";
import { type LookbackSettings, type RuleLookback, ruleLookback } from "./lookback.ts";
import { type RuleScope, type ScopeDecision, splitByScope } from "./rule-scope.ts";
import { ruleSetHash } from "./rule-set-hash.ts";

export interface ScopeRules {
  scope: RuleScope;
  /** rules a takeover rebuilds by replaying the look-back; undefined when none */
  short: RuleSet | undefined;
  /** rules whose look-back exceeds the replay limit: restored from snapshots */
  long: RuleSet | undefined;
  lookbacks: RuleLookback[];
  /** the hash a snapshot of this scope's long rules is taken under */
  longHash: string;
  /** long rules: per timestamp field (as a reach key, reachKey), the longest reach (ns), for the held-events log */
  longReach: Map<string, bigint>;
  exceptionsFor: (rule: ExecutableRule) => ((event: Event) => boolean) | undefined;
  /**
   * The raw-text prefilter of the scope's rules (scan's): a message it rejects cannot match any
   * of them and is not parsed. The global partition reads every event; most it skips unparsed.
   */
  prefilter: LineFilter | undefined;
}

export interface RulePlan {
  /** the whole set, as published in the worker's membership record */
  hash: string;
  rules: number;
  decisions: ScopeDecision[];
  host: ScopeRules;
  global: ScopeRules;
}

export function planRules(bundle: RuleBundle, settings: LookbackSettings): RulePlan {
  const all = bundle.ruleSet.rules;
  const split = splitByScope(all);
  return {
    hash: ruleSetHash(all),
    rules: all.length,
    decisions: split.decisions,
    host: scopeRules("host", split.host, bundle, settings),
    global: scopeRules("global", split.global, bundle, settings),
  };
}

function scopeRules(
  scope: RuleScope,
  rules: readonly ExecutableRule[],
  bundle: RuleBundle,
  settings: LookbackSettings,
): ScopeRules {
  const lookbacks = rules.map((r) => ruleLookback(r, settings));
  const short = rules.filter((_, i) => !lookbacks[i].long);
  const long = rules.filter((_, i) => lookbacks[i].long);
  const longReach = new Map<string, bigint>();
  for (const rule of long) {
    const reach = ruleReach(rule);
    const key = reachKey(reach);
    longReach.set(key, maxOf(longReach.get(key) ?? 0n, reach.reachNs));
  }
  const executable = [...short, ...long];
  return {
    scope,
    prefilter: executable.length ? buildLineFilter(buildRuleSet(executable).requirements) : undefined,
    short: short.length ? buildRuleSet(short) : undefined,
    long: long.length ? buildRuleSet(long) : undefined,
    lookbacks,
    longHash: ruleSetHash(long),
    longReach,
    exceptionsFor: bundle.exceptionsFor,
  };
}

const maxOf = (a: bigint, b: bigint) => (a > b ? a : b);

/** What the startup log and the membership record say about the split. */
export interface PlanSummary {
  hash: string;
  rules: number;
  hostRules: number;
  globalRules: number;
  /** names of the rules on the global partition, with why */
  global: Array<{ rule_id: string; name: string; reason: string }>;
  /** names of the rules restored from snapshots, with their look-back (ms) */
  long: Array<{ rule_id: string; name: string; lookbackMs: number }>;
  /** the replay a host takeover needs without a snapshot (ms) */
  hostLookbackMs: number;
  globalLookbackMs: number;
}

/** Every rule of the plan, host rules first. */
export function planRuleList(plan: RulePlan): ExecutableRule[] {
  return [plan.host.short, plan.host.long, plan.global.short, plan.global.long].flatMap(
    (set) => set?.rules ?? [],
  );
}

export function summarizePlan(plan: RulePlan): PlanSummary {
  const global = plan.decisions
    .filter((d) => d.scope === "global")
    .map((d) => ({ rule_id: d.rule_id, name: d.name, reason: d.reason }));
  const long = [...plan.host.lookbacks, ...plan.global.lookbacks]
    .filter((l) => l.long)
    .map((l) => ({ rule_id: l.rule_id, name: l.name, lookbackMs: l.lookbackMs }));
  return {
    hash: plan.hash,
    rules: plan.rules,
    hostRules: plan.rules - global.length,
    globalRules: global.length,
    global,
    long,
    hostLookbackMs: longestShort(plan.host),
    globalLookbackMs: longestShort(plan.global),
  };
}

function longestShort(scope: ScopeRules): number {
  return Math.max(0, ...scope.lookbacks.filter((l) => !l.long).map((l) => l.lookbackMs));
}
