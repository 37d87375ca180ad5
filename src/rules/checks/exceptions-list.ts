import type { RuleCheckContext } from "./context.ts";

/**
 * A rule's references to exception lists, on their own: listed once, and Elastic Defend's
 * `endpoint_list` shared across spaces as Kibana creates it. Whether the lists were loaded
 * is decided once every file is read (load-rules.ts).
 */
export function checkExceptionsList(ctx: RuleCheckContext): void {
  const seen = new Set<string>();
  ctx.rule.exceptions_list.forEach((ref, i) => {
    const key = `${ref.namespace_type}\u0000${ref.list_id}`;
    if (seen.has(key)) {
      ctx.report(
        ["exceptions_list", i],
        "warning",
        "exceptions-list",
        `exceptions_list references ${ref.list_id} twice`,
      );
    }
    seen.add(key);
    if (ref.type === "endpoint" && ref.namespace_type !== "agnostic") {
      ctx.report(
        ["exceptions_list", i, "namespace_type"],
        "error",
        "exceptions-list",
        `the endpoint exception list ${ref.list_id} is space-agnostic: namespace_type must be "agnostic"`,
      );
    }
  });
}
