import type { RuleCheckContext } from "./context.ts";

/** The risk score range each severity stands for in Elastic's rules and in the Kibana UI. */
const BANDS = { low: [0, 21], medium: [22, 47], high: [48, 73], critical: [74, 100] } as const;

export function checkSeverityRiskBand(ctx: RuleCheckContext): void {
  const { severity, risk_score } = ctx.rule;
  const [min, max] = BANDS[severity];
  if (risk_score < min || risk_score > max) {
    ctx.report(
      ["risk_score"],
      "warning",
      "severity-risk-score",
      `risk_score ${risk_score} is outside the ${min}-${max} range of severity "${severity}"`,
    );
  }
}
