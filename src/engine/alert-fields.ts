import { DEFAULT_SPACE_ID } from "./alert-id.ts";
import { type AlertRule, isRuleParameter, ruleTypeOf } from "./alert-rule.ts";
import { alertDetailsUrl, type KibanaTarget } from "./alert-url.ts";
import { type Ancestor, depthBelow } from "./ancestors.ts";
import { cloneJson, flattenInto, isPlainObject, type JsonObject, setOwn } from "./json-tree.ts";
import type { AlertOverrides } from "./overrides.ts";
import { type SuppressionInfo, suppressionFields } from "./suppression-fields.ts";

/**
 * The `kibana.alert.*` fields every security alert carries, in dotted form as
 * Kibana writes them: who raised it (the rule, copied field by field and whole in
 * `parameters`), on what (ancestors, original time), why (reason), and its
 * triage state. The rule-registry fields Kibana adds on write (start,
 * last_detected, rule type, producer …) are included so the document is complete
 * on its own.
 */

export interface AlertOptions extends KibanaTarget {
  /** the execution time: `@timestamp`, `kibana.alert.start`, `last_detected`, the intended time */
  now: Date;
  /** `kibana.alert.rule.indices`, the indices searched; default the rule's `index` patterns */
  indices?: string[];
  /** set for a manual (backfill) run: the time the run stands for; the execution type becomes "manual" */
  intendedTimestamp?: Date;
  /** `kibana.alert.rule.execution.uuid`, when the caller tracks executions */
  executionUuid?: string;
  suppression?: SuppressionInfo;
  /** told the source fields an alert leaves out because the ECS mapping cannot hold them (ecs-compliance.ts) */
  onFieldsLeftOut?: (paths: string[]) => void;
}

export interface AlertFieldsInput {
  /** the rule with Kibana's defaults applied (withRuleDefaults) */
  rule: AlertRule;
  ruleUuid: string;
  uuid: string;
  ancestors: Ancestor[];
  /** the parents this alert is built on directly (depth is one below the deepest) */
  parents: Ancestor[];
  originalTime: string | undefined;
  values: AlertOverrides;
  reason: string;
}

export function writeAlertFields(doc: JsonObject, input: AlertFieldsInput, options: AlertOptions): void {
  const { rule, values } = input;
  const now = isoTime(options.now, "now");
  const intended = options.intendedTimestamp ? isoTime(options.intendedTimestamp, "intendedTimestamp") : now;
  const { ruleTypeId, category } = ruleTypeOf(rule);
  const set = (key: string, value: unknown) => {
    if (value !== undefined) setOwn(doc, key, cloneJson(value));
  };

  set("@timestamp", now);
  set("kibana.space_ids", [options.spaceId ?? DEFAULT_SPACE_ID]);
  set("event.kind", "signal");
  set("kibana.alert.original_time", input.originalTime);
  set("kibana.alert.rule.consumer", "siem");
  set("kibana.alert.ancestors", input.ancestors);
  set("kibana.alert.status", "active");
  set("kibana.alert.workflow_status", "open");
  set("kibana.alert.depth", depthBelow(input.parents));
  set("kibana.alert.reason", input.reason);
  set("kibana.alert.building_block_type", rule.building_block_type);
  set("kibana.alert.severity", values.severity);
  set("kibana.alert.risk_score", values.riskScore);
  set("kibana.alert.rule.parameters", ruleParameters(rule));
  set("kibana.alert.rule.actions", rule.actions ?? []);
  set("kibana.alert.rule.author", rule.author);
  set("kibana.alert.rule.created_at", rule.created_at);
  set("kibana.alert.rule.created_by", rule.created_by);
  set("kibana.alert.rule.description", rule.description);
  set("kibana.alert.rule.enabled", rule.enabled);
  set("kibana.alert.rule.exceptions_list", rule.exceptions_list);
  set("kibana.alert.rule.false_positives", rule.false_positives);
  set("kibana.alert.rule.from", rule.from);
  set("kibana.alert.rule.immutable", rule.immutable);
  set("kibana.alert.rule.interval", rule.interval);
  set("kibana.alert.rule.indices", options.indices ?? rule.index ?? []);
  set("kibana.alert.rule.license", rule.license);
  set("kibana.alert.rule.max_signals", rule.max_signals);
  set("kibana.alert.rule.name", values.name);
  set("kibana.alert.rule.namespace", rule.namespace);
  set("kibana.alert.rule.note", rule.note);
  set("kibana.alert.rule.references", rule.references);
  set("kibana.alert.rule.risk_score_mapping", rule.risk_score_mapping);
  set("kibana.alert.rule.rule_id", rule.rule_id);
  set("kibana.alert.rule.rule_name_override", rule.rule_name_override);
  set("kibana.alert.rule.severity_mapping", rule.severity_mapping);
  set("kibana.alert.rule.tags", rule.tags);
  set("kibana.alert.rule.threat", rule.threat);
  set("kibana.alert.rule.throttle", rule.throttle);
  set("kibana.alert.rule.timeline_id", rule.timeline_id);
  set("kibana.alert.rule.timeline_title", rule.timeline_title);
  set("kibana.alert.rule.timestamp_override", rule.timestamp_override);
  set("kibana.alert.rule.to", rule.to);
  set("kibana.alert.rule.type", rule.type);
  set("kibana.alert.rule.updated_at", rule.updated_at);
  set("kibana.alert.rule.updated_by", rule.updated_by);
  set("kibana.alert.rule.uuid", input.ruleUuid);
  set("kibana.alert.rule.version", rule.version);
  set("kibana.alert.uuid", input.uuid);
  if (options.kibanaUrl)
    set("kibana.alert.url", alertDetailsUrl(options.kibanaUrl, options.spaceId, input.uuid, now));
  set("kibana.alert.workflow_tags", []);
  set("kibana.alert.workflow_assignee_ids", []);
  if (isPlainObject(rule.meta)) flattenInto(doc, "kibana.alert.rule.meta", rule.meta);
  // Legacy duplicates of the rule's own values (not the per-event overrides), still written by Kibana.
  set("kibana.alert.rule.risk_score", rule.risk_score);
  set("kibana.alert.rule.severity", rule.severity);
  set("kibana.alert.rule.building_block_type", rule.building_block_type);
  set("kibana.alert.intended_timestamp", intended);
  set("kibana.alert.rule.execution.type", options.intendedTimestamp ? "manual" : "scheduled");
  // Added by Kibana's rule registry when the alert is written.
  set("kibana.alert.rule.execution.timestamp", now);
  set("kibana.alert.rule.execution.uuid", options.executionUuid);
  set("kibana.alert.start", now);
  set("kibana.alert.last_detected", now);
  set("kibana.alert.rule.category", category);
  set("kibana.alert.rule.producer", "siem");
  set("kibana.alert.rule.rule_type_id", ruleTypeId);
  set("kibana.alert.rule.revision", rule.revision ?? 0);
  if (options.suppression) for (const [key, value] of suppressionFields(options.suppression)) set(key, value);
}

/** The rule's parameters as Kibana stores them: the keys its rule schema has for the rule's type. */
export function ruleParameters(rule: AlertRule): JsonObject {
  const params: JsonObject = {};
  for (const key of Object.keys(rule)) {
    if (!isRuleParameter(rule.type, key)) continue;
    const value = cloneJson(rule[key]);
    if (value !== undefined) setOwn(params, key, value);
  }
  return params;
}

function isoTime(date: Date, name: string): string {
  if (!(date instanceof Date) || Number.isNaN(date.getTime()))
    throw new TypeError(`${name} must be a valid Date`);
  return date.toISOString();
}
