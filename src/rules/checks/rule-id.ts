import { z } from "zod";
import type { RuleCheckContext } from "./context.ts";

const guid = z.guid();

/**
 * Kibana keys alerts, exceptions and updates on `rule_id`, which is meant to be a GUID.
 * A malformed one still works, and two real rules have one, so this only warns.
 */
export function checkRuleId(ctx: RuleCheckContext): void {
  if (!guid.safeParse(ctx.rule.rule_id).success) {
    ctx.report(
      ["rule_id"],
      "warning",
      "rule-id",
      `rule_id ${JSON.stringify(ctx.rule.rule_id)} is not a GUID`,
    );
  }
}
