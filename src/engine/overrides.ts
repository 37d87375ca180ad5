import { compileFieldGetter, type Event, type FieldGetter } from "../eql/field-access.ts";
import { type AlertRule, SEVERITIES, type Severity, type SeverityMappingItem } from "./alert-rule.ts";

/**
 * Per-alert values a rule can take from the matched event instead of its own
 * settings: `severity_mapping`, `risk_score_mapping` and `rule_name_override`.
 * Kibana applies them to single-event alerts only (sequence alerts keep the
 * rule's values), and the alert's reason uses the overridden name and severity.
 */

export interface AlertOverrides {
  name: string;
  severity: string;
  riskScore: number;
}

// Field paths come from rules, which are few; the getters are compiled once each.
const getters = new Map<string, FieldGetter>();
function readField(event: Event, path: string): unknown {
  let getter = getters.get(path);
  if (!getter) {
    getter = compileFieldGetter(path);
    getters.set(path, getter);
  }
  return getter(event);
}

const SEVERITY_RANK: Record<Severity, number> = { low: 0, medium: 1, high: 2, critical: 3 };

function isSeverity(value: unknown): value is Severity {
  return typeof value === "string" && (SEVERITIES as readonly string[]).includes(value);
}

/**
 * The severity of the highest-ranked `severity_mapping` entry whose value the
 * event's field holds (any value of an array), else the rule's severity. Values
 * compare as exact, case-sensitive strings (a number 3 equals "3"), except for
 * `event.severity`, which ECS types as a long: there the entry's value is read as
 * an integer and only integer event values count. Entries with an unknown
 * severity are ignored.
 */
export function severityFromMapping(rule: AlertRule, event: Event): string {
  let best: Severity | undefined;
  for (const entry of rule.severity_mapping ?? []) {
    if (!entry || typeof entry.field !== "string" || !isSeverity(entry.severity)) continue;
    if (best !== undefined && SEVERITY_RANK[entry.severity] <= SEVERITY_RANK[best]) continue;
    if (fieldHolds(readField(event, entry.field), entry.field, entry.value)) best = entry.severity;
  }
  return best ?? rule.severity;
}

function fieldHolds(raw: unknown, field: string, expected: unknown): boolean {
  const values = Array.isArray(raw) ? raw : [raw];
  if (field === "event.severity") {
    const wanted = Math.floor(Number(expected));
    return values.some((v) => typeof v === "number" && Number.isSafeInteger(v) && v === wanted);
  }
  const wanted = String(expected);
  return values.some(
    (v) =>
      (typeof v === "string" || (typeof v === "number" && Number.isSafeInteger(v))) && String(v) === wanted,
  );
}

/**
 * The risk score from the field named by the first `risk_score_mapping` entry:
 * the largest of its values that is a number from 0 to 100 (numeric strings
 * count, read as JavaScript's `Number` reads them, so a blank string is 0, as in
 * Kibana), else the rule's score. Out-of-range values are ignored rather than
 * clamped, so a stray field cannot push every alert to 100.
 */
export function riskScoreFromMapping(rule: AlertRule, event: Event): number {
  const entry = rule.risk_score_mapping?.[0];
  if (!entry || typeof entry.field !== "string") return rule.risk_score;
  const raw = readField(event, entry.field);
  let best: number | undefined;
  for (const value of Array.isArray(raw) ? raw : [raw]) {
    const score = typeof value === "number" ? value : typeof value === "string" ? Number(value) : NaN;
    if (Number.isFinite(score) && score >= 0 && score <= 100 && (best === undefined || score > best)) {
      best = score;
    }
  }
  return best ?? rule.risk_score;
}

/** The event's value of `rule_name_override` when it is a single string, else the rule's name. */
export function ruleNameFromOverride(rule: AlertRule, event: Event): string {
  if (typeof rule.rule_name_override !== "string" || rule.rule_name_override === "") return rule.name;
  const value = readField(event, rule.rule_name_override);
  return typeof value === "string" ? value : rule.name;
}

/**
 * The rule as Kibana's single-event alerts carry it: choosing the severity sorts the rule's
 * own `severity_mapping` from low to high (stably, in place), so those alerts show it in that
 * order, in `kibana.alert.rule.severity_mapping` and in the parameters. Sequence alerts, for
 * which Kibana chooses nothing, show it as written.
 */
export function withMappingsAsApplied(rule: AlertRule): AlertRule {
  const mapping = rule.severity_mapping;
  if (!Array.isArray(mapping) || mapping.length < 2) return rule;
  const rank = (entry: SeverityMappingItem) =>
    isSeverity(entry?.severity) ? SEVERITY_RANK[entry.severity] : 0;
  return { ...rule, severity_mapping: [...mapping].sort((a, b) => rank(a) - rank(b)) };
}

export function overridesFor(rule: AlertRule, event: Event): AlertOverrides {
  return {
    name: ruleNameFromOverride(rule, event),
    severity: severityFromMapping(rule, event),
    riskScore: riskScoreFromMapping(rule, event),
  };
}

/** What sequence alerts (and building blocks) carry: the rule's own values. */
export function ruleValues(rule: AlertRule): AlertOverrides {
  return { name: rule.name, severity: rule.severity, riskScore: rule.risk_score };
}
