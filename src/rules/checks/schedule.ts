import { KIBANA_MAX_ALERTS_PER_RUN } from "../../engine/alerts-per-run.ts";
import { formatDuration, parseDateMath, parseDuration } from "../../engine/date-math.ts";
import type { Rule } from "../rule-model.ts";
import type { RuleCheckContext } from "./context.ts";

/**
 * Each run searches [from, to] and runs start `interval` apart: a window shorter than the
 * interval leaves events between runs that no run ever searches.
 */
export function checkSchedule(ctx: RuleCheckContext): void {
  const { from, to, interval, max_signals } = ctx.rule;
  const lookBack = lookBackMs(ctx.rule);
  const every = intervalMs(ctx.rule);
  if (lookBack <= 0) {
    ctx.report(["from"], "error", "schedule", `from (${from}) must be earlier than to (${to})`);
  } else if (lookBack < every) {
    ctx.report(
      ["from"],
      "warning",
      "schedule",
      `the window from ${from} to ${to} (${formatDuration(lookBack)}) is shorter than the interval ${interval}: events between runs are never searched`,
    );
  }
  if (max_signals > KIBANA_MAX_ALERTS_PER_RUN) {
    ctx.report(
      ["max_signals"],
      "warning",
      "schedule",
      `max_signals ${max_signals} is above Kibana's default limit of ${KIBANA_MAX_ALERTS_PER_RUN} alerts per run: a run writes ${KIBANA_MAX_ALERTS_PER_RUN} at most (scan --max-alerts-per-run raises it as Kibana's xpack.alerting.rules.run.alerts.max does)`,
    );
  }
}

/** A fixed "now", so that calendar units (`now-1M`) give the same answer on every run. */
const NOW = BigInt(Date.UTC(2026, 0, 15)) * 1_000_000n;

/** How far back each run searches: `to` minus `from` (both already checked as date math). */
export const lookBackMs = (rule: Pick<Rule, "from" | "to">): number =>
  Number((parseDateMath(rule.to, NOW, true) - parseDateMath(rule.from, NOW)) / 1_000_000n);

export const intervalMs = (rule: Pick<Rule, "interval">): number =>
  Number(parseDuration(rule.interval) / 1_000_000n);
