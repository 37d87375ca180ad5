import type { RuleCheckContext } from "./context.ts";

/**
 * Indicator-match mappings: groups are OR'ed and entries AND'ed. A group made only of
 * negations matches everything, and a pair both matched and negated matches nothing.
 */
export function checkThreatMapping(ctx: RuleCheckContext): void {
  const rule = ctx.rule;
  if (rule.type !== "threat_match") return;
  rule.threat_mapping.forEach((group, g) => {
    const at = ["threat_mapping", g];
    if (group.entries.every((e) => e.negate)) {
      ctx.report(
        at,
        "error",
        "threat-mapping",
        `threat_mapping[${g}] has only negated entries; a group needs one entry that matches`,
      );
    }
    const matched = new Set(group.entries.filter((e) => !e.negate).map((e) => `${e.field}\u0000${e.value}`));
    group.entries.forEach((e, i) => {
      if (e.negate && matched.has(`${e.field}\u0000${e.value}`)) {
        ctx.report(
          [...at, "entries", i],
          "error",
          "threat-mapping",
          `threat_mapping[${g}] both matches and negates ${e.field} = ${e.value}`,
        );
      }
    });
  });
}
