import type { RuleCheckContext } from "./context.ts";
import { intervalMs, lookBackMs } from "./schedule.ts";

const MIN_LOOK_BACK_MS = 119 * 60_000;
const MIN_INTERVAL_MS = 60 * 60_000;

/**
 * Building-block alerts feed other rules rather than people, so Elastic runs them rarely
 * over long windows; `bypass_bbr_timing` in `[metadata]` opts out.
 */
export function checkBuildingBlock(ctx: RuleCheckContext): void {
  const type = ctx.rule.building_block_type;
  if (type !== undefined && type !== "default") {
    // Kibana's API takes any string, detection-rules only "default"
    ctx.report(
      ["building_block_type"],
      "warning",
      "building-block",
      `building_block_type is "default" in Kibana's rules (found ${JSON.stringify(type)}); its alerts are building blocks all the same`,
    );
  }
  if (type === undefined || ctx.metadata?.bypass_bbr_timing) return;
  const lookBack = lookBackMs(ctx.rule);
  const interval = intervalMs(ctx.rule);
  if (lookBack < MIN_LOOK_BACK_MS) {
    ctx.report(
      ["from"],
      "warning",
      "building-block",
      `a building-block rule should look back at least now-119m (from is ${ctx.rule.from})`,
    );
  }
  if (interval < MIN_INTERVAL_MS) {
    ctx.report(
      ["interval"],
      "warning",
      "building-block",
      `a building-block rule should run at most hourly (interval is ${ctx.rule.interval})`,
    );
  }
}
