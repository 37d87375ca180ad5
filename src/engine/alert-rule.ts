import { createHash } from "node:crypto";

/**
 * The rule as the alert builders see it: Kibana's snake_case rule object (the
 * detection-rules `[rule]` table, or a line of a Kibana rule export). Only what
 * every rule has is required; the rest is optional and anything else is kept,
 * because `kibana.alert.rule.parameters` carries the rule's parameters whole.
 */

export type Severity = "low" | "medium" | "high" | "critical";

export const SEVERITIES: readonly Severity[] = ["low", "medium", "high", "critical"];

export interface ThreatEntry {
  framework: string;
  tactic: { id: string; name: string; reference: string };
  technique?: Array<{
    id: string;
    name: string;
    reference: string;
    subtechnique?: Array<{ id: string; name: string; reference: string }>;
  }>;
}

export interface SeverityMappingItem {
  field: string;
  operator?: "equals";
  value: string;
  severity: Severity;
}

export interface RiskScoreMappingItem {
  field: string;
  operator?: "equals";
  /** `""` in practice: the score is the field's own value */
  value?: string;
  risk_score?: number;
}

export interface ExceptionListReference {
  id: string;
  list_id: string;
  type: string;
  namespace_type: string;
}

export interface AlertRule {
  rule_id: string;
  name: string;
  description: string;
  /** one of SEVERITIES; typed loosely because loaders validate it, not this module */
  severity: string;
  risk_score: number;
  type: string;
  /** the Kibana saved-object id, present in rules exported from Kibana */
  id?: string;
  tags?: string[];
  references?: string[];
  threat?: ThreatEntry[];
  from?: string;
  to?: string;
  interval?: string;
  version?: number;
  revision?: number;
  max_signals?: number;
  timestamp_override?: string;
  timestamp_override_fallback_disabled?: boolean;
  building_block_type?: string;
  severity_mapping?: SeverityMappingItem[];
  risk_score_mapping?: RiskScoreMappingItem[];
  rule_name_override?: string;
  author?: string[];
  license?: string;
  false_positives?: string[];
  index?: string[];
  query?: string;
  language?: string;
  exceptions_list?: ExceptionListReference[];
  note?: string;
  setup?: string;
  related_integrations?: Array<{ package: string; version: string; integration?: string }>;
  required_fields?: Array<{ name: string; type: string; ecs?: boolean }>;
  enabled?: boolean;
  immutable?: boolean;
  meta?: Record<string, unknown>;
  namespace?: string;
  timeline_id?: string;
  timeline_title?: string;
  actions?: unknown[];
  throttle?: string;
  created_at?: string;
  created_by?: string;
  updated_at?: string;
  updated_by?: string;
  [param: string]: unknown;
}

const EXTERNAL_RULE_SOURCE = {
  type: "external",
  is_customized: false,
  customized_fields: [],
  has_base_version: true,
};

/**
 * The values Kibana gives a rule that does not set them (its create API fills these
 * in, so every alert it writes carries them; detection-rules TOML omits most).
 */
export function withRuleDefaults(rule: AlertRule): AlertRule {
  return {
    ...rule,
    from: rule.from ?? "now-6m",
    to: rule.to ?? "now",
    interval: rule.interval ?? "5m",
    max_signals: rule.max_signals ?? 100,
    version: rule.version ?? 1,
    tags: rule.tags ?? [],
    references: rule.references ?? [],
    threat: rule.threat ?? [],
    false_positives: rule.false_positives ?? [],
    author: rule.author ?? [],
    exceptions_list: rule.exceptions_list ?? [],
    risk_score_mapping: rule.risk_score_mapping ?? [],
    severity_mapping: rule.severity_mapping ?? [],
    related_integrations: rule.related_integrations ?? [],
    required_fields: rule.required_fields ?? [],
    enabled: rule.enabled ?? true,
    immutable: rule.immutable ?? false,
    setup: rule.setup ?? "",
    // A rule Kibana stores without one gets this on every read: its own, or Elastic's prebuilt one.
    rule_source: rule.rule_source ?? (rule.immutable === true ? EXTERNAL_RULE_SOURCE : { type: "internal" }),
    ...(rule.language === undefined && rule.type === "eql" ? { language: "eql" } : {}),
  };
}

/**
 * The keys of a security rule's parameters (`kibana.alert.rule.parameters`) in Kibana's rule
 * schema: those of every rule type, then each type's own. Whatever else a rule holds — the
 * alerting framework's keys (`id`, `name`, `tags`, `interval`, `enabled`, `actions`, `revision`,
 * `created_at`…, which are `kibana.alert.rule.*` fields of their own), `output_index`, an
 * export's `execution_summary`, detection-rules' repository-only `threat_mappings`, keys no
 * schema knows — is not a parameter, and Kibana's alerts do not carry it there.
 */
