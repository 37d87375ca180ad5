import type { RuleCheckContext } from "./context.ts";

/**
 * With `timestamp_override`, Kibana windows events on that field and falls back to
 * `@timestamp` for events without it, unless the fallback is disabled — a setting that means
 * nothing without an override. (Whether the field exists is a field check.)
 */
export function checkTimestampOverride(ctx: RuleCheckContext): void {
  const { timestamp_override, timestamp_override_fallback_disabled } = ctx.rule;
  if (timestamp_override_fallback_disabled !== undefined && timestamp_override === undefined) {
    ctx.report(
      ["timestamp_override_fallback_disabled"],
      "warning",
      "timestamp-override",
      "timestamp_override_fallback_disabled has no effect without timestamp_override",
    );
  }
  if (timestamp_override === "@timestamp" && timestamp_override_fallback_disabled === undefined) {
    ctx.report(
      ["timestamp_override"],
      "warning",
      "timestamp-override",
      "timestamp_override is @timestamp, which is already the rule's timestamp",
    );
  }
}
