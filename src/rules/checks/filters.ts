import { compileRuleFilters } from "../rule-filters.ts";
import type { RuleCheckContext } from "./context.ts";

/**
 * A filter of an `eql` rule that eqlite cannot evaluate is left out when the rule runs: the
 * rule then sees events Kibana would have kept from it. Said at the clause, so the author can
 * rewrite it (into the query, say) or accept it. Other rule types do not run.
 */
export function checkFilters(ctx: RuleCheckContext): void {
  if (ctx.rule.type !== "eql") return;
  for (const problem of compileRuleFilters(ctx.rule.filters).problems) {
    const which = `filters[${problem.path[1]}]`;
    const what =
      problem.kind === "malformed"
        ? `${which} is malformed: ${problem.message}`
        : `${which}: ${problem.message}`;
    ctx.report(
      problem.path,
      "warning",
      "filters",
      `${what}; the rule runs without this filter and may alert on events Kibana would filter out`,
    );
  }
}
