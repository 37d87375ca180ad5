import { suggest } from "../../eql/suggest.ts";
import { metadataSchema } from "../metadata-model.ts";
import { KNOWN_RULE_KEYS, RULE_KEYS_BY_TYPE } from "../rule-model.ts";
import { METADATA, type RuleCheckContext } from "./context.ts";

/** Fields Kibana adds to a rule it stores and exports: not the author's, never a typo. */
const SERVER_KEYS = new Set([
  "id",
  "created_at",
  "created_by",
  "updated_at",
  "updated_by",
  "immutable",
  "rule_source",
  "output_index",
  "execution_summary",
  "outcome",
  "alias_target_id",
  "alias_purpose",
  "namespace",
  "saved_id",
]);

const KNOWN_METADATA_KEYS = new Set(Object.keys(metadataSchema.shape));

/** detection-rules refuses unknown keys; Kibana ignores them. Either way, a typo goes unnoticed. */
export function checkUnknownKeys(ctx: RuleCheckContext): void {
  const own = RULE_KEYS_BY_TYPE[ctx.rule.type];
  for (const key of Object.keys(ctx.raw)) {
    if (own.has(key) || SERVER_KEYS.has(key)) continue;
    const message = KNOWN_RULE_KEYS.has(key)
      ? `${key} does not apply to ${ctx.rule.type} rules`
      : `unknown rule field ${key}${suggest(key, own)}`;
    ctx.report([key], "warning", "unknown-key", message);
  }
  for (const key of Object.keys(ctx.rawMetadata ?? {})) {
    if (KNOWN_METADATA_KEYS.has(key)) continue;
    ctx.report(
      [METADATA, key],
      "warning",
      "unknown-key",
      `unknown metadata field ${key}${suggest(key, KNOWN_METADATA_KEYS)}`,
    );
  }
}
