import type { RuleCheckContext } from "./context.ts";

/** A package version constraint as Fleet writes them: `^1.2.0`, `~8.11.0`, `1.2.0`, `^8.11.0 || ^9.0.0`. */
const VERSION_RANGE =
  /^\s*[~^]?\d+\.\d+\.\d+(?:[-+][\w.-]+)?(?:\s*\|\|\s*[~^]?\d+\.\d+\.\d+(?:[-+][\w.-]+)?)*\s*$/;

export function checkRelatedIntegrations(ctx: RuleCheckContext): void {
  const seen = new Set<string>();
  ctx.rule.related_integrations.forEach((integration, i) => {
    const at = ["related_integrations", i];
    const key = `${integration.package}/${integration.integration ?? ""}`;
    if (seen.has(key)) {
      ctx.report(
        at,
        "warning",
        "related-integrations",
        `related_integrations lists ${key.replace(/\/$/, "")} twice`,
      );
    }
    seen.add(key);
    if (!VERSION_RANGE.test(integration.version)) {
      ctx.report(
        [...at, "version"],
        "warning",
        "related-integrations",
        `related_integrations version ${JSON.stringify(integration.version)} of ${integration.package} is not a version range such as ^1.2.0`,
      );
    }
  });
}
