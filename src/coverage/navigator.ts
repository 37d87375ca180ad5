import type { CoverageModel, CoverageRule, TechniqueCoverage } from "./model.ts";

/** Technique colours by how many of its rules are tested. */
export const TESTED_COLORS = {
  all: "#8ec843",
  some: "#ffe766",
  none: "#ff6666",
} as const;

export interface NavigatorMetadata {
  name: string;
  value: string;
}

export interface NavigatorTechnique {
  techniqueID: string;
  tactic: string;
  score: number;
  comment: string;
  color: string;
  enabled: boolean;
  showSubtechniques?: boolean;
  metadata: NavigatorMetadata[];
}

export interface NavigatorLayer {
  name: string;
  versions: { layer: "4.5"; navigator: string };
  domain: "enterprise-attack";
  description: string;
  techniques: NavigatorTechnique[];
  gradient: { colors: string[]; minValue: number; maxValue: number };
  legendItems: { label: string; color: string }[];
  showTacticRowBackground: boolean;
  tacticRowBackground: string;
}

/**
 * What format 4.5 asks of `versions`: the layer format, and the Navigator version, which must be
 * at least 4.9.0, the first to read 4.5 (eqlite is not a Navigator, so it claims no later one).
 * No `attack`: a layer that names an ATT&CK version is drawn over that version's matrix, where a
 * technique added since (which a rule may map) has no cell, and a rule file does not say which
 * version its mapping follows; without it the Navigator draws its current ATT&CK.
 */
const LAYER_VERSIONS = { layer: "4.5", navigator: "4.9.0" } as const;

export interface LayerOptions {
  name?: string;
  description?: string;
}

/** The colour of a technique: green when all its rules are tested, yellow when some, red when none. */
export function testedColor(rules: number, tested: number): string {
  if (rules > 0 && tested === rules) return TESTED_COLORS.all;
  return tested > 0 ? TESTED_COLORS.some : TESTED_COLORS.none;
}

/**
 * An ATT&CK Navigator layer (format 4.5) of the coverage: one entry per technique and
 * sub-technique and tactic, scored by the number of rules mapping it, commented with their
 * names, with a `rule` / `tested` metadata pair per rule and a colour telling tested from untested.
 */
export function navigatorLayer(model: CoverageModel, options: LayerOptions = {}): NavigatorLayer {
  const rules = new Map(model.rules.map((r) => [r.rule_id, r]));
  const techniques: NavigatorTechnique[] = [];
  const entry = (t: TechniqueCoverage, tactic: string): NavigatorTechnique => {
    const mapped = t.rules.map((id) => rules.get(id)).filter((r): r is CoverageRule => r !== undefined);
    return {
      techniqueID: t.id,
      tactic,
      score: mapped.length,
      comment: mapped.map((r) => r.name).join("; "),
      color: testedColor(mapped.length, t.tested),
      enabled: true,
      ...(t.subtechniques.length ? { showSubtechniques: true } : {}),
      metadata: mapped.flatMap((r) => [
        { name: "rule", value: `${r.name} (${r.rule_id})` },
        { name: "tested", value: r.tested ? "yes" : "no" },
      ]),
    };
  };
  for (const tactic of model.tactics)
    for (const t of tactic.techniques) {
      techniques.push(entry(t, tactic.shortname));
      for (const s of t.subtechniques) techniques.push(entry(s, tactic.shortname));
    }
  const maxScore = Math.max(1, ...techniques.map((t) => t.score));
  const s = model.summary;
  return {
    name: options.name ?? "eqlite coverage",
    versions: LAYER_VERSIONS,
    domain: "enterprise-attack",
    description:
      options.description ??
      `${s.rules} rule(s), ${s.mapped} mapped to ATT&CK, ${s.tested} tested; score: rules per technique; ` +
        "colour: green all rules tested, yellow some, red none",
    techniques,
    gradient: { colors: ["#ffffff", "#66b1ff"], minValue: 0, maxValue: maxScore },
    legendItems: [
      { label: "all rules tested", color: TESTED_COLORS.all },
      { label: "some rules tested", color: TESTED_COLORS.some },
      { label: "no rule tested", color: TESTED_COLORS.none },
    ],
    showTacticRowBackground: false,
    tacticRowBackground: "#dddddd",
  };
}