const COMMON_PARAMETERS = [
  "description",
  "risk_score",
  "severity",
  "building_block_type",
  "namespace",
  "note",
  "license",
  "timeline_id",
  "timeline_title",
  "meta",
  "rule_name_override",
  "timestamp_override",
  "timestamp_override_fallback_disabled",
  "investigation_fields",
  "author",
  "false_positives",
  "from",
  "rule_id",
  "max_signals",
  "risk_score_mapping",
  "severity_mapping",
  "threat",
  "to",
  "references",
  "version",
  "exceptions_list",
  "immutable",
  "rule_source",
  "related_integrations",
  "required_fields",
  "response_actions",
  "setup",
  "type",
];
const SEARCH_PARAMETERS = ["language", "index", "data_view_id", "query", "filters", "alert_suppression"];
const TYPE_PARAMETERS: Record<string, string[]> = {
  eql: [...SEARCH_PARAMETERS, "timestamp_field", "event_category_override", "tiebreaker_field"],
  query: [...SEARCH_PARAMETERS, "saved_id"],
  saved_query: [...SEARCH_PARAMETERS, "saved_id"],
  threshold: [...SEARCH_PARAMETERS, "saved_id", "threshold"],
  threat_match: [
    ...SEARCH_PARAMETERS,
    "saved_id",
    "threat_filters",
    "threat_query",
    "threat_mapping",
    "threat_language",
    "threat_index",
    "threat_indicator_path",
    "concurrent_searches",
    "items_per_search",
  ],
  new_terms: [...SEARCH_PARAMETERS, "new_terms_fields", "history_window_start"],
  machine_learning: ["anomaly_threshold", "machine_learning_job_id", "alert_suppression"],
  esql: ["language", "query", "alert_suppression"],
};

const parameterKeys = new Map<string, ReadonlySet<string>>();

/** Whether `key` is one of the parameters of rules of type `type`. */
export function isRuleParameter(type: string, key: string): boolean {
  let keys = parameterKeys.get(type);
  if (!keys) {
    keys = new Set([
      ...COMMON_PARAMETERS,
      ...(Object.hasOwn(TYPE_PARAMETERS, type) ? TYPE_PARAMETERS[type] : []),
    ]);
    parameterKeys.set(type, keys);
  }
  return keys.has(key);
}

/** Alerting rule type and its display category, per security rule type. */
const RULE_TYPES: Record<string, { ruleTypeId: string; category: string }> = {
  eql: { ruleTypeId: "siem.eqlRule", category: "Event Correlation Rule" },
  query: { ruleTypeId: "siem.queryRule", category: "Custom Query Rule" },
  saved_query: { ruleTypeId: "siem.savedQueryRule", category: "Saved Query Rule" },
  threshold: { ruleTypeId: "siem.thresholdRule", category: "Threshold Rule" },
  threat_match: { ruleTypeId: "siem.indicatorRule", category: "Indicator Match Rule" },
  machine_learning: { ruleTypeId: "siem.mlRule", category: "Machine Learning Rule" },
  new_terms: { ruleTypeId: "siem.newTermsRule", category: "New Terms Rule" },
  esql: { ruleTypeId: "siem.esqlRule", category: "ES|QL Rule" },
};

export function ruleTypeOf(rule: AlertRule): { ruleTypeId: string; category: string } {
  if (Object.hasOwn(RULE_TYPES, rule.type)) return RULE_TYPES[rule.type];
  return { ruleTypeId: `siem.${rule.type}`, category: rule.type };
}

/**
 * The rule's identity in alerts (`kibana.alert.rule.uuid`), the part of every alert
 * id that says which rule found the match.
 *
 * Kibana uses the rule's saved-object id. A rule exported from Kibana carries it as
 * `id`, and then it is used as is, so eqlite's alert ids for the same source
 * document equal Kibana's. Otherwise the uuid is derived from `rule_id` alone,
 * because a saved object keeps its id when the rule is edited or upgraded: the
 * same event found by a newer version of the rule is the same alert, and a
 * replay after a rule update does not re-alert. (detection-rules TOML has no
 * `version` anyway; it comes from a version lock at packaging time.) The hash makes
 * it independent of machine, run and load order; it is shaped as an RFC 9562
 * version 8 UUID (vendor-specific, here SHA-256 of a namespaced name) so fields
 * typed as UUIDs accept it.
 */
export function ruleUuid(rule: Pick<AlertRule, "rule_id" | "id">): string {
  if (typeof rule.id === "string" && rule.id !== "") return rule.id;
  return uuidFromName(`eqlite:rule:${rule.rule_id}`);
}

export function uuidFromName(name: string): string {
  const bytes = createHash("sha256").update(name, "utf8").digest().subarray(0, 16);
  bytes[6] = (bytes[6] & 0x0f) | 0x80;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = bytes.toString("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
