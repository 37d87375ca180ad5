import type { Event } from "../eql/field-access.ts";
import { type AlertOptions, writeAlertFields } from "./alert-fields.ts";
import { eventAlertId } from "./alert-id.ts";
import { type AlertRule, ruleUuid, withRuleDefaults } from "./alert-rule.ts";
import { alertSourceFields, originalTimeOf } from "./alert-source.ts";
import { ancestorsOf, parentOf } from "./ancestors.ts";
import type { JsonObject } from "./json-tree.ts";
import { overridesFor, withMappingsAsApplied } from "./overrides.ts";
import { buildReason } from "./reason.ts";
import type { SourceIdentity } from "./source-identity.ts";

export type { AlertOptions } from "./alert-fields.ts";

/**
 * A Kibana-shaped alert document: plain JSON with the source event's fields and
 * dotted `kibana.alert.*` keys. Every key is an own property, so event keys such
 * as `__proto__` are fields like any other, and JSON.stringify writes them all.
 */
export type AlertDocument = JsonObject;

/**
 * The alert for one matching event (an event query's hit). Its id depends only on
 * the source identity, the rule and the space, so the same event found again
 * gives the same alert id; everything else but the execution time (`@timestamp`,
 * start, last_detected, intended and execution timestamps) is equally determined
 * by the rule and the event.
 *
 * Callers should skip events for which `descendsFromRule(event, ruleUuid(rule))`
 * holds, as Kibana does, so a rule never alerts on its own alerts.
 */
export function buildEventAlert(
  rule: AlertRule,
  event: Event,
  source: SourceIdentity,
  options: AlertOptions,
): AlertDocument {
  const complete = withMappingsAsApplied(withRuleDefaults(rule));
  const uuidOfRule = ruleUuid(complete);
  const values = overridesFor(complete, event);
  const doc = alertSourceFields(event, options.onFieldsLeftOut);
  writeAlertFields(
    doc,
    {
      rule: complete,
      ruleUuid: uuidOfRule,
      uuid: eventAlertId(source, uuidOfRule, options.spaceId),
      ancestors: ancestorsOf(event, source),
      parents: [parentOf(event, source)],
      originalTime: originalTimeOf(event),
      values,
      reason: buildReason(event, { name: values.name, severity: values.severity }),
    },
    options,
  );
  return doc;
}
