import { ATTACK_TACTICS } from "../../coverage/tactics.ts";
import type { RuleCheckContext } from "./context.ts";

/** Id and reference URL forms of each framework a rule may map to. */
interface Framework {
  tactic: RegExp;
  technique: RegExp;
  subtechnique: RegExp;
  tacticUrl(id: string): string;
  techniqueUrl(id: string): string;
  /** its tactics by id, their names, where eqlite ships the catalogue */
  tactics?: ReadonlyMap<string, string>;
}

const ATTACK: Framework = {
  tactic: /^TA\d{4}$/,
  technique: /^T\d{4}$/,
  subtechnique: /^T\d{4}\.\d{3}$/,
  tacticUrl: (id) => `https://attack.mitre.org/tactics/${id}/`,
  techniqueUrl: (id) => `https://attack.mitre.org/techniques/${id.replace(".", "/")}/`,
  tactics: new Map(ATTACK_TACTICS.map((t) => [t.id, t.name])),
};

const ATLAS: Framework = {
  tactic: /^AML\.TA\d{4}$/,
  technique: /^AML\.T\d{4}$/,
  subtechnique: /^AML\.T\d{4}\.\d{3}$/,
  tacticUrl: (id) => `https://atlas.mitre.org/tactics/${id}/`,
  techniqueUrl: (id) => `https://atlas.mitre.org/techniques/${id}/`,
};

export const FRAMEWORKS: Readonly<Record<string, Framework>> = {
  "MITRE ATT&CK": ATTACK,
  "MITRE ATLAS": ATLAS,
};

/** A missing trailing slash is not an error: detection-rules adds it when loading. */
const sameUrl = (written: string, expected: string): boolean =>
  written === expected || `${written}/` === expected;

/**
 * Each `[[rule.threat]]` entry against its framework: id forms, sub-techniques under their
 * technique, references that point at the id they sit next to, and ATT&CK's enterprise tactics
 * by id and name. Technique names cannot be checked without the ATT&CK catalogue;
 * `threat-catalog.ts` compares them across the loaded rules.
 */
export function checkThreatFramework(ctx: RuleCheckContext): void {
  const tactics = new Map<string, number>();
  ctx.rule.threat.forEach((entry, t) => {
    const framework = FRAMEWORKS[entry.framework];
    if (!framework) {
      ctx.report(
        ["threat", t, "framework"],
        "warning",
        "threat",
        `unknown framework ${JSON.stringify(entry.framework)}; ids and references are not checked (expected "MITRE ATT&CK" or "MITRE ATLAS")`,
      );
      return;
    }
    const { tactic } = entry;
    const at = (...path: (string | number)[]) => ["threat", t, ...path];
    if (!framework.tactic.test(tactic.id)) {
      ctx.report(
        at("tactic", "id"),
        "error",
        "threat",
        `tactic id ${JSON.stringify(tactic.id)} is not a ${entry.framework} tactic id (${framework.tactic.source})`,
      );
    } else if (framework.tactics && !framework.tactics.has(tactic.id)) {
      ctx.report(
        at("tactic", "id"),
        "warning",
        "threat",
        `${tactic.id} is not an enterprise ${entry.framework} tactic (${[...framework.tactics.keys()].sort().join(", ")}); coverage cannot place it`,
      );
    } else if (!sameUrl(tactic.reference, framework.tacticUrl(tactic.id))) {
      ctx.report(
        at("tactic", "reference"),
        "error",
        "threat",
        `tactic reference ${tactic.reference} does not match tactic ${tactic.id} (expected ${framework.tacticUrl(tactic.id)})`,
      );
    }
    const catalogued = framework.tactics?.get(tactic.id);
    if (catalogued !== undefined && catalogued !== tactic.name)
      ctx.report(
        at("tactic", "name"),
        "warning",
        "threat",
        `${tactic.id} is ${JSON.stringify(catalogued)} in ${entry.framework}, not ${JSON.stringify(tactic.name)}`,
      );
    const earlier = tactics.get(tactic.id);
    if (earlier !== undefined) {
      ctx.report(
        at("tactic", "id"),
        "warning",
        "threat",
        `tactic ${tactic.id} is already mapped by threat[${earlier}]`,
      );
    } else tactics.set(tactic.id, t);

    entry.technique.forEach((technique, k) => {
      if (!framework.technique.test(technique.id)) {
        ctx.report(
          at("technique", k, "id"),
          "error",
          "threat",
          `technique id ${JSON.stringify(technique.id)} is not a ${entry.framework} technique id (${framework.technique.source})`,
        );
      } else if (!sameUrl(technique.reference, framework.techniqueUrl(technique.id))) {
        ctx.report(
          at("technique", k, "reference"),
          "error",
          "threat",
          `technique reference ${technique.reference} does not match technique ${technique.id} (expected ${framework.techniqueUrl(technique.id)})`,
        );
      }
      technique.subtechnique?.forEach((sub, s) => {
        const path = at("technique", k, "subtechnique", s);
        if (!framework.subtechnique.test(sub.id)) {
          ctx.report(
            [...path, "id"],
            "error",
            "threat",
            `sub-technique id ${JSON.stringify(sub.id)} is not a ${entry.framework} sub-technique id (${framework.subtechnique.source})`,
          );
        } else if (!sub.id.startsWith(`${technique.id}.`)) {
          ctx.report(
            [...path, "id"],
            "error",
            "threat",
            `sub-technique ${sub.id} is not a sub-technique of ${technique.id}`,
          );
        } else if (!sameUrl(sub.reference, framework.techniqueUrl(sub.id))) {
          ctx.report(
            [...path, "reference"],
            "error",
            "threat",
            `sub-technique reference ${sub.reference} does not match ${sub.id} (expected ${framework.techniqueUrl(sub.id)})`,
          );
        }
      });
    });
  });
}
