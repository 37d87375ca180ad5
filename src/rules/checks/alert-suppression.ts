import type { RuleCheckContext } from "./context.ts";
import { intervalMs } from "./schedule.ts";

const UNIT_MS = { s: 1000, m: 60_000, h: 3_600_000 } as const;

/**
 * Suppression groups alerts by field values over a window. A field listed twice groups by
 * nothing more, and a window shorter than the interval ends before the next run starts.
 * (EQL sequences refuse suppression: that needs the parsed query, see compile-rule.ts.)
 */
export function checkAlertSuppression(ctx: RuleCheckContext): void {
  const suppression = ctx.rule.alert_suppression;
  if (!suppression) return;
  if ("group_by" in suppression) {
    const seen = new Set<string>();
    suppression.group_by.forEach((field, i) => {
      if (seen.has(field)) {
        ctx.report(
          ["alert_suppression", "group_by", i],
          "error",
          "alert-suppression",
          `alert_suppression.group_by lists ${field} twice`,
        );
      }
      seen.add(field);
    });
  }
  const duration = suppression.duration;
  const interval = intervalMs(ctx.rule);
  if (duration && duration.value * UNIT_MS[duration.unit] < interval) {
    ctx.report(
      ["alert_suppression", "duration"],
      "warning",
      "alert-suppression",
      `alert_suppression.duration ${duration.value}${duration.unit} is shorter than the interval ${ctx.rule.interval}: suppression ends before the next run`,
    );
  }
}
