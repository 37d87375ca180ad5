import { z } from "zod";
import { DateMathError, parseDateMath } from "../engine/date-math.ts";
import { EXCEPTION_LIST_TYPES, NAMESPACE_TYPES } from "../exceptions/model.ts";
import { threatSchema } from "./threat-model.ts";

/**
 * A detection rule as Kibana's rules API holds it (the `[rule]` table of a detection-rules
 * file is the same object, apart from `new_terms`, which the TOML loader flattens), with
 * Kibana's defaults filled in. Shapes, ranges and enumerations are checked here; rules
 * that relate several fields are in `checks/`.
 */

export const SEVERITIES = ["low", "medium", "high", "critical"] as const;
export const RULE_TYPES = [
  "eql",
  "query",
  "saved_query",
  "threshold",
  "threat_match",
  "new_terms",
  "esql",
  "machine_learning",
] as const;
export type RuleType = (typeof RULE_TYPES)[number];

const text = z.string().min(1, { error: "must not be empty" });
const fieldName = z.string().min(1, { error: "must not be empty" });
const strings = z.array(z.string()).default([]);
/** Kibana's rule interval syntax: a whole number of seconds, minutes, hours or days. */
export const INTERVAL = /^[1-9]\d*[smhd]$/;

const isDateMath = (text: string): boolean => {
  try {
    parseDateMath(text, 0n);
    return true;
  } catch (error) {
    if (error instanceof DateMathError) return false;
    throw error;
  }
};
const dateMath = z.string().refine(isDateMath, { error: "must be date math such as now-6m" });
const riskScore = z.int().min(0).max(100);

const riskScoreMappingSchema = z.object({
  field: fieldName,
  operator: z.literal("equals").default("equals"),
  // "" means: the alert's risk score is the field's own numeric value
  value: z.string().default(""),
  risk_score: riskScore.optional(),
});

const severityMappingSchema = z.object({
  field: fieldName,
  operator: z.literal("equals").default("equals"),
  value: z.string(),
  severity: z.enum(SEVERITIES),
});

/** A rule's reference to an exception list: `exceptions_list = [{id, list_id, type, namespace_type}]`. */
const exceptionListReferenceSchema = z.object({
  id: z.string().min(1),
  list_id: z.string().min(1),
  type: z.enum(EXCEPTION_LIST_TYPES as [string, ...string[]]),
  namespace_type: z.enum(NAMESPACE_TYPES as [string, ...string[]]),
});

const suppressionDuration = z.object({ value: z.int().min(1), unit: z.enum(["s", "m", "h"]) });

const alertSuppressionSchema = z.object({
  group_by: z.array(fieldName).min(1).max(3),
  duration: suppressionDuration.optional(),
  missing_fields_strategy: z.enum(["suppress", "doNotSuppress"]).default("suppress"),
});

/** Fields every rule type has. */
const commonShape = {
  name: text,
  description: text,
  // malformed ids are warned about (checks/rule-id.ts), not refused: two real ones are malformed
  rule_id: text,
  risk_score: riskScore,
  severity: z.enum(SEVERITIES),
  author: strings,
  from: dateMath.default("now-6m"),
  to: dateMath.default("now"),
  interval: z
    .string()
    .regex(INTERVAL, { error: "must be a duration such as 5m (s, m, h or d)" })
    .default("5m"),
  max_signals: z.int().min(1).default(100),
  enabled: z.boolean().optional(),
  false_positives: strings,
  references: strings,
  tags: strings,
  license: z.string().optional(),
  note: z.string().optional(),
  setup: z.string().optional(),
  threat: z.array(threatSchema).default([]),
  threat_mappings: z.array(z.record(z.string(), z.unknown())).optional(),
  exceptions_list: z.array(exceptionListReferenceSchema).default([]),
  risk_score_mapping: z.array(riskScoreMappingSchema).default([]),
  severity_mapping: z.array(severityMappingSchema).default([]),
  rule_name_override: fieldName.optional(),
  timestamp_override: fieldName.optional(),
  timestamp_override_fallback_disabled: z.boolean().optional(),
  // Kibana's API takes any string here and marks the rule's alerts as building blocks
  building_block_type: z.string().optional(),
  investigation_fields: z.object({ field_names: z.array(fieldName).min(1) }).optional(),
  related_integrations: z
    .array(z.object({ package: text, version: text, integration: z.string().min(1).optional() }))
    .default([]),
  required_fields: z
    .array(z.object({ name: fieldName, type: text, ecs: z.boolean().optional() }))
    .default([]),
  version: z.int().min(1).optional(),
  revision: z.int().min(0).optional(),
  meta: z.record(z.string(), z.unknown()).optional(),
  actions: z.array(z.record(z.string(), z.unknown())).optional(),
  response_actions: z.array(z.record(z.string(), z.unknown())).optional(),
  throttle: z.string().optional(),
  timeline_id: z.string().optional(),
  timeline_title: z.string().optional(),
  filters: z.array(z.unknown()).optional(),
};

/** Fields of rules that search indices with a query. */
const searchShape = {
  index: z.array(z.string().min(1)).optional(),
  data_view_id: z.string().min(1).optional(),
  alert_suppression: alertSuppressionSchema.optional(),
};

const kueryOrLucene = z.enum(["kuery", "lucene"]).default("kuery");

