import type { RuleCheckContext } from "./context.ts";

/** Rule types that name their data some other way: in the query, or through an ML job. */
const NO_INDEX = new Set(["esql", "machine_learning"]);

/** Where a rule's events come from: index patterns or a data view, not both. */
export function checkIndexSource(ctx: RuleCheckContext): void {
  const rule = ctx.rule;
  const index = "index" in rule ? rule.index : undefined;
  const dataView = "data_view_id" in rule ? rule.data_view_id : undefined;
  if (rule.type === "esql" && index !== undefined) {
    ctx.report(["index"], "error", "index", "an esql rule names its indices in FROM; index is not allowed");
    return;
  }
  if (index !== undefined && dataView !== undefined) {
    ctx.report(["data_view_id"], "error", "index", "index and data_view_id are mutually exclusive");
  } else if (dataView !== undefined && !NO_INDEX.has(rule.type)) {
    // the data view's index patterns live in Kibana, not in the rule
    ctx.report(
      ["data_view_id"],
      "warning",
      "index",
      `data_view_id ${JSON.stringify(dataView)} names a Kibana data view eqlite cannot read: the rule sees events of every index; give it index patterns (index = [...]) to narrow it as the data view does`,
    );
  }
  if (!NO_INDEX.has(rule.type) && index === undefined && dataView === undefined) {
    ctx.report(
      ["type"],
      "warning",
      "index",
      "no index or data_view_id: Kibana would search its default security indices",
    );
  }
}
