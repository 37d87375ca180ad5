import type { Threat } from "../rules/threat-model.ts";
import { tacticName, tacticOrder, tacticShortname } from "./tactics.ts";

export const ATTACK_FRAMEWORK = "MITRE ATT&CK";

/** What coverage needs of a rule; a `LoadedRule` fits. */
export interface CoverageInput {
  rule: { rule_id: string; name: string; type: string; threat?: readonly Threat[] };
  origin?: { file: string };
}

export interface CoverageRule {
  rule_id: string;
  name: string;
  type: string;
  file?: string;
  tested: boolean;
  /** whether the rule maps at least one ATT&CK tactic */
  mapped: boolean;
}

/** A technique or sub-technique under one tactic, and the rule_ids mapping it there. */
export interface TechniqueCoverage {
  id: string;
  name: string;
  reference?: string;
  rules: string[];
  tested: number;
  /** sub-techniques (empty for a sub-technique) */
  subtechniques: TechniqueCoverage[];
}

export interface TacticCoverage {
  id: string;
  name: string;
  /** the Navigator's tactic shortname, e.g. `privilege-escalation` */
  shortname: string;
  reference?: string;
  /** rules mapping the tactic, with or without a technique */
  rules: string[];
  tested: number;
  techniques: TechniqueCoverage[];
}

export interface CoverageSummary {
  rules: number;
  /** rules with at least one ATT&CK mapping */
  mapped: number;
  unmapped: number;
  tested: number;
  tactics: number;
  /** distinct technique ids, sub-techniques not included */
  techniques: number;
  /** distinct sub-technique ids */
  subtechniques: number;
}

export interface CoverageModel {
  framework: typeof ATTACK_FRAMEWORK;
  /** tactics in kill-chain order; techniques and sub-techniques by id */
  tactics: TacticCoverage[];
  /** every rule, by rule_id, in load order */
  rules: CoverageRule[];
  /** rule_ids of rules without an ATT&CK mapping */
  unmapped: string[];
  summary: CoverageSummary;
}

export interface CoverageOptions {
  /** rule_ids of rules that have tests; default none */
  tested?: Iterable<string>;
}

/** Names counted per id, so the catalogue uses the name most rules give (ties: the first in order). */
class NameCatalogue {
  private readonly names = new Map<string, Map<string, number>>();
  private readonly references = new Map<string, string>();
  add(id: string, name: string, reference?: string): void {
    let counts = this.names.get(id);
    if (!counts) {
      counts = new Map();
      this.names.set(id, counts);
    }
    counts.set(name, (counts.get(name) ?? 0) + 1);
    if (reference && !this.references.has(id)) this.references.set(id, reference);
  }
  name(id: string): string {
    const counts = [...(this.names.get(id) ?? [])];
    counts.sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    return counts[0]?.[0] ?? id;
  }
  reference(id: string): string | undefined {
    return this.references.get(id);
  }
}

interface Node {
  rules: Set<string>;
  children: Map<string, Node>;
}
const node = (): Node => ({ rules: new Set(), children: new Map() });
const child = (parent: Node, id: string): Node => {
  let n = parent.children.get(id);
  if (!n) {
    n = node();
    parent.children.set(id, n);
  }
  return n;
};
const byId = (a: { id: string }, b: { id: string }) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/**
 * The ATT&CK coverage of a set of rules: per tactic, the techniques and sub-techniques the rules
 * map and which rules map each. Without an ATT&CK catalogue, names come from the rules' own threat
 * blocks (the name most rules use). Only the `MITRE ATT&CK` framework counts; rules mapping only
 * other frameworks (ATLAS) are unmapped here. A rule listed twice (same rule_id) counts once.
 */
export function buildCoverage(
  loaded: readonly CoverageInput[],
  options: CoverageOptions = {},
): CoverageModel {
  const tested = new Set(options.tested ?? []);
  const catalogue = new NameCatalogue();
  const root = node();
  const rules = new Map<string, CoverageRule>();
  for (const { rule, origin } of loaded) {
    const threats = (rule.threat ?? []).filter((t) => t.framework === ATTACK_FRAMEWORK);
    const known = rules.get(rule.rule_id);
    const entry: CoverageRule = known ?? {
      rule_id: rule.rule_id,
      name: rule.name,
      type: rule.type,
      ...(origin ? { file: origin.file } : {}),
      tested: tested.has(rule.rule_id),
      mapped: false,
    };
    if (threats.length) entry.mapped = true;
    rules.set(rule.rule_id, entry);
    for (const threat of threats) {
      catalogue.add(threat.tactic.id, threat.tactic.name, threat.tactic.reference);
      const tactic = child(root, threat.tactic.id);
      tactic.rules.add(rule.rule_id);
      for (const technique of threat.technique ?? []) {
        catalogue.add(technique.id, technique.name, technique.reference);
        const t = child(tactic, technique.id);
        t.rules.add(rule.rule_id);
        for (const sub of technique.subtechnique ?? []) {
          catalogue.add(sub.id, sub.name, sub.reference);
          child(t, sub.id).rules.add(rule.rule_id);
        }
      }
    }
  }
  const countTested = (ids: Iterable<string>) => [...ids].filter((id) => rules.get(id)?.tested).length;
  const technique = (id: string, n: Node): TechniqueCoverage => {
    const reference = catalogue.reference(id);
    return {
      id,
      name: catalogue.name(id),
      ...(reference ? { reference } : {}),
      rules: [...n.rules],
      tested: countTested(n.rules),
      subtechniques: [...n.children].map(([sid, s]) => technique(sid, s)).sort(byId),
    };
  };
  const tactics: TacticCoverage[] = [...root.children]
    .map(([id, n]) => {
      const name = tacticName(id, catalogue.name(id));
      const reference = catalogue.reference(id);
      return {
        id,
        name,
        shortname: tacticShortname(id, name),
        ...(reference ? { reference } : {}),
        rules: [...n.rules],
        tested: countTested(n.rules),
        techniques: [...n.children].map(([tid, t]) => technique(tid, t)).sort(byId),
      };
    })
    .sort((a, b) => tacticOrder(a.id) - tacticOrder(b.id) || byId(a, b));

  const techniqueIds = new Set<string>();
  const subtechniqueIds = new Set<string>();
  for (const tactic of tactics)
    for (const t of tactic.techniques) {
      techniqueIds.add(t.id);
      for (const s of t.subtechniques) subtechniqueIds.add(s.id);
    }
  const all = [...rules.values()];
  const unmapped = all.filter((r) => !r.mapped).map((r) => r.rule_id);
  return {
    framework: ATTACK_FRAMEWORK,
    tactics,
    rules: all,
    unmapped,
    summary: {
      rules: all.length,
      mapped: all.length - unmapped.length,
      unmapped: unmapped.length,
      tested: all.filter((r) => r.tested).length,
      tactics: tactics.length,
      techniques: techniqueIds.size,
      subtechniques: subtechniqueIds.size,
    },
  };
}

/** Rule_ids from a text file's content: one per line; blank lines and `#` comments ignored. */
export function parseTestedList(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((line) => line.replace(/#.*/, "").trim())
    .filter((line) => line.length > 0);
}