export const eqlRuleSchema = z
  .object({
    ...commonShape,
    ...searchShape,
    type: z.literal("eql"),
    language: z.literal("eql", { error: 'must be "eql" for an eql rule' }).default("eql"),
    query: text,
    event_category_override: fieldName.optional(),
    timestamp_field: fieldName.optional(),
    tiebreaker_field: fieldName.optional(),
  })
  .loose();

export const queryRuleSchema = z
  .object({
    ...commonShape,
    ...searchShape,
    type: z.literal("query"),
    language: kueryOrLucene,
    // a query rule may be all filters and no query
    query: z.string().default(""),
    saved_id: z.string().optional(),
  })
  .loose();

export const savedQueryRuleSchema = z
  .object({
    ...commonShape,
    ...searchShape,
    type: z.literal("saved_query"),
    language: kueryOrLucene,
    query: z.string().optional(),
    saved_id: text,
  })
  .loose();

export const thresholdRuleSchema = z
  .object({
    ...commonShape,
    ...searchShape,
    type: z.literal("threshold"),
    language: kueryOrLucene,
    query: z.string().default(""),
    threshold: z.object({
      field: z
        .union([z.string(), z.array(z.string())])
        .transform((f) => (Array.isArray(f) ? f : f === "" ? [] : [f]))
        .pipe(z.array(fieldName).max(5)),
      value: z.int().min(1),
      cardinality: z.array(z.object({ field: fieldName, value: z.int().min(1) })).optional(),
    }),
    // a threshold rule suppresses by its own fields: only the window is configurable
    alert_suppression: z.object({ duration: suppressionDuration }).optional(),
  })
  .loose();

const threatMappingEntry = z.object({
  field: fieldName,
  type: z.literal("mapping"),
  value: fieldName,
  negate: z.boolean().optional(),
});

export const threatMatchRuleSchema = z
  .object({
    ...commonShape,
    ...searchShape,
    type: z.literal("threat_match"),
    language: kueryOrLucene,
    query: z.string().default(""),
    threat_index: z.array(z.string().min(1)).min(1),
    threat_mapping: z.array(z.object({ entries: z.array(threatMappingEntry).min(1) })).min(1),
    threat_query: z.string().optional(),
    threat_language: z.enum(["kuery", "lucene", "eql"]).optional(),
    threat_filters: z.array(z.unknown()).optional(),
    threat_indicator_path: z.string().optional(),
    concurrent_searches: z.int().min(1).optional(),
    items_per_search: z.int().min(1).optional(),
  })
  .loose();

export const newTermsRuleSchema = z
  .object({
    ...commonShape,
    ...searchShape,
    type: z.literal("new_terms"),
    language: kueryOrLucene,
    query: z.string().default(""),
    new_terms_fields: z.array(fieldName).min(1).max(3),
    history_window_start: dateMath,
  })
  .loose();

export const esqlRuleSchema = z
  .object({
    ...commonShape,
    type: z.literal("esql"),
    language: z.literal("esql", { error: 'must be "esql" for an esql rule' }).default("esql"),
    query: text,
    // ES|QL names its sources in FROM; `index` is refused by checks/index-source.ts
    index: z.array(z.string()).optional(),
    alert_suppression: alertSuppressionSchema.optional(),
  })
  .loose();

export const machineLearningRuleSchema = z
  .object({
    ...commonShape,
    type: z.literal("machine_learning"),
    anomaly_threshold: z.int().min(0).max(100),
    machine_learning_job_id: z.union([text, z.array(text).min(1)], {
      error: "must be a job id or a list of job ids",
    }),
    alert_suppression: alertSuppressionSchema.optional(),
  })
  .loose();

export const ruleSchema = z.discriminatedUnion("type", [
  eqlRuleSchema,
  queryRuleSchema,
  savedQueryRuleSchema,
  thresholdRuleSchema,
  threatMatchRuleSchema,
  newTermsRuleSchema,
  esqlRuleSchema,
  machineLearningRuleSchema,
]);

/** Checked when `type` itself is wrong, so the author still hears about the other fields. */
export const commonRuleSchema = z.object({ ...commonShape, type: z.string() }).loose();

export type Rule = z.output<typeof ruleSchema>;
export type EqlRule = z.output<typeof eqlRuleSchema>;

const TYPE_SCHEMAS = {
  eql: eqlRuleSchema,
  query: queryRuleSchema,
  saved_query: savedQueryRuleSchema,
  threshold: thresholdRuleSchema,
  threat_match: threatMatchRuleSchema,
  new_terms: newTermsRuleSchema,
  esql: esqlRuleSchema,
  machine_learning: machineLearningRuleSchema,
} as const;

/** The keys each rule type defines: anything else in `[rule]` is a typo or belongs to another type. */
export const RULE_KEYS_BY_TYPE: Readonly<Record<RuleType, ReadonlySet<string>>> = Object.fromEntries(
  Object.entries(TYPE_SCHEMAS).map(([type, schema]) => [type, new Set(Object.keys(schema.shape))]),
) as unknown as Record<RuleType, ReadonlySet<string>>;

/** Every key some rule type defines. */
export const KNOWN_RULE_KEYS: ReadonlySet<string> = new Set(
  Object.values(RULE_KEYS_BY_TYPE).flatMap((keys) => [...keys]),
);
