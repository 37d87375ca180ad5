import { compileFieldGetter, type Event } from "../eql/field-access.ts";
import { cloneJson } from "./json-tree.ts";
import type { SourceIdentity } from "./source-identity.ts";

/**
 * `kibana.alert.ancestors`: the chain of documents an alert was built on. Raw
 * events are depth 0; an alert used as a source (rules over the alerts index)
 * brings its own chain, so a rule can recognise — and refuse — its own alerts.
 */
export interface Ancestor {
  id: string;
  type: "event" | "signal";
  index: string;
  depth: number;
  /** the rule uuid, when the parent is an alert */
  rule?: string;
}

const readAlertUuid = compileFieldGetter("kibana.alert.uuid");
const readAlertDepth = compileFieldGetter("kibana.alert.depth");
const readAlertRuleUuid = compileFieldGetter("kibana.alert.rule.uuid");
const readAncestors = compileFieldGetter("kibana.alert.ancestors");

/** Whether a source document is itself a detection alert. */
export function isAlert(event: Event): boolean {
  const uuid = readAlertUuid(event);
  return uuid !== undefined && uuid !== null;
}

/** The entry a source document adds to the ancestry of an alert built on it. */
export function parentOf(event: Event, identity: SourceIdentity): Ancestor {
  if (!isAlert(event)) return { id: identity.id, type: "event", index: identity.index, depth: 0 };
  const depth = readAlertDepth(event);
  const rule = readAlertRuleUuid(event);
  return {
    id: identity.id,
    type: "signal",
    index: identity.index,
    depth: typeof depth === "number" && Number.isFinite(depth) ? depth : 1,
    ...(typeof rule === "string" ? { rule } : {}),
  };
}

/** The source's own ancestry (when it is an alert) followed by the source itself. */
export function ancestorsOf(event: Event, identity: SourceIdentity): Ancestor[] {
  const existing = isAlert(event) ? readAncestors(event) : undefined;
  const chain = Array.isArray(existing)
    ? existing.filter((a) => typeof a === "object" && a !== null).map((a) => cloneJson(a) as Ancestor)
    : existing !== undefined && typeof existing === "object" && existing !== null
      ? [cloneJson(existing) as Ancestor]
      : [];
  return [...chain, parentOf(event, identity)];
}

/** One more than the deepest parent: 1 for alerts on raw events. */
export function depthBelow(parents: readonly Ancestor[]): number {
  return parents.reduce((max, parent) => Math.max(max, parent.depth), 0) + 1;
}

/**
 * Whether the document is (or descends from) an alert of this rule. Kibana drops
 * such matches — singly and for any event of a sequence — so a rule that reads the
 * alerts index never alerts on its own output; callers should do the same.
 */
export function descendsFromRule(event: Event, ruleUuid: string): boolean {
  if (!isAlert(event)) return false;
  const rules = [readAlertRuleUuid(event)];
  const chain = readAncestors(event);
  for (const ancestor of Array.isArray(chain) ? chain : [chain]) {
    if (typeof ancestor === "object" && ancestor !== null) rules.push((ancestor as Ancestor).rule);
  }
  return rules.includes(ruleUuid);
}
