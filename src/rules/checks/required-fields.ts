import { ECS_VERSION, ecsFieldType } from "../field-catalog.ts";
import type { RuleCheckContext } from "./context.ts";

/**
 * `required_fields` tells Kibana users which fields the rule needs and whether they are ECS.
 * It is usually generated; a hand-written one can disagree with ECS.
 */
export function checkRequiredFields(ctx: RuleCheckContext): void {
  const seen = new Set<string>();
  ctx.rule.required_fields.forEach((field, i) => {
    const at = ["required_fields", i];
    if (seen.has(field.name)) {
      ctx.report(at, "warning", "required-fields", `required_fields lists ${field.name} twice`);
    }
    seen.add(field.name);
    const ecsType = ecsFieldType(field.name);
    if (ecsType !== undefined && ecsType !== field.type) {
      ctx.report(
        [...at, "type"],
        "warning",
        "required-fields",
        `required_fields gives ${field.name} type ${field.type}, but ECS ${ECS_VERSION} types it ${ecsType}`,
      );
    }
    if (field.ecs === true && ecsType === undefined) {
      ctx.report(
        [...at, "ecs"],
        "warning",
        "required-fields",
        `required_fields marks ${field.name} as ECS, but ECS ${ECS_VERSION} has no such field`,
      );
    } else if (field.ecs === false && ecsType !== undefined) {
      ctx.report(
        [...at, "ecs"],
        "warning",
        "required-fields",
        `required_fields marks ${field.name} as non-ECS, but it is an ECS ${ECS_VERSION} field`,
      );
    }
  });
}
