import type { RuleCheckContext } from "./context.ts";

/**
 * Severity and risk-score overrides taken from the source event: a value mapped twice is
 * ambiguous, and Kibana reads only the first risk-score mapping.
 */
export function checkScoreMappings(ctx: RuleCheckContext): void {
  const seen = new Map<string, string>();
  ctx.rule.severity_mapping.forEach((m, i) => {
    const key = `${m.field}\u0000${m.value}`;
    const earlier = seen.get(key);
    if (earlier !== undefined && earlier !== m.severity) {
      ctx.report(
        ["severity_mapping", i],
        "warning",
        "severity-mapping",
        `severity_mapping maps ${m.field} = ${JSON.stringify(m.value)} to both "${earlier}" and "${m.severity}"`,
      );
    }
    seen.set(key, m.severity);
  });
  const mappings = ctx.rule.risk_score_mapping;
  if (mappings.length > 1) {
    ctx.report(
      ["risk_score_mapping", 1],
      "warning",
      "risk-score-mapping",
      `risk_score_mapping has ${mappings.length} entries; Kibana uses only the first`,
    );
  }
  mappings.forEach((m, i) => {
    if (m.value !== "" && m.risk_score === undefined) {
      ctx.report(
        ["risk_score_mapping", i],
        "warning",
        "risk-score-mapping",
        `risk_score_mapping on ${m.field} has a value but no risk_score; an empty value uses the field's own number`,
      );
    }
  });
}
